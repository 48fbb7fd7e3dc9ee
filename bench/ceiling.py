"""Measure how close any Python gRPC handler that makes one Redis round trip can get to the health check.

Starts redis-server and minimal gRPC servers on loopback, none of them this
service: each returns a fixed APIKeyInfo from verify, after one Redis GET or
none, beside a health check on the same server. It prints, side by side:

- threaded server (grpc.server with a thread pool, as spaceone-core runs), no Redis call;
- threaded server, one blocking redis-py GET per call;
- asyncio server (grpc.aio), one redis.asyncio GET per call, async health check.

The second line bounds what the service's cached verify can reach on the
threaded server: see docs/benchmarks.md.

    .venv/bin/python bench/ceiling.py [--seconds 4] [--threads 8]
"""

import argparse
import asyncio
import subprocess
import sys
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack  # noqa: E402
from verify import health_call, run_load  # noqa: E402

from spaceone.api_key.proto import api_key_pb2 as pb  # noqa: E402
from spaceone.api_key.proto import api_key_pb2_grpc  # noqa: E402

ANSWER = {"state": "ENABLED", "user_id": "user-1", "created_at": "2026-12-04T20:06:24.358Z",
          "expired_at": "2027-12-04T20:06:24.358Z"}


def serve_threaded(port: int, redis_port: int) -> None:
    import redis

    client = redis.Redis(host=stack.HOST, port=redis_port) if redis_port else None

    class Servicer(api_key_pb2_grpc.APIKeyServicer):
        def verify(self, request, context):
            if client is not None:
                client.get("ceiling")
            return pb.APIKeyInfo(api_key_id=request.api_key_id, domain_id=request.domain_id, **ANSWER)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=100))
    api_key_pb2_grpc.add_APIKeyServicer_to_server(Servicer(), server)
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    server.add_insecure_port(f"{stack.HOST}:{port}")
    server.start()
    server.wait_for_termination()


def serve_asyncio(port: int, redis_port: int) -> None:
    import redis.asyncio

    async def main():
        client = redis.asyncio.Redis(host=stack.HOST, port=redis_port)

        class Servicer(api_key_pb2_grpc.APIKeyServicer):
            async def verify(self, request, context):
                await client.get("ceiling")
                return pb.APIKeyInfo(api_key_id=request.api_key_id, domain_id=request.domain_id, **ANSWER)

        class Health(health_pb2_grpc.HealthServicer):
            async def Check(self, request, context):
                return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)

        server = grpc.aio.server()
        api_key_pb2_grpc.add_APIKeyServicer_to_server(Servicer(), server)
        health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
        server.add_insecure_port(f"{stack.HOST}:{port}")
        await server.start()
        await server.wait_for_termination()

    asyncio.run(main())


def verify_call(address: str):
    def make():
        stub = api_key_pb2_grpc.APIKeyStub(grpc.insecure_channel(address))
        request = pb.VerifyAPIKeyRequest(api_key_id="api-key-000000000001", api_key_type="USER",
                                         user_id="user-1", domain_id="domain-bench")
        return lambda: stub.verify(request, timeout=10)
    return make


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        kind, port, redis_port = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        (serve_asyncio if kind == "asyncio" else serve_threaded)(port, redis_port)
        return

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement, in seconds")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    args = parser.parse_args()

    redis_server = stack.RedisServer().start()
    try:
        for label, kind, redis_port in (
            ("threaded, no Redis call", "threaded", 0),
            ("threaded, one Redis GET", "threaded", redis_server.port),
            ("asyncio, one Redis GET", "asyncio", redis_server.port),
        ):
            port = stack.free_port()
            process = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port), str(redis_port)])
            try:
                stack.wait_for_port(port, process, 30, label)
                address = f"{stack.HOST}:{port}"
                run_load(verify_call(address), args.threads, 1)  # connections and first calls
                health_rate = run_load(health_call(address), args.threads, args.seconds)["calls_per_second"]
                verify_rate = run_load(verify_call(address), args.threads, args.seconds)["calls_per_second"]
            finally:
                stack.stop_process(process)
            print(f"{label:<26} health {health_rate:7.0f}/s  verify {verify_rate:7.0f}/s  "
                  f"ratio {verify_rate / health_rate:.2f}")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()

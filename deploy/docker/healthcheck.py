"""Check the health of the server running in this container, for Docker's HEALTHCHECK.

The server kind and port are read from the command line of process 1, which the
entrypoint replaces with ``spaceone run grpc-server ... -p PORT`` or
``spaceone run rest-server ... -p PORT``:

- gRPC: grpc.health.v1.Health/Check on 127.0.0.1, healthy when SERVING.
- REST: HTTP GET of spaceone-core's health route /check, healthy on status 200.

When process 1 is an init such as tini, set SPACEONE_HEALTHCHECK_KIND (grpc or
rest). SPACEONE_PORT gives the port when process 1 has no ``-p`` argument.
SPACEONE_HEALTH_SERVICE names the gRPC service to check (default "": the server).
Kubernetes ignores HEALTHCHECK and uses the chart's probes instead.

Exit status: 0 healthy, 1 unhealthy.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORTS = {"grpc": 50051, "rest": 8000}
TIMEOUT_SECONDS = 3
REST_HEALTH_PATH = "/check"


def detect_server(cmdline: list[str], environment: dict) -> tuple[str, int]:
    """Return (kind, port) of the server from process 1's arguments and the environment."""
    kind = environment.get("SPACEONE_HEALTHCHECK_KIND", "")
    if not kind:
        kind = "rest" if "rest-server" in cmdline else "grpc"

    port = environment.get("SPACEONE_PORT", "")
    # click keeps the last -p, so the last one is the port the server uses.
    for position, argument in enumerate(cmdline[:-1]):
        if argument == "-p":
            port = cmdline[position + 1]

    return kind, int(port) if port else DEFAULT_PORTS.get(kind, 50051)


def check_grpc(port: int, service: str = "") -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            print(f"healthcheck: gRPC health check on port {port} failed: {error.code().name}", file=sys.stderr)
            return False

    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        print(f"healthcheck: gRPC server on port {port} is {status}", file=sys.stderr)
        return False
    return True


def check_rest(port: int) -> bool:
    url = f"http://127.0.0.1:{port}{REST_HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: GET {url} failed: {error}", file=sys.stderr)
        return False


def main() -> int:
    try:
        with open("/proc/1/cmdline", "rb") as stream:
            cmdline = [argument.decode(errors="replace") for argument in stream.read().split(b"\0") if argument]
    except OSError:
        cmdline = []

    try:
        kind, port = detect_server(cmdline, dict(os.environ))
    except ValueError:
        print("healthcheck: the port of the server is not a number; set SPACEONE_PORT", file=sys.stderr)
        return 1

    if kind == "rest":
        healthy = check_rest(port)
    elif kind == "grpc":
        healthy = check_grpc(port, os.environ.get("SPACEONE_HEALTH_SERVICE", ""))
    else:
        print(f"healthcheck: SPACEONE_HEALTHCHECK_KIND must be grpc or rest, got {kind!r}", file=sys.stderr)
        return 1

    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark verify against the gRPC health check, with and without the cache.

Starts its own SecantusDB, redis-server and two gRPC servers on loopback (one
with the Redis cache, one with it switched off, sharing the database), loads
1,000 and then 100,000 keys, and prints throughput and p50/p99 latency of:

- the gRPC health check on the cached server (the no-op baseline),
- verify with the cache,
- verify with the cache switched off,

with the ratios the project is held to, the servers' resident memory, the Redis
memory of one cached record, and whether list and stat queries use an index.
Keys are inserted straight into MongoDB: verify reads records, not signatures,
and signing 100,000 keys through create would take minutes.

    .venv/bin/python bench/verify.py [--seconds 5] [--threads 8] [--profile]
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import grpc
import psutil
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import stack  # noqa: E402

from spaceone.api_key.proto import api_key_pb2 as pb  # noqa: E402
from spaceone.api_key.proto import api_key_pb2_grpc  # noqa: E402

DOMAIN_ID = "domain-bench"
STATES = ("ENABLED", "DISABLED")


def insert_keys(collection, count: int, start: int) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    ids = [f"api-key-{index:012x}" for index in range(start, start + count)]
    batch = []
    for index, api_key_id in enumerate(ids):
        batch.append({
            "api_key_id": api_key_id, "name": f"bench {index}", "state": "ENABLED", "owner_type": "USER",
            "user_id": f"user-{index % 500}", "domain_id": DOMAIN_ID, "created_at": now,
            "expired_at": now + datetime.timedelta(days=300),
        })
        if len(batch) == 5000:
            collection.insert_many(batch, ordered=False)
            batch = []
    if batch:
        collection.insert_many(batch, ordered=False)
    return ids


def cpu_seconds(processes: dict) -> dict:
    return {name: sum(process.cpu_times()[:2]) for name, process in processes.items()}


def run_load(make_call, threads: int, seconds: float, processes: dict | None = None) -> dict:
    """Call make_call() from threads for seconds; return throughput, latency percentiles and CPU per call.

    processes maps a name to a psutil.Process whose user and system CPU time is
    counted over the run and divided by the number of calls.
    """
    processes = processes or {}
    cpu_before = cpu_seconds(processes)
    latencies = [[] for _ in range(threads)]
    errors = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(slot: int):
        call = make_call()
        own = latencies[slot]
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                call()
            except grpc.RpcError:
                errors[slot] += 1
            own.append(time.perf_counter() - started)

    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started

    merged = sorted(value for own in latencies for value in own)
    cpu_after = cpu_seconds(processes)
    return {
        "cpu_us_per_call": {name: (cpu_after[name] - cpu_before[name]) / len(merged) * 1e6 for name in processes},
        "calls_per_second": len(merged) / elapsed,
        "p50_ms": statistics.quantiles(merged, n=100)[49] * 1000,
        "p99_ms": statistics.quantiles(merged, n=100)[98] * 1000,
        "errors": sum(errors),
    }


def health_call(address: str):
    def make():
        stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
        request = health_pb2.HealthCheckRequest()
        return lambda: stub.Check(request, timeout=10)
    return make


def verify_call(service, ids: list[str]):
    """Verify as the platform's services do: with the system token."""
    metadata = (("token", service.system_token),)

    def make():
        stub = api_key_pb2_grpc.APIKeyStub(grpc.insecure_channel(service.address))
        requests = [
            pb.VerifyAPIKeyRequest(api_key_id=api_key_id, api_key_type="USER",
                                   user_id=f"user-{int(api_key_id[-12:], 16) % 500}", domain_id=DOMAIN_ID)
            for api_key_id in ids
        ]
        return lambda: stub.verify(random.choice(requests), metadata=metadata, timeout=10)
    return make


def wait_until_idle(process, limit_seconds: float = 60) -> None:
    """Wait until the database stops working off the bulk insert, so it does not load the measurement."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline and process.cpu_percent(interval=1.0) > 5:
        pass


def profile_server(service, ids, threads: int, seconds: float, output: Path) -> None:
    """Sample the cached server with py-spy while verify runs, and print where it holds the GIL."""
    import collections
    import shutil
    import subprocess

    py_spy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or shutil.which("py-spy")
    if py_spy is None:
        print("  py-spy is not installed (pip install py-spy); no profile taken")
        return
    warm_up(service, ids)  # the records of earlier measurements may have outlived their TTL
    sampler = subprocess.Popen([py_spy, "record", "--gil", "--format", "raw", "--rate", "200", "--duration",
                                str(int(seconds)), "--output", str(output), "--pid", str(service.process.pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_load(verify_call(service, ids), threads, seconds)
    sampler.wait()

    inclusive = collections.Counter()
    total = 0
    for line in output.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack_text.split(";")):
            inclusive[frame.split(" (")[0]] += int(count)
    print(f"  samples holding the GIL: {total}; functions by share of them (raw profile in {output}):")
    for frame, count in inclusive.most_common(40):
        if 0.03 <= count / total < 0.99:
            print(f"    {100 * count / total:5.1f}%  {frame}")


def print_row(label: str, result: dict) -> None:
    cpu = " ".join(f"{name} {value:.0f}" for name, value in result["cpu_us_per_call"].items())
    print(f"  {label:<28} {result['calls_per_second']:>9.0f}/s  p50 {result['p50_ms']:6.2f} ms  "
          f"p99 {result['p99_ms']:6.2f} ms  errors {result['errors']}  CPU us/call: {cpu}")


def warm_up(service, ids: list[str]) -> None:
    """Verify every key once, so that the cache contains them and last_accessed_at is written."""
    stub = api_key_pb2_grpc.APIKeyStub(grpc.insecure_channel(service.address))
    for api_key_id in ids:
        stub.verify(pb.VerifyAPIKeyRequest(api_key_id=api_key_id, api_key_type="USER", domain_id=DOMAIN_ID,
                                           user_id=f"user-{int(api_key_id[-12:], 16) % 500}"),
                    metadata=(("token", service.system_token),), timeout=10)


def measure(cached, uncached, ids, threads, seconds, processes) -> dict:
    # The figures are of the steady state: every key cached, its access time written.
    warm_up(cached, ids)
    warm_up(uncached, ids)
    cached_processes = {key: value for key, value in processes.items() if key != "uncached server"}
    uncached_processes = {key: value for key, value in processes.items() if key != "cached server"}
    results = {
        "health": run_load(health_call(cached.address), threads, seconds, cached_processes),
        "cached": run_load(verify_call(cached, ids), threads, seconds, cached_processes),
        "uncached": run_load(verify_call(uncached, ids), threads, seconds, uncached_processes),
    }
    print_row("health check (no-op)", results["health"])
    print_row("verify, cache", results["cached"])
    print_row("verify, cache off", results["uncached"])
    print(f"  cached verify / health check:   {results['cached']['calls_per_second'] / results['health']['calls_per_second']:.2f}  (target >= 0.7)")
    print(f"  cached verify / uncached verify: {results['cached']['calls_per_second'] / results['uncached']['calls_per_second']:.2f}  (target >= 3)")
    return results


def check_indexes(database) -> None:
    queries = {
        "list domain": {"domain_id": DOMAIN_ID},
        "list domain+state": {"domain_id": DOMAIN_ID, "state": "ENABLED"},
        "list domain+user": {"domain_id": DOMAIN_ID, "user_id": "user-7"},
        "list domain+state+user": {"domain_id": DOMAIN_ID, "state": "ENABLED", "user_id": "user-7"},
    }
    for label, query in queries.items():
        plan = database.api_key.find(query).sort([("created_at", -1), ("api_key_id", 1)]).explain()
        print(f"  {label:<28} {'COLLSCAN' if 'COLLSCAN' in str(plan['queryPlanner']['winningPlan']) else 'index'}")
    plan = database.command("explain", {"aggregate": "api_key", "cursor": {}, "pipeline": [
        {"$match": {"domain_id": DOMAIN_ID, "state": "ENABLED", "user_id": "user-7"}},
        {"$group": {"_id": "$state", "count": {"$sum": 1}}}]})
    print(f"  {'stat domain+state+user':<28} {'COLLSCAN' if 'COLLSCAN' in str(plan) else 'index'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement, in seconds")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--hot-keys", type=int, default=1000, help="keys the verify load picks from")
    parser.add_argument("--profile", action="store_true", help="also sample the cached server with py-spy")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    mongo = stack.MongoServer(work / "mongo", password=uuid.uuid4().hex).start()
    redis_server = stack.RedisServer().start()
    cached = stack.GRPCService(stack.write_config(work / "cached.yml", mongo, redis_server),
                               log_path=work / "cached.log").start()
    uncached = stack.GRPCService(stack.write_config(work / "uncached.yml", mongo, redis_server, API_KEY_CACHE_ENABLED=False),
                                 log_path=work / "uncached.log").start()
    client = MongoClient(mongo.uri, username=stack.DB_USER, password=mongo.password)
    database = client[stack.DB_NAME]
    try:
        print(f"machine: {os.cpu_count()} cores; client threads: {args.threads}; {args.seconds:.0f} s per measurement")
        processes = {
            "client": psutil.Process(),
            "cached server": psutil.Process(cached.process.pid),
            "uncached server": psutil.Process(uncached.process.pid),
            "redis": psutil.Process(redis_server.process.pid),
            "mongodb": psutil.Process(mongo.process.pid),
        }
        ids = insert_keys(database.api_key, 1000, 0)
        print("1,000 keys:")
        small = measure(cached, uncached, ids[: args.hot_keys], args.threads, args.seconds, processes)

        insert_keys(database.api_key, 99_000, 1000)
        wait_until_idle(processes["mongodb"])
        print("100,000 keys:")
        hot = random.sample(ids, min(args.hot_keys, len(ids)))
        large = measure(cached, uncached, hot, args.threads, args.seconds, processes)
        for kind in ("cached", "uncached"):
            ratio = large[kind]["p50_ms"] / small[kind]["p50_ms"]
            print(f"  p50 latency of verify ({kind}), 100,000 / 1,000 keys: {ratio:.2f}  (target within 1.15)")

        if args.profile:
            print("profile of the cached server during cached verify:")
            profile_server(cached, hot, args.threads, args.seconds, work / "profile.txt")

        print("memory:")
        for label, service in (("cached server", cached), ("uncached server", uncached)):
            rss = psutil.Process(service.process.pid).memory_info().rss / 2**20
            print(f"  {label:<28} {rss:6.1f} MB resident  (target < 200 MB)")
        redis_client = redis.Redis(host=stack.HOST, port=redis_server.port)
        sample_key = next(redis_client.scan_iter("identity:api-key:*", count=1000))
        print(f"  one cached verify record     {redis_client.memory_usage(sample_key)} bytes in Redis  (target < 512)")
        print("indexes (explain):")
        check_indexes(database)
    finally:
        client.close()
        for process in (cached, uncached, redis_server, mongo):
            process.stop()


if __name__ == "__main__":
    main()

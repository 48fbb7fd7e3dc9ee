"""The Redis cache in front of verify: coherence across replicas, races, expiry, access writes and outages."""

import datetime
import threading
import time

import grpc
import pytest

import stack
from helpers import Secret, call, call_error, channel_with_token, create_key, verify_request
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc


def record_key(domain_id: str, api_key_id: str) -> str:
    return f"identity:api-key:{domain_id}:{api_key_id}"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def test_verify_fills_small_record_without_secrets(stub, redis_client, domain_id):
    info = create_key(stub, domain_id)

    call(stub, "verify", verify_request(domain_id, info.api_key_id))

    key = record_key(domain_id, info.api_key_id)
    cached = redis_client.get(key)
    assert cached is not None
    assert redis_client.memory_usage(key) < 512
    assert 0 < redis_client.ttl(key) <= 30
    assert info.api_key.rsplit(".", 1)[1].encode() not in cached
    assert b"ENABLED" in cached


def test_cached_verify_answers_like_uncached(stub, redis_client, domain_id):
    info = create_key(stub, domain_id)

    first = call(stub, "verify", verify_request(domain_id, info.api_key_id))
    assert redis_client.exists(record_key(domain_id, info.api_key_id))
    second = call(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert first == second


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_change_on_one_replica_seen_by_other(stub, second_stub, redis_client, domain_id, change):
    info = create_key(stub, domain_id)
    call(second_stub, "verify", verify_request(domain_id, info.api_key_id))
    assert redis_client.exists(record_key(domain_id, info.api_key_id))

    call(stub, change, pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    error = call_error(second_stub, "verify", verify_request(domain_id, info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ("disabled" if change == "disable" else "not found") in error.details()


def test_enable_on_one_replica_seen_by_other(stub, second_stub, domain_id):
    info = create_key(stub, domain_id)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)
    call(stub, "disable", request)
    call_error(second_stub, "verify", verify_request(domain_id, info.api_key_id))

    call(stub, "enable", request)
    verified = call(second_stub, "verify", verify_request(domain_id, info.api_key_id))

    assert verified.state == pb.APIKeyInfo.ENABLED


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_no_verify_after_change_succeeds_under_load(stub, second_stub, domain_id, change):
    """Threads verify on both replicas while the key is revoked; none sent after the change returned may pass."""
    info = create_key(stub, domain_id)
    request = verify_request(domain_id, info.api_key_id)
    revoked_at = [None]
    violations = []
    successes_before = [0]
    stop_at = time.monotonic() + 20

    def hammer(target_stub):
        while time.monotonic() < stop_at:
            sent_at = time.monotonic()
            try:
                target_stub.verify(request, timeout=10)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                    violations.append(f"unexpected {error.code()}")
                if revoked_at[0] is not None and sent_at > revoked_at[0] + 1:
                    return
                continue
            if revoked_at[0] is not None and sent_at > revoked_at[0]:
                violations.append(f"verify sent {sent_at - revoked_at[0]:.4f} s after the change succeeded")
            else:
                successes_before[0] += 1

    threads = [threading.Thread(target=hammer, args=(target,)) for target in (stub, second_stub) * 4]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    call(stub, change, pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    revoked_at[0] = time.monotonic()
    for thread in threads:
        thread.join(timeout=30)

    assert successes_before[0] > 0
    assert violations == []


def test_expired_cached_record_rejected(stub, redis_client, domain_id):
    expiry = (utc_now() + datetime.timedelta(seconds=3)).isoformat(timespec="milliseconds") + "Z"
    info = create_key(stub, domain_id, expired_at=expiry)
    call(stub, "verify", verify_request(domain_id, info.api_key_id))
    time.sleep(3.2)

    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert redis_client.exists(record_key(domain_id, info.api_key_id))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()


def test_enable_does_not_revive_expired_cached_key(stub, domain_id):
    expiry = (utc_now() + datetime.timedelta(seconds=2)).isoformat(timespec="milliseconds") + "Z"
    info = create_key(stub, domain_id, expired_at=expiry)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)
    call(stub, "verify", verify_request(domain_id, info.api_key_id))
    call(stub, "disable", request)
    time.sleep(2.2)

    call(stub, "enable", request)
    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert "expired" in error.details()


def test_last_access_written_once_per_interval(stub, second_stub, db, domain_id):
    info = create_key(stub, domain_id)

    for _ in range(5):
        call(stub, "verify", verify_request(domain_id, info.api_key_id))
        call(second_stub, "verify", verify_request(domain_id, info.api_key_id))
    first_write = db.api_key.find_one({"api_key_id": info.api_key_id})["last_accessed_at"]
    time.sleep(0.05)
    for _ in range(5):
        call(second_stub, "verify", verify_request(domain_id, info.api_key_id))
        call(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert first_write is not None
    assert db.api_key.find_one({"api_key_id": info.api_key_id})["last_accessed_at"] == first_write


@pytest.fixture
def short_interval_stack(tmp_path, mongo):
    """A replica of its own with its own Redis and a 1-second last-access interval."""
    redis_server = stack.RedisServer(log_path=tmp_path / "redis.log").start()
    config_path = stack.write_config(tmp_path / "grpc.yml", mongo, redis_server, API_KEY_LAST_ACCESS_INTERVAL_SECONDS=1)
    service = stack.GRPCService(config_path, log_path=tmp_path / "grpc.log").start()
    channel = channel_with_token(service.address, Secret(service.system_token))
    yield api_key_pb2_grpc.APIKeyStub(channel), redis_server, service, tmp_path
    channel.close()
    service.stop()
    redis_server.stop()


def test_last_access_no_older_than_interval(short_interval_stack, db, domain_id):
    stub, _, _, _ = short_interval_stack
    info = create_key(stub, domain_id)
    call(stub, "verify", verify_request(domain_id, info.api_key_id))
    first_write = db.api_key.find_one({"api_key_id": info.api_key_id})["last_accessed_at"]

    time.sleep(1.1)
    call(stub, "verify", verify_request(domain_id, info.api_key_id))
    got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))

    assert got.last_accessed_at > first_write.isoformat(timespec="milliseconds") + "Z"


def test_redis_outage_falls_back_and_recovers(short_interval_stack, db, domain_id):
    import redis

    stub, redis_server, service, tmp_path = short_interval_stack
    client = redis.Redis(host=stack.HOST, port=redis_server.port)
    revoked = create_key(stub, domain_id)
    deleted = create_key(stub, domain_id)
    kept = create_key(stub, domain_id)
    for info in (revoked, deleted, kept):
        call(stub, "verify", verify_request(domain_id, info.api_key_id))

    redis_server.stop()
    during = [call(stub, "verify", verify_request(domain_id, kept.api_key_id)) for _ in range(20)]
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=revoked.api_key_id))
    call(stub, "delete", pb.APIKeyRequest(domain_id=domain_id, api_key_id=deleted.api_key_id))
    disabled_during = call_error(stub, "verify", verify_request(domain_id, revoked.api_key_id))
    created_during = create_key(stub, domain_id)
    listed_during = call(stub, "list", pb.APIKeySearchQuery(domain_id=domain_id))

    redis_server.start()
    time.sleep(1.2)  # the back-off before Redis is tried again
    after = call(stub, "verify", verify_request(domain_id, kept.api_key_id))
    disabled_after = call_error(stub, "verify", verify_request(domain_id, revoked.api_key_id))
    deleted_after = call_error(stub, "verify", verify_request(domain_id, deleted.api_key_id))
    cached_again = client.exists(record_key(domain_id, kept.api_key_id))
    client.close()

    log = (tmp_path / "grpc.log").read_text()
    assert all(answer.api_key_id == kept.api_key_id for answer in during)
    assert disabled_during.code() == grpc.StatusCode.UNAUTHENTICATED
    assert created_during.api_key_id
    assert listed_during.total_count == 3
    assert after.api_key_id == kept.api_key_id
    assert "disabled" in disabled_after.details()
    assert "not found" in deleted_after.details()
    assert cached_again == 1
    assert log.count("Redis is unreachable") == 1
    assert log.count("Redis is reachable again") == 1

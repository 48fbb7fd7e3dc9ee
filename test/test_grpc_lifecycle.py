"""The server as a process: restarts, its time zone, a MongoDB outage and reflection clients."""

import datetime
import time
import uuid

import grpc
import pytest
from spaceone.core import pygrpc

import stack
from helpers import Secret, call, call_error, channel_with_token, create_key, token_metadata, verify_request
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc


@pytest.fixture
def own_mongo(tmp_path):
    server = stack.MongoServer(tmp_path / "mongo", password=uuid.uuid4().hex).start()
    yield server
    server.stop()


def start_service(tmp_path, mongo, name="grpc", env=None, port=None) -> stack.GRPCService:
    config_path = stack.write_config(tmp_path / f"{name}.yml", mongo)
    return stack.GRPCService(config_path, port=port, log_path=tmp_path / f"{name}.log", env=env).start()


def open_stub(service: stack.GRPCService):
    channel = channel_with_token(service.address, Secret(service.system_token))
    grpc.channel_ready_future(channel).result(timeout=30)
    return channel, api_key_pb2_grpc.APIKeyStub(channel)


def test_restart_keeps_keys(tmp_path, own_mongo, domain_id):
    service = start_service(tmp_path, own_mongo)
    channel, stub = open_stub(service)
    info = create_key(stub, domain_id, name="durable")
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    channel.close()
    service.stop()
    own_mongo.stop()

    own_mongo.start()
    service = start_service(tmp_path, own_mongo, port=service.port)
    channel, stub = open_stub(service)
    try:
        got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
        error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))
        call(stub, "enable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
        verified = call(stub, "verify", verify_request(domain_id, info.api_key_id))
    finally:
        channel.close()
        service.stop()

    assert got.name == "durable"
    assert got.state == pb.APIKeyInfo.DISABLED
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert verified.api_key_id == info.api_key_id


@pytest.mark.parametrize("time_zone", ["Asia/Seoul", "America/Los_Angeles"])
def test_time_zone_of_server_changes_nothing(tmp_path, own_mongo, domain_id, time_zone):
    date = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=10)).date().isoformat()
    services = [
        start_service(tmp_path, own_mongo, name="utc", env={"TZ": "UTC"}),
        start_service(tmp_path, own_mongo, name="local", env={"TZ": time_zone}),
    ]
    answers = []
    try:
        for service in services:
            channel, stub = open_stub(service)
            info = create_key(stub, domain_id, expired_at=f"{date}T08:00:00")
            verified = call(stub, "verify", verify_request(domain_id, info.api_key_id))
            answers.append((info.expired_at, verified.expired_at, info.created_at[:13]))
            channel.close()
    finally:
        for service in services:
            service.stop()

    assert answers[0][0] == answers[1][0] == f"{date}T08:00:00.000Z"
    assert answers[0][1] == answers[1][1] == f"{date}T08:00:00.000Z"
    assert answers[0][2] == answers[1][2]


def test_mongodb_outage_unavailable_then_recovers(tmp_path, own_mongo, domain_id):
    service = start_service(tmp_path, own_mongo)
    channel, stub = open_stub(service)
    try:
        info = create_key(stub, domain_id)
        own_mongo.stop()

        started = time.monotonic()
        error = call_error(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
        elapsed = time.monotonic() - started
        create_error = call_error(stub, "create", pb.CreateAPIKeyRequest(domain_id=domain_id, user_id="user-1"))

        own_mongo.start()
        got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    finally:
        channel.close()
        service.stop()

    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert create_error.code() == grpc.StatusCode.UNAVAILABLE
    assert "database is unavailable" in error.details()
    # Bounded by the configured server selection timeout (3 s), with room for a slow machine.
    assert elapsed < 20
    assert got.api_key_id == info.api_key_id
    warnings = [line for line in (tmp_path / "grpc.log").read_text().splitlines()
                if "[WARNING]" in line and "MongoDB is unreachable" in line]
    assert len(warnings) == 1


def test_reflection_client_call_sequence(grpc_service, system_token, db, domain_id):
    """The platform's reflection-based client needs no stubs of its own."""
    client = pygrpc.client(endpoint=grpc_service.address)
    api_key = client.APIKey
    metadata = token_metadata(system_token)

    created = api_key.create({"user_id": "user-1", "domain_id": domain_id, "name": "reflected"}, metadata=metadata)
    verify = {"api_key_id": created.api_key_id, "api_key_type": "USER", "user_id": "user-1", "domain_id": domain_id}
    key_request = {"api_key_id": created.api_key_id, "domain_id": domain_id}

    verified = api_key.verify(verify, metadata=metadata)
    disabled = api_key.disable(key_request, metadata=metadata)
    with pytest.raises(Exception) as rejected:
        api_key.verify(verify, metadata=metadata)
    enabled = api_key.enable(key_request, metadata=metadata)
    listed = api_key.list({"domain_id": domain_id}, metadata=metadata)
    counted = api_key.stat(
        {"domain_id": domain_id, "query": {"aggregate": [{"count": {"name": "total"}}]}}, metadata=metadata
    )
    api_key.delete(key_request, metadata=metadata)

    assert created.api_key.count(".") == 2
    assert verified.state == created.state
    assert disabled.state == pb.APIKeyInfo.DISABLED
    assert getattr(rejected.value, "status_code", None) == "UNAUTHENTICATED"
    assert enabled.state == pb.APIKeyInfo.ENABLED
    assert [result.api_key_id for result in listed.results] == [created.api_key_id]
    assert counted["results"][0]["total"] == 1
    assert db.api_key.count_documents({"domain_id": domain_id}) == 0


def test_health_service_serving(grpc_service):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(grpc_service.address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)

    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_server_listens_on_loopback_only(grpc_service):
    import subprocess

    sockets = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
    lines = [line for line in sockets.splitlines() if f":{grpc_service.port} " in line]

    local_addresses = [line.split()[3] for line in lines]
    assert local_addresses, sockets
    # grpc may report the IPv4 loopback as the IPv4-mapped [::ffff:127.0.0.1].
    assert all(address.rsplit(":", 1)[0] in ("127.0.0.1", "[::ffff:127.0.0.1]") for address in local_addresses)


@pytest.mark.parametrize("setting, value, named", [
    ("API_KEY_MAX_TTL_DAYS", 0, "API_KEY_MAX_TTL_DAYS"),
    ("API_KEY_CACHE_TTL_SECONDS", "thirty", "API_KEY_CACHE_TTL_SECONDS"),
    ("DATABASES", {"default": {"host": "127.0.0.1:27017", "db": "identity", "username": "u"}}, "DATABASES.default.host"),
])
def test_invalid_configuration_stops_server(tmp_path, own_mongo, setting, value, named):
    config_path = stack.write_config(tmp_path / "bad.yml", own_mongo, **{setting: value})
    log_path = tmp_path / "bad.log"
    service = stack.GRPCService(config_path, log_path=log_path)

    # spaceone-core rejects a value whose type differs from the default's (exit 1);
    # this service's validation rejects the rest (exit 2). Both name the key.
    try:
        with pytest.raises(RuntimeError, match="exited with code [12] before listening"):
            service.start(timeout=60)
    finally:
        service.stop()

    assert named in log_path.read_text()


def test_invalid_configuration_stops_rest_server(tmp_path, own_mongo):
    config_path = stack.write_config(tmp_path / "bad.yml", own_mongo, API_KEY_MAX_TTL_DAYS=400)
    log_path = tmp_path / "rest.log"
    service = stack.RESTService(config_path, log_path=log_path)

    try:
        with pytest.raises(RuntimeError, match="exited with code [1-9]"):
            service.start(timeout=60)
    finally:
        service.stop()

    assert "API_KEY_MAX_TTL_DAYS" in log_path.read_text()


def test_start_keeps_conflicting_existing_index(tmp_path, own_mongo, domain_id):
    """An index made elsewhere with other options must not stop the server from starting."""
    from pymongo import MongoClient

    client = MongoClient(own_mongo.uri, username=stack.DB_USER, password=own_mongo.password)
    client[stack.DB_NAME].api_key.create_index([("api_key_id", 1)], name="api_key_id_1")
    client.close()

    service = start_service(tmp_path, own_mongo)
    channel, stub = open_stub(service)
    try:
        info = create_key(stub, domain_id)
        verified = call(stub, "verify", verify_request(domain_id, info.api_key_id))
    finally:
        channel.close()
        service.stop()

    assert verified.api_key_id == info.api_key_id
    assert "Kept an existing index of api_key" in (tmp_path / "grpc.log").read_text()

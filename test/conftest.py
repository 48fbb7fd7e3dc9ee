"""Fixtures that start real servers on loopback: SecantusDB and the service's gRPC server.

The servers live for the whole session; each test works in a domain of its own,
so tests do not see each other's keys.
"""

import sys
import uuid
from pathlib import Path

import grpc
import pytest
from pymongo import MongoClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "test"))

import stack  # noqa: E402
from helpers import DefaultTokenInterceptor, Secret  # noqa: E402

from spaceone.api_key.proto import api_key_pb2_grpc  # noqa: E402


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def mongo(state_dir):
    server = stack.MongoServer(state_dir / "mongo", password=uuid.uuid4().hex).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def db(mongo):
    """The service's database, read directly to check the state a call leaves behind."""
    client = MongoClient(mongo.uri, username=stack.DB_USER, password=mongo.password, serverSelectionTimeoutMS=5000)
    yield client[stack.DB_NAME]
    client.close()


@pytest.fixture(scope="session")
def redis_server(state_dir):
    server = stack.RedisServer(log_path=state_dir / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_client(redis_server):
    import redis

    client = redis.Redis(host=stack.HOST, port=redis_server.port)
    yield client
    client.close()


@pytest.fixture(scope="session")
def grpc_service(state_dir, mongo, redis_server):
    config_path = stack.write_config(state_dir / "grpc.yml", mongo, redis_server)
    service = stack.GRPCService(config_path, log_path=state_dir / "grpc-server.log").start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def second_grpc_service(state_dir, mongo, redis_server, grpc_service):
    """Another replica sharing MongoDB, Redis and the SYSTEM_TOKEN with grpc_service."""
    config_path = stack.write_config(
        state_dir / "grpc-2.yml", mongo, redis_server, SYSTEM_TOKEN=grpc_service.system_token
    )
    service = stack.GRPCService(config_path, log_path=state_dir / "grpc-server-2.log").start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def second_stub(second_grpc_service, system_token):
    with grpc.insecure_channel(second_grpc_service.address) as grpc_channel:
        grpc.channel_ready_future(grpc_channel).result(timeout=30)
        yield api_key_pb2_grpc.APIKeyStub(grpc.intercept_channel(grpc_channel, DefaultTokenInterceptor(system_token)))


@pytest.fixture(scope="session")
def system_token(grpc_service) -> Secret:
    """The server's SYSTEM_TOKEN: the platform's credential, allowed every method in every domain."""
    return Secret(grpc_service.system_token)


@pytest.fixture(scope="session")
def bare_channel(grpc_service):
    """A channel that sends only the metadata each call gives, for tests of authentication."""
    with grpc.insecure_channel(grpc_service.address) as grpc_channel:
        grpc.channel_ready_future(grpc_channel).result(timeout=30)
        yield grpc_channel


@pytest.fixture(scope="session")
def channel(bare_channel, system_token):
    """A channel that sends the SYSTEM token with every call that sends no token itself."""
    return grpc.intercept_channel(bare_channel, DefaultTokenInterceptor(system_token))


@pytest.fixture(scope="session")
def stub(channel):
    return api_key_pb2_grpc.APIKeyStub(channel)


@pytest.fixture
def domain_id() -> str:
    return f"domain-{uuid.uuid4().hex[:12]}"

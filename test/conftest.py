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
from rest_support import RESTClient, Tokens, handler_settings, server_env  # noqa: E402

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


# --- REST tests ------------------------------------------------------------------------------
# The REST servers run the service's handlers between the test handlers of
# rest_auth_handlers.py, with a SYSTEM_TOKEN that rest_support.Tokens makes anew
# for each session.


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(scope="session")
def authenticated_config_path(state_dir, mongo, tokens) -> Path:
    return stack.write_config(state_dir / "authenticated.yml", mongo, **handler_settings(tokens))


@pytest.fixture(scope="session")
def rest_server(state_dir, authenticated_config_path):
    server = stack.RESTService(authenticated_config_path, log_path=state_dir / "rest-server.log", env=server_env())
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def authenticated_grpc_service(state_dir, authenticated_config_path):
    """A gRPC server sharing the REST server's handlers, SYSTEM_TOKEN and database."""
    service = stack.GRPCService(
        authenticated_config_path, log_path=state_dir / "grpc-authenticated.log", env=server_env()
    )
    yield service.start()
    service.stop()


@pytest.fixture(scope="session")
def api(rest_server, tokens) -> RESTClient:
    """A client of the session's REST server that sends the SYSTEM_TOKEN."""
    return RESTClient(rest_server.url, tokens.admin)


@pytest.fixture(scope="session")
def store(db):
    """The api_key collection, read directly to check what a request changed."""
    return db["api_key"]


@pytest.fixture
def make_key(api, domain_id):
    """Create a key over REST in the test's domain and return the create response."""

    def create(user_id: str = "user-1", name: str = "console") -> dict:
        response = api.post("create", {"domain_id": domain_id, "user_id": user_id, "name": name})
        assert response.status_code == 200, response.text
        return response.json()

    return create

"""The thread-pool gRPC server (GRPC_ASYNCIO: false) next to the default asyncio one."""

import grpc
import pytest

import stack
from helpers import call, call_error, create_key, verify_request
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc


@pytest.fixture(scope="module")
def threaded_stub(state_dir, mongo, redis_server):
    config_path = stack.write_config(state_dir / "grpc-threaded.yml", mongo, redis_server, GRPC_ASYNCIO=False)
    service = stack.GRPCService(config_path, log_path=state_dir / "grpc-threaded.log").start()
    metadata = (("token", service.system_token),)
    channel = grpc.insecure_channel(service.address)
    yield api_key_pb2_grpc.APIKeyStub(channel), metadata, service
    channel.close()
    service.stop()


def test_threaded_server_verifies_and_revokes(threaded_stub, domain_id):
    stub, metadata, _service = threaded_stub
    info = call(stub, "create", pb.CreateAPIKeyRequest(domain_id=domain_id, user_id="user-1"), metadata)

    verified = call(stub, "verify", verify_request(domain_id, info.api_key_id), metadata)
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id), metadata)
    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id), metadata)

    assert verified.state == pb.APIKeyInfo.ENABLED
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "disabled" in error.details()


def test_threaded_and_asyncio_replicas_agree(threaded_stub, stub, domain_id):
    threaded, metadata, _service = threaded_stub
    info = create_key(stub, domain_id)
    call(threaded, "verify", verify_request(domain_id, info.api_key_id), metadata)
    call(stub, "verify", verify_request(domain_id, info.api_key_id))

    call(threaded, "delete", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id), metadata)
    asyncio_error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))
    threaded_error = call_error(threaded, "verify", verify_request(domain_id, info.api_key_id), metadata)

    assert asyncio_error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert threaded_error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "not found" in asyncio_error.details()


def test_threaded_server_logs_its_mode(threaded_stub):
    _stub, _metadata, service = threaded_stub

    assert "mode=threads" in service.log_path.read_text()


def test_asyncio_server_logs_its_mode(grpc_service):
    assert "mode=asyncio" in grpc_service.log_path.read_text()

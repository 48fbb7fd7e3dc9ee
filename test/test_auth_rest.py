"""Authentication and authorization over REST: the access matrix of test_auth_grpc.py as HTTP statuses.

The REST server shares MongoDB, Redis and the SYSTEM_TOKEN with the session's
gRPC server, which creates the target keys. The module is skipped while this
checkout has no REST interface.
"""

import importlib.util
import json
import urllib.error
import urllib.request
import uuid

import pytest
from google.protobuf import json_format

import auth_matrix
import stack
from auth_matrix import CELL_IDS, CELLS, HTTP_STATUS, OK, OWNER_ID, UNAUTHENTICATED
from helpers import Secret

if importlib.util.find_spec("spaceone.api_key.interface.rest") is None or not hasattr(stack, "RESTService"):
    pytest.skip("this checkout has no REST interface", allow_module_level=True)

API_PREFIX = "/identity/v2/api-key"


@pytest.fixture(scope="module")
def rest_service(tmp_path_factory, mongo, redis_server, grpc_service):
    state_dir = tmp_path_factory.mktemp("rest-auth")
    config_path = stack.write_config(
        state_dir / "rest.yml", mongo, redis_server, SYSTEM_TOKEN=grpc_service.system_token
    )
    service = stack.RESTService(config_path, log_path=state_dir / "rest-server.log").start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def callers(stub, system_token, db, grpc_service):
    return auth_matrix.build_callers(stub, system_token, db, grpc_service.config_path)


def rest_outcome(rest_service, method: str, body: dict, token) -> tuple[int, str, dict]:
    """POST the body with only the given token; return (HTTP status, error message, JSON body)."""
    request = urllib.request.Request(
        f"{rest_service.url}{API_PREFIX}/{method}", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, "", json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        # Caught here so that no frame holding the request and its token is printed.
        content = json.loads(error.read() or b"{}")
        return error.code, str(content.get("detail", {}).get("message", "")), content


def message_body(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


@pytest.mark.parametrize(("caller", "method", "expected"), CELLS, ids=CELL_IDS)
def test_rest_access_matrix(rest_service, stub, db, callers, caller, method, expected):
    target = auth_matrix.create_owner_key(stub, callers.domain_id)
    cell_name = f"matrix-{uuid.uuid4().hex[:8]}"
    body = message_body(auth_matrix.request_message(method, callers.domain_id, target.api_key_id, cell_name))
    token = callers.token(caller)

    status, message, response = rest_outcome(rest_service, method, body, token)

    echoed = token is not None and token in message
    assert not echoed, "the error message contains the caller's token"
    assert status == HTTP_STATUS[expected], message
    problems = auth_matrix.check_effect(
        db, caller, method, expected, response if status == 200 else {}, callers.domain_id, target.api_key_id,
        cell_name,
    )
    assert problems == []


def test_rest_api_key_token_stops_right_after_disable(rest_service, stub, callers):
    key = auth_matrix.create_owner_key(stub, callers.domain_id, "rest-short-lived")
    token = Secret(key.api_key)
    key_request = {"domain_id": callers.domain_id, "api_key_id": key.api_key_id}

    before = rest_outcome(rest_service, "list", {}, token)
    disabled = rest_outcome(rest_service, "disable", key_request, callers.token("system_token"))
    after = rest_outcome(rest_service, "list", {}, token)

    assert before[0] == HTTP_STATUS[OK]
    assert {info["user_id"] for info in before[2]["results"]} == {OWNER_ID}
    assert disabled[0] == HTTP_STATUS[OK]
    assert after[0] == HTTP_STATUS[UNAUTHENTICATED]


def test_rest_malformed_authorization_header(rest_service, callers):
    request = urllib.request.Request(f"{rest_service.url}{API_PREFIX}/list", data=b"{}", method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Basic dXNlcjpwYXNz")

    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(request, timeout=30)

    assert rejected.value.code == HTTP_STATUS[UNAUTHENTICATED]

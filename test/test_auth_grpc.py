"""Authentication and authorization over gRPC: the access matrix, token claims and API keys as tokens."""

import base64
import json
import time
import uuid

import pytest

import auth_matrix
from auth_matrix import CELL_IDS, CELLS, DENIED, OK, OWNER_ID, OTHER_USER_ID, UNAUTHENTICATED, grpc_outcome
from helpers import Secret, jwt_claims, search_query, stat_query
from mint_token import sign_access_token
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc
from spaceone.core.auth.jwt.jwt_util import JWTUtil


@pytest.fixture(scope="module")
def bare_stub(bare_channel):
    """A stub that sends only the token each call gives."""
    return api_key_pb2_grpc.APIKeyStub(bare_channel)


@pytest.fixture(scope="module")
def callers(stub, system_token, db, grpc_service):
    return auth_matrix.build_callers(stub, system_token, db, grpc_service.config_path)


@pytest.mark.parametrize(("caller", "method", "expected"), CELLS, ids=CELL_IDS)
def test_grpc_access_matrix(bare_stub, stub, db, callers, caller, method, expected):
    target = auth_matrix.create_owner_key(stub, callers.domain_id)
    cell_name = f"matrix-{uuid.uuid4().hex[:8]}"
    request = auth_matrix.request_message(method, callers.domain_id, target.api_key_id, cell_name)
    token = callers.token(caller)

    code, details, response = grpc_outcome(bare_stub, method, request, token)

    echoed = token is not None and token in details
    assert not echoed, "the error details contain the caller's token"
    assert code == expected, details
    problems = auth_matrix.check_effect(
        db, caller, method, expected, response, callers.domain_id, target.api_key_id, cell_name
    )
    assert problems == []


def test_api_key_token_stops_right_after_disable(bare_stub, stub, callers):
    key = auth_matrix.create_owner_key(stub, callers.domain_id, "short-lived")
    token = Secret(key.api_key)
    key_request = pb.APIKeyRequest(domain_id=callers.domain_id, api_key_id=key.api_key_id)
    own_keys = pb.APIKeySearchQuery(domain_id=callers.domain_id)

    before = grpc_outcome(bare_stub, "list", own_keys, token)
    stub.disable(key_request, timeout=30)
    after_disable = grpc_outcome(bare_stub, "list", own_keys, token)
    stub.enable(key_request, timeout=30)
    after_enable = grpc_outcome(bare_stub, "list", own_keys, token)
    stub.delete(key_request, timeout=30)
    after_delete = grpc_outcome(bare_stub, "list", own_keys, token)

    assert before[0] == OK
    assert {info["user_id"] for info in before[2]["results"]} == {OWNER_ID}
    assert after_disable[0] == UNAUTHENTICATED
    assert "disabled" in after_disable[1]
    assert after_enable[0] == OK
    assert after_delete[0] == UNAUTHENTICATED


def test_api_key_token_stops_at_expiry(bare_stub, stub, callers):
    expires_at = time.time() + 3
    expired_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at))
    request = pb.CreateAPIKeyRequest(domain_id=callers.domain_id, user_id=OWNER_ID, expired_at=expired_at)
    token = Secret(stub.create(request, timeout=30).api_key)
    own_keys = pb.APIKeySearchQuery(domain_id=callers.domain_id)

    before = grpc_outcome(bare_stub, "list", own_keys, token)
    time.sleep(max(0.0, expires_at - time.time()) + 1.1)
    after = grpc_outcome(bare_stub, "list", own_keys, token)

    assert before[0] == OK
    assert after[0] == UNAUTHENTICATED


def test_api_key_token_records_last_access(bare_stub, stub, db, callers):
    key = auth_matrix.create_owner_key(stub, callers.domain_id, "accessed")

    code, _details, _response = grpc_outcome(bare_stub, "list", search_query(), Secret(key.api_key))

    assert code == OK
    assert db.api_key.find_one({"api_key_id": key.api_key_id})["last_accessed_at"] is not None


def test_missing_domain_id_taken_from_token(bare_stub, callers):
    admin = callers.token("domain_admin")

    created = grpc_outcome(bare_stub, "create", pb.CreateAPIKeyRequest(name="no-domain"), admin)
    listed = grpc_outcome(bare_stub, "list", search_query(), callers.token("key_owner"))

    assert created[0] == OK
    assert created[2]["domain_id"] == callers.domain_id
    assert created[2]["user_id"] == auth_matrix.ADMIN_ID
    assert listed[0] == OK
    assert {info["domain_id"] for info in listed[2]["results"]} == {callers.domain_id}
    assert {info["user_id"] for info in listed[2]["results"]} == {OWNER_ID}


def test_system_token_needs_domain_id(bare_stub, callers):
    code, details, _response = grpc_outcome(bare_stub, "list", search_query(), callers.token("system_token"))

    assert code == "INVALID_ARGUMENT"
    assert "domain_id" in details


def test_user_sees_only_own_keys(bare_stub, callers):
    bob = callers.token("other_user_same_domain")

    created = grpc_outcome(bare_stub, "create", pb.CreateAPIKeyRequest(name="bob's"), bob)
    listed = grpc_outcome(bare_stub, "list", search_query(), bob)
    counted = grpc_outcome(bare_stub, "stat", stat_query(query={"distinct": "user_id"}), bob)
    widened = grpc_outcome(
        bare_stub, "list", search_query(query={"filter": [{"k": "user_id", "v": OWNER_ID, "o": "eq"}]}), bob
    )
    admin_view = grpc_outcome(bare_stub, "stat", stat_query(query={"distinct": "user_id"}), callers.token("domain_admin"))

    assert created[0] == OK
    assert created[2]["user_id"] == OTHER_USER_ID
    assert [info["api_key_id"] for info in listed[2]["results"]] == [created[2]["api_key_id"]]
    assert counted[2]["results"] == [OTHER_USER_ID]
    assert widened[0] == OK
    assert widened[2].get("results", []) == []
    assert OWNER_ID in admin_view[2]["results"]
    assert OTHER_USER_ID in admin_view[2]["results"]


def test_domain_admin_manages_other_users_keys(bare_stub, stub, db, callers):
    admin = callers.token("domain_admin")
    key = auth_matrix.create_owner_key(stub, callers.domain_id, "managed")
    key_request = pb.APIKeyRequest(domain_id=callers.domain_id, api_key_id=key.api_key_id)

    created = grpc_outcome(bare_stub, "create", pb.CreateAPIKeyRequest(user_id=OTHER_USER_ID), admin)
    disabled = grpc_outcome(bare_stub, "disable", key_request, admin)

    assert created[0] == OK
    assert created[2]["user_id"] == OTHER_USER_ID
    assert disabled[0] == OK
    assert db.api_key.find_one({"api_key_id": key.api_key_id})["state"] == "DISABLED"


def test_unknown_domain_creates_no_key_pair(bare_stub, db):
    domain_id = f"domain-unknown-{uuid.uuid4().hex[:12]}"
    foreign_key = JWTUtil.generate_jwk()[0]
    token = Secret(sign_access_token(foreign_key, domain_id=domain_id, user_id=OWNER_ID, role_type="DOMAIN_ADMIN"))

    code, details, _response = grpc_outcome(bare_stub, "list", search_query(), token)

    assert code == UNAUTHENTICATED
    assert "unknown" in details
    assert db.domain_secret.count_documents({"domain_id": domain_id}) == 0


@pytest.mark.parametrize("change", ["append", "truncate", "other"])
def test_wrong_system_token_rejected(bare_stub, callers, change):
    system_token = callers.token("system_token")
    wrong = {
        "append": system_token + "x",
        "truncate": system_token[:-1],
        "other": "x" * len(system_token),
    }[change]
    request = pb.APIKeySearchQuery(domain_id=callers.domain_id)

    code, _details, _response = grpc_outcome(bare_stub, "list", request, Secret(wrong))

    assert code == UNAUTHENTICATED


REMOVE = object()

# Each case changes the claims of a valid DOMAIN_ADMIN access token signed with
# the domain's own key. OWNER_KEY_ID stands for the id of the owner's real API key.
CLAIM_CASES = {
    "wrong_issuer": ({"iss": "someone.else"}, UNAUTHENTICATED),
    "wrong_version": ({"ver": "1.0"}, UNAUTHENTICATED),
    "refresh_token_type": ({"typ": "REFRESH_TOKEN"}, UNAUTHENTICATED),
    "system_token_type": ({"typ": "SYSTEM_TOKEN", "rol": "SYSTEM"}, UNAUTHENTICATED),
    "no_expiry": ({"exp": REMOVE}, UNAUTHENTICATED),
    "expired_seconds_ago": ({"exp": -5}, UNAUTHENTICATED),
    "no_audience": ({"aud": REMOVE}, UNAUTHENTICATED),
    "no_role": ({"rol": REMOVE}, UNAUTHENTICATED),
    "unknown_owner_type": ({"own": "ROBOT"}, UNAUTHENTICATED),
    "system_role": ({"rol": "SYSTEM"}, DENIED),
    "unknown_role": ({"rol": "SUPERUSER"}, DENIED),
    "app_owner": ({"own": "APP"}, DENIED),
    "api_key_without_record": ({"typ": "API_KEY", "rol": REMOVE, "jti": "api-key-000000000000"}, UNAUTHENTICATED),
    "api_key_of_other_owner": (
        {"typ": "API_KEY", "rol": REMOVE, "jti": "OWNER_KEY_ID", "aud": OTHER_USER_ID}, UNAUTHENTICATED
    ),
}


@pytest.mark.parametrize("case", list(CLAIM_CASES))
def test_token_claims_checked(bare_stub, db, callers, case):
    changes, expected = CLAIM_CASES[case]
    now = int(time.time())
    claims = {
        "iss": "spaceone.identity",
        "typ": "ACCESS_TOKEN",
        "own": "USER",
        "did": callers.domain_id,
        "aud": OWNER_ID,
        "rol": "DOMAIN_ADMIN",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "ver": "2.0",
    }
    owner_key_id = jwt_claims(callers.token("key_owner_api_key"))["jti"]
    for name, value in changes.items():
        if value is REMOVE:
            claims.pop(name)
        elif name == "exp":
            claims[name] = now + value
        else:
            claims[name] = owner_key_id if value == "OWNER_KEY_ID" else value
    token = Secret(JWTUtil.encode(claims, auth_matrix.private_jwk(db, callers.domain_id)))

    code, details, _response = grpc_outcome(bare_stub, "list", pb.APIKeySearchQuery(domain_id=callers.domain_id), token)

    assert code == expected, details


def test_unsigned_token_rejected(bare_stub, callers):
    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": "spaceone.identity", "typ": "ACCESS_TOKEN", "own": "USER", "did": callers.domain_id,
              "aud": OWNER_ID, "rol": "DOMAIN_ADMIN", "iat": now, "exp": now + 600, "ver": "2.0"}
    token = Secret(f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}.")

    code, _details, _response = grpc_outcome(bare_stub, "list", pb.APIKeySearchQuery(domain_id=callers.domain_id), token)

    assert code == UNAUTHENTICATED


def test_oversized_token_rejected(bare_stub, callers):
    token = Secret(callers.token("domain_admin") + "A" * 4500)

    code, details, _response = grpc_outcome(bare_stub, "list", pb.APIKeySearchQuery(domain_id=callers.domain_id), token)

    assert code == UNAUTHENTICATED
    assert "longer than" in details


def test_tokens_absent_from_server_log(grpc_service, callers, bare_stub):
    # Runs after the matrix in this module, so the log contains every caller's failures.
    grpc_outcome(bare_stub, "list", pb.APIKeySearchQuery(domain_id=callers.domain_id), callers.token("expired_token"))
    log = grpc_service.log_path.read_text(errors="replace")

    leaked = [caller for caller, token in callers.tokens.items() if token and len(token) > 16 and token in log]

    assert "(Error) =>" in log
    assert leaked == []

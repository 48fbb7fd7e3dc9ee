"""The access matrix of the APIKey methods: every method called by every kind of caller.

EXPECTED gives each cell's outcome as a gRPC status code name; the REST tests
map it to an HTTP status with HTTP_STATUS. Every call acts on a fresh target
key that OWNER_ID owns in the first domain. Tokens are always Secret values,
so a failing test shows their hashes only.
"""

import dataclasses
import subprocess
import sys
import time
import uuid
from pathlib import Path

from google.protobuf import json_format
from spaceone.core.auth.jwt.jwt_util import JWTUtil

from helpers import Secret, SecretJWK, token_metadata
from mint_token import sign_access_token
from spaceone.api_key.proto import api_key_pb2 as pb

REPO = Path(__file__).resolve().parent.parent

METHODS = ("create", "update", "enable", "disable", "delete", "verify", "get", "list", "stat")
OK = "OK"
DENIED = "PERMISSION_DENIED"
NOT_FOUND = "NOT_FOUND"
UNAUTHENTICATED = "UNAUTHENTICATED"
HTTP_STATUS = {OK: 200, DENIED: 403, NOT_FOUND: 404, UNAUTHENTICATED: 401}

ADMIN_ID = "admin"
OWNER_ID = "alice"
OTHER_USER_ID = "bob"
OTHER_DOMAIN_USER_ID = "carol"
TARGET_NAME = "target"
RENAMED = "renamed"


def _row(default: str, **overrides: str) -> dict:
    return {method: overrides.get(method, default) for method in METHODS}


EXPECTED = {
    "system_token": _row(OK),
    "domain_admin": _row(OK, verify=DENIED),
    "key_owner": _row(OK, verify=DENIED),
    "key_owner_api_key": _row(OK, verify=DENIED),
    # Another user's create and list name OWNER_ID, which is denied. A request by
    # api_key_id alone finds nothing, because the search is confined to the
    # caller's own keys. stat names no user, so it succeeds with the caller's keys.
    "other_user_same_domain": _row(NOT_FOUND, create=DENIED, verify=DENIED, list=DENIED, stat=OK),
    "admin_of_other_domain": _row(DENIED),
    "no_token": _row(UNAUTHENTICATED),
    "malformed_token": _row(UNAUTHENTICATED),
    "expired_token": _row(UNAUTHENTICATED),
    "foreign_signed_token": _row(UNAUTHENTICATED),
    "unknown_domain_token": _row(UNAUTHENTICATED),
    "disabled_api_key": _row(UNAUTHENTICATED),
    "deleted_api_key": _row(UNAUTHENTICATED),
}
CELLS = [(caller, method, expected) for caller, row in EXPECTED.items() for method, expected in row.items()]
CELL_IDS = [f"{caller}-{method}" for caller, method, _expected in CELLS]

# Callers whose view of the first domain includes OWNER_ID's keys.
SEES_OWNER_KEYS = ("system_token", "domain_admin", "key_owner", "key_owner_api_key")


@dataclasses.dataclass
class Callers:
    """The two domains of a matrix run and each caller's token (None: no token)."""

    domain_id: str
    other_domain_id: str
    tokens: dict

    def token(self, caller: str) -> Secret | None:
        return self.tokens[caller]


def mint_with_cli(config_path: Path, domain_id: str, user_id: str, role: str, *extra: str) -> subprocess.CompletedProcess:
    """Run tools/mint_token.py the way its documentation shows; its stdout is wrapped as a Secret."""
    command = [sys.executable, str(REPO / "tools" / "mint_token.py"), "--config", str(config_path),
               "--domain-id", domain_id, "--user-id", user_id, "--role", role, *extra]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)
    completed.stdout = Secret(completed.stdout)
    return completed


def private_jwk(db, domain_id: str) -> SecretJWK:
    return SecretJWK(db.domain_secret.find_one({"domain_id": domain_id})["prv_jwk"])


def build_callers(system_stub, system_token: Secret, db, config_path: Path) -> Callers:
    """Create both domains' key pairs, the owner's API keys and every caller's token."""
    domain_id = f"domain-auth-{uuid.uuid4().hex[:12]}"
    other_domain_id = f"domain-auth-other-{uuid.uuid4().hex[:12]}"

    # The documented command creates each domain's key pair on first use.
    tokens = {"system_token": system_token}
    for caller, domain, user_id in (
        ("domain_admin", domain_id, ADMIN_ID),
        ("admin_of_other_domain", other_domain_id, OTHER_DOMAIN_USER_ID),
    ):
        minted = mint_with_cli(config_path, domain, user_id, "DOMAIN_ADMIN")
        assert minted.returncode == 0, minted.stderr
        tokens[caller] = Secret(minted.stdout.strip())

    signing_key = private_jwk(db, domain_id)
    foreign_key = SecretJWK(JWTUtil.generate_jwk()[0])
    now = int(time.time())

    def signed(key: dict, user_id: str, role: str, domain: str = domain_id, **times) -> Secret:
        return Secret(sign_access_token(key, domain_id=domain, user_id=user_id, role_type=role, **times))

    tokens["key_owner"] = signed(signing_key, OWNER_ID, "WORKSPACE_MEMBER")
    tokens["other_user_same_domain"] = signed(signing_key, OTHER_USER_ID, "WORKSPACE_OWNER")
    tokens["no_token"] = None
    tokens["malformed_token"] = Secret("not-a-jwt")
    tokens["expired_token"] = signed(signing_key, OWNER_ID, "DOMAIN_ADMIN", ttl_seconds=3600, issued_at=now - 7200)
    tokens["foreign_signed_token"] = signed(foreign_key, OWNER_ID, "DOMAIN_ADMIN")
    tokens["unknown_domain_token"] = signed(
        foreign_key, OWNER_ID, "DOMAIN_ADMIN", domain=f"domain-unknown-{uuid.uuid4().hex[:12]}"
    )

    owner_key = create_owner_key(system_stub, domain_id, "owner-token")
    disabled_key = create_owner_key(system_stub, domain_id, "disabled-token")
    deleted_key = create_owner_key(system_stub, domain_id, "deleted-token")
    system_stub.disable(pb.APIKeyRequest(domain_id=domain_id, api_key_id=disabled_key.api_key_id), timeout=30)
    system_stub.delete(pb.APIKeyRequest(domain_id=domain_id, api_key_id=deleted_key.api_key_id), timeout=30)
    tokens["key_owner_api_key"] = Secret(owner_key.api_key)
    tokens["disabled_api_key"] = Secret(disabled_key.api_key)
    tokens["deleted_api_key"] = Secret(deleted_key.api_key)
    return Callers(domain_id=domain_id, other_domain_id=other_domain_id, tokens=tokens)


def create_owner_key(system_stub, domain_id: str, name: str = TARGET_NAME) -> pb.APIKeyInfo:
    request = pb.CreateAPIKeyRequest(domain_id=domain_id, user_id=OWNER_ID, name=name)
    return system_stub.create(request, timeout=30)


def request_message(method: str, domain_id: str, api_key_id: str, cell_name: str):
    """Return the method's request for the target key, as the proto message."""
    if method == "create":
        return pb.CreateAPIKeyRequest(domain_id=domain_id, user_id=OWNER_ID, name=cell_name)
    if method == "update":
        return pb.UpdateAPIKeyRequest(domain_id=domain_id, api_key_id=api_key_id, name=RENAMED)
    if method == "verify":
        return pb.VerifyAPIKeyRequest(domain_id=domain_id, api_key_id=api_key_id, api_key_type="USER", user_id=OWNER_ID)
    if method == "list":
        return pb.APIKeySearchQuery(domain_id=domain_id, user_id=OWNER_ID)
    if method == "stat":
        return json_format.ParseDict({"domain_id": domain_id, "query": {"distinct": "user_id"}}, pb.APIKeyStatQuery())
    return pb.APIKeyRequest(domain_id=domain_id, api_key_id=api_key_id)


def grpc_outcome(bare_stub, method: str, request, token: Secret | None) -> tuple[str, str, dict]:
    """Call the method with only the given token; return (status code name, error details, response as a dict)."""
    metadata = token_metadata(token) if token is not None else ()
    try:
        response = getattr(bare_stub, method)(request, metadata=metadata, timeout=30)
    except Exception as error:  # grpc.RpcError; caught here so no frame holding the token is printed
        code = error.code().name if hasattr(error, "code") else type(error).__name__
        details = error.details() if hasattr(error, "details") else ""
        return code, details or "", {}
    return OK, "", json_format.MessageToDict(response, preserving_proto_field_name=True)


def check_effect(db, caller: str, method: str, expected: str, response: dict, domain_id: str, target_id: str,
                 cell_name: str) -> list[str]:
    """Return what is wrong with the stored state and the response after a matrix call; empty when all is right."""
    problems = []
    stored = db.api_key.find_one({"domain_id": domain_id, "api_key_id": target_id})

    if expected != OK:
        if method == "create":
            if db.api_key.count_documents({"domain_id": domain_id, "name": cell_name}):
                problems.append("a denied create stored a key")
        elif stored is None:
            problems.append("a denied call deleted the target key")
        else:
            if stored["state"] != "ENABLED":
                problems.append(f"a denied call changed the state to {stored['state']}")
            if stored["name"] != TARGET_NAME:
                problems.append("a denied call renamed the target key")
        return problems

    if method == "create":
        if response.get("user_id") != OWNER_ID or response.get("domain_id") != domain_id:
            problems.append("create made a key for another user or domain")
        if db.api_key.count_documents({"domain_id": domain_id, "name": cell_name, "user_id": OWNER_ID}) != 1:
            problems.append("create stored no key")
    elif method == "delete":
        if stored is not None:
            problems.append("delete left the key")
    elif method == "list":
        listed = response.get("results", [])
        if target_id not in [info.get("api_key_id") for info in listed]:
            problems.append("list missed the target key")
        if any(info.get("user_id") != OWNER_ID for info in listed):
            problems.append("list returned another user's key")
    elif method == "stat":
        user_ids = response.get("results", [])
        if (OWNER_ID in user_ids) != (caller in SEES_OWNER_KEYS):
            problems.append(f"stat returned the user ids {user_ids}")
    else:
        if response.get("api_key_id") != target_id:
            problems.append(f"{method} returned another key")
        if method == "disable" and stored["state"] != "DISABLED":
            problems.append("disable left the key enabled")
        if method == "update" and stored["name"] != RENAMED:
            problems.append("update did not rename the key")
    return problems

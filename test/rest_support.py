"""Helpers shared by the REST tests and their fixtures: tokens, server settings and an HTTP client."""

import os
import sys
from pathlib import Path

import requests

TEST_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TEST_DIR.parent / "tools"))

import stack  # noqa: E402
from auth_matrix import private_jwk  # noqa: E402
from helpers import Secret  # noqa: E402
from mint_token import sign_access_token  # noqa: E402

API_PREFIX = "/identity/v2/api-key"
SERVICE_AUTHENTICATION = "spaceone.api_key.handler.authentication:APIKeyAuthenticationHandler"
SERVICE_AUTHORIZATION = "spaceone.api_key.handler.authorization:APIKeyAuthorizationHandler"


class Tokens:
    """Tokens of the REST tests' servers: the SYSTEM_TOKEN, and one that the fault handler rejects."""

    def __init__(self):
        self.admin = Secret(stack.new_system_token())
        self.conflict = Secret(stack.new_system_token())


def handler_settings(tokens: Tokens) -> dict:
    """Return the config settings of a REST test server: the service's handlers between the test ones."""
    # str(): yaml.safe_dump writes plain strings only, not the Secret subclass.
    faults = {
        str(tokens.conflict): {"error": "ERROR_NOT_UNIQUE", "kwargs": {"key": "api_key_id", "value": "api-key-taken"}},
    }
    return {
        "SYSTEM_TOKEN": str(tokens.admin),
        "HANDLERS": {
            "authentication": [
                {"backend": "rest_auth_handlers:FaultInjectionHandler", "faults": faults},
                {"backend": SERVICE_AUTHENTICATION},
                {"backend": "rest_auth_handlers:DomainHeaderCheckHandler"},
            ],
            "authorization": [{"backend": SERVICE_AUTHORIZATION}],
        },
    }


def mint_access_token(db, domain_id: str, user_id: str, role_type: str) -> Secret:
    """Return an access token of a user, signed with the domain's key pair, which must exist."""
    return Secret(sign_access_token(private_jwk(db, domain_id), domain_id=domain_id, user_id=user_id,
                                    role_type=role_type))


def server_env() -> dict:
    """PYTHONPATH for a server subprocess: this checkout's src, then the test handlers."""
    paths = [str(TEST_DIR.parent / "src"), str(TEST_DIR), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(path for path in paths if path)}


class RESTClient:
    """Posts JSON bodies to the APIKey routes of one REST server."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()

    def post(self, method: str, body=None, *, data: bytes | None = None, token: str | None = None,
             headers: dict | None = None) -> requests.Response:
        all_headers = {}
        if token or self.token:
            all_headers["Authorization"] = f"Bearer {token or self.token}"
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.session.post(
            f"{self.base_url}{API_PREFIX}/{method}",
            json=body if data is None else None,
            data=data,
            headers=all_headers,
            timeout=30,
        )

    def __repr__(self) -> str:
        return f"RESTClient({self.base_url})"

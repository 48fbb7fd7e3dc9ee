"""Helpers shared by the REST tests and their fixtures: tokens, server settings and an HTTP client."""

import os
import secrets
from pathlib import Path

import requests

TEST_DIR = Path(__file__).resolve().parent

API_PREFIX = "/identity/v2/api-key"
READ = "identity:APIKey.read"
WRITE = "identity:APIKey.write"


class Tokens:
    """Bearer tokens of the test handlers' table, one per role."""

    def __init__(self):
        self.admin = secrets.token_urlsafe(24)
        self.reader = secrets.token_urlsafe(24)
        self.system = secrets.token_urlsafe(24)
        self.conflict = secrets.token_urlsafe(24)

    def handler_table(self) -> dict:
        return {
            self.admin: {"permissions": [READ, WRITE]},
            self.reader: {"permissions": [READ]},
            self.system: {"permissions": [READ, WRITE], "requires_x_domain_id": True},
            self.conflict: {
                "permissions": [READ, WRITE],
                "raise": "ERROR_NOT_UNIQUE",
                "raise_kwargs": {"key": "api_key_id", "value": "api-key-taken"},
            },
        }

    def __repr__(self) -> str:
        # Keeps the tokens out of pytest's failure reports.
        return "Tokens(<hidden>)"


def handler_settings(tokens: Tokens) -> dict:
    table = tokens.handler_table()
    return {
        "HANDLERS": {
            "authentication": [{"backend": "rest_auth_handlers:TokenAuthenticationHandler", "tokens": table}],
            "authorization": [{"backend": "rest_auth_handlers:TokenAuthorizationHandler", "tokens": table}],
        }
    }


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

"""Small helpers shared by the tests."""

import base64
import collections
import hashlib
import json

import grpc
import pytest
from google.protobuf import json_format

from spaceone.api_key.proto import api_key_pb2 as pb

CALL_TIMEOUT_SECONDS = 30


def call(stub, method: str, message, metadata=()):
    """Call a method and return its response."""
    return getattr(stub, method)(message, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)


def call_error(stub, method: str, message, metadata=()) -> grpc.RpcError:
    """Call a method that must fail, and return its error."""
    with pytest.raises(grpc.RpcError) as excinfo:
        call(stub, method, message, metadata)
    return excinfo.value


def create_key(stub, domain_id: str, user_id: str = "user-1", **fields):
    return call(stub, "create", pb.CreateAPIKeyRequest(domain_id=domain_id, user_id=user_id, **fields))


def verify_request(domain_id: str, api_key_id: str, user_id: str = "user-1") -> pb.VerifyAPIKeyRequest:
    return pb.VerifyAPIKeyRequest(domain_id=domain_id, api_key_id=api_key_id, api_key_type="USER", user_id=user_id)


def search_query(**fields) -> pb.APIKeySearchQuery:
    return json_format.ParseDict(fields, pb.APIKeySearchQuery())


def stat_query(**fields) -> pb.APIKeyStatQuery:
    return json_format.ParseDict(fields, pb.APIKeyStatQuery())


def jwt_claims(token: str) -> dict:
    """Return a JWT's claims without checking its signature."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Secret(str):
    """A token that pytest and logs show as a short hash, never as its text.

    pytest prints the arguments of each failing frame, so every token a test
    passes around is wrapped in this class. It works wherever a str does.
    """

    def __repr__(self) -> str:
        return f"<secret sha256:{self.digest()}>"

    def digest(self) -> str:
        return hashlib.sha256(self.encode("utf-8")).hexdigest()[:12]


class SecretJWK(dict):
    """A private JWK that pytest shows as a placeholder, never by its parameters."""

    def __repr__(self) -> str:
        return "<private JWK>"


def token_metadata(token: str) -> tuple:
    """Return call metadata that carries the token the way the platform's clients send it."""
    return (("token", token),)


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class DefaultTokenInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Send a token with every unary call whose metadata carries none of its own."""

    def __init__(self, token: str):
        self._token = Secret(token)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = list(client_call_details.metadata or ())
        if not any(key == "token" for key, _ in metadata):
            metadata.append(("token", self._token))
        details = _CallDetails(
            client_call_details.method,
            client_call_details.timeout,
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
            getattr(client_call_details, "compression", None),
        )
        return continuation(details, request)


def channel_with_token(address: str, token: str) -> grpc.Channel:
    """Open a channel to a loopback server that sends the token unless a call sends its own."""
    return grpc.intercept_channel(grpc.insecure_channel(address), DefaultTokenInterceptor(token))

"""REST routes of the APIKey methods: POST /identity/v2/api-key/<method>.

Each route only translates: the JSON body becomes the method's proto request
message and then the params dict the gRPC interface builds, the headers
become the gRPC metadata, and APIKeyService runs the method. Its result is
built as the proto response message and written as JSON with the proto's
field names and every field present.
"""

import dataclasses
from collections.abc import Callable

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf.empty_pb2 import Empty
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct
from spaceone.core import config
from spaceone.core.error import ERROR_AUTHENTICATE_FAILURE
from spaceone.core.locator import Locator

from spaceone.api_key.conf.global_conf import REST_MAX_BODY_BYTES
from spaceone.api_key.interface.rest import request as rest_request
from spaceone.api_key.interface.rest.errors import ErrorTranslatingRoute
from spaceone.api_key.interface.rest.proto_schema import message_schema
from spaceone.api_key.interface.startup import prepare_server
from spaceone.api_key.proto import api_key_pb2
from spaceone.api_key.service import APIKeyService

PREFIX = "/identity/v2/api-key"

_API_KEY_TYPES = api_key_pb2.VerifyAPIKeyRequest.API_KEY_TYPE
_bearer = HTTPBearer(auto_error=False, description="The caller's token, sent as the gRPC metadata 'token'.")


@dataclasses.dataclass(frozen=True)
class _Method:
    name: str
    summary: str
    request_class: type[Message]
    response_class: type[Message]
    to_response: Callable[[object], Message]
    to_params: Callable[[Message], dict] = rest_request.message_to_params


def _api_key_info(info: dict) -> Message:
    return api_key_pb2.APIKeyInfo(**info)


def _api_keys_info(response: dict) -> Message:
    results = [api_key_pb2.APIKeyInfo(**info) for info in response["results"]]
    return api_key_pb2.APIKeysInfo(results=results, total_count=response["total_count"])


def _empty(_response: None) -> Message:
    return Empty()


def _struct(response: dict) -> Message:
    struct = Struct()
    struct.update(response)
    return struct


def _verify_params(message: Message) -> dict:
    """Build verify's params as the gRPC interface does: read from the message, owner from the oneof."""
    params = {"domain_id": message.domain_id, "api_key_id": message.api_key_id}
    try:
        params["api_key_type"] = _API_KEY_TYPES.Name(message.api_key_type)
    except ValueError:
        # proto3 JSON accepts an enum number outside the enum, and the service rejects it.
        params["api_key_type"] = message.api_key_type
    owner_field = message.WhichOneof("api_key_info")
    if owner_field:
        params[owner_field] = getattr(message, owner_field)
    return params


METHODS = (
    _Method("create", "Create an API key for a user", api_key_pb2.CreateAPIKeyRequest, api_key_pb2.APIKeyInfo,
            _api_key_info),
    _Method("update", "Rename an API key", api_key_pb2.UpdateAPIKeyRequest, api_key_pb2.APIKeyInfo, _api_key_info),
    _Method("enable", "Enable an API key", api_key_pb2.APIKeyRequest, api_key_pb2.APIKeyInfo, _api_key_info),
    _Method("disable", "Disable an API key", api_key_pb2.APIKeyRequest, api_key_pb2.APIKeyInfo, _api_key_info),
    _Method("delete", "Delete an API key", api_key_pb2.APIKeyRequest, Empty, _empty),
    _Method("verify", "Verify that an API key is valid for its owner", api_key_pb2.VerifyAPIKeyRequest,
            api_key_pb2.APIKeyInfo, _api_key_info, _verify_params),
    _Method("get", "Get an API key", api_key_pb2.APIKeyRequest, api_key_pb2.APIKeyInfo, _api_key_info),
    _Method("list", "List API keys matching a query", api_key_pb2.APIKeySearchQuery, api_key_pb2.APIKeysInfo,
            _api_keys_info),
    _Method("stat", "Run a statistics query over API keys", api_key_pb2.APIKeyStatQuery, Struct, _struct),
)

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "The platform's error code, such as ERROR_NOT_FOUND."},
                "message": {"type": "string"},
            },
        }
    },
}
_ERROR_STATUSES = {
    400: "Invalid argument or failed precondition, including a body that is not a JSON object of the request message",
    401: "Unauthenticated",
    403: "Permission denied",
    404: "Not found",
    409: "Already exists",
    413: "Request body larger than REST_MAX_BODY_BYTES",
    503: "Unavailable, such as an unreachable database; retry later",
    "default": "Any other error",
}
ERROR_RESPONSES = {
    status: {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    for status, description in _ERROR_STATUSES.items()
}


def _openapi_extra(method: _Method) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": message_schema(method.request_class.DESCRIPTOR)}},
        },
        "responses": {
            "200": {
                "content": {
                    "application/json": {"schema": message_schema(method.response_class.DESCRIPTOR, response=True)}
                }
            }
        },
    }


def _run_service(method_name: str, params: dict, metadata: dict):
    # Runs in a worker thread: the service and its transaction live in one thread.
    with Locator().get_service(APIKeyService, metadata) as api_key_svc:
        return getattr(api_key_svc, method_name)(params)


def _endpoint(method: _Method):
    async def call_method(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
        x_domain_id: str | None = Header(None, alias="X-Domain-Id", description="Sent as the gRPC metadata x_domain_id."),
    ) -> JSONResponse:
        if credentials is None and request.headers.get("authorization") is not None:
            raise ERROR_AUTHENTICATE_FAILURE(message="the Authorization header must be 'Bearer <token>'")
        token = credentials.credentials if credentials else None
        metadata = rest_request.metadata_from_request(request, token, x_domain_id)

        max_bytes = config.get_global("REST_MAX_BODY_BYTES", REST_MAX_BODY_BYTES)
        body = rest_request.decode_json_object(await rest_request.read_body(request, max_bytes))
        params = method.to_params(rest_request.parse_message(body, method.request_class))

        response = await run_in_threadpool(_run_service, method.name, params, metadata)
        content = MessageToDict(
            method.to_response(response), preserving_proto_field_name=True, including_default_value_fields=True
        )
        return JSONResponse(content=content)

    call_method.__name__ = method.name
    return call_method


# spaceone-core builds the app from conf/router_conf.py and runs no start-up code of
# this service; the router's startup handler validates the configuration instead.
router = APIRouter(prefix=PREFIX, tags=["APIKey"], route_class=ErrorTranslatingRoute, on_startup=[prepare_server])
for _method in METHODS:
    router.add_api_route(
        f"/{_method.name}",
        _endpoint(_method),
        methods=["POST"],
        name=f"api_key_{_method.name}",
        operation_id=f"api_key_{_method.name}",
        summary=_method.summary,
        response_class=JSONResponse,
        responses=ERROR_RESPONSES,
        openapi_extra=_openapi_extra(_method),
    )

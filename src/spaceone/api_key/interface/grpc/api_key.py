import logging

import grpc
from google.protobuf.struct_pb2 import Struct
from spaceone.core.error import ERROR_BASE, ERROR_UNKNOWN
from spaceone.core.pygrpc import BaseAPI

from spaceone.api_key.proto import api_key_pb2, api_key_pb2_grpc
from spaceone.api_key.service import APIKeyService

_LOGGER = logging.getLogger(__name__)
_API_KEY_TYPES = api_key_pb2.VerifyAPIKeyRequest.API_KEY_TYPE


class APIKey(BaseAPI, api_key_pb2_grpc.APIKeyServicer):
    """gRPC servicer of spaceone.api.identity.v2.APIKey.

    Responses are built as messages directly, because spaceone-core's
    dict_to_message inspects the call stack on every response, which costs
    most of a cheap call.
    """

    pb2 = api_key_pb2
    pb2_grpc = api_key_pb2_grpc

    def create(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.create(params))

    def update(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.update(params))

    def enable(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.enable(params))

    def disable(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.disable(params))

    def delete(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            api_key_svc.delete(params)
            return self.empty()

    def verify(self, request, context):
        with self.locator.get_service(APIKeyService, self._get_metadata(context)) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.verify(_verify_params(request)))

    async def verify_async(self, request, context):
        """Serve verify on an asyncio server's event loop (see interface/grpc/server.py)."""
        try:
            api_key_svc = self.locator.get_service(APIKeyService, self._get_metadata(context))
            return api_key_pb2.APIKeyInfo(**await api_key_svc.verify_async(_verify_params(request)))
        except Exception as exc:
            error = exc if isinstance(exc, ERROR_BASE) else ERROR_UNKNOWN(message="APIKey.verify failed")
            if not isinstance(exc, ERROR_BASE):
                _LOGGER.error("APIKey.verify failed: %s", type(exc).__name__, exc_info=True)
            await context.abort(grpc.StatusCode[error.status_code], f"{error.error_code}: {error.message}")

    def use_asyncio_verify(self) -> None:
        """Serve verify with verify_async; the other methods stay on worker threads."""
        self.verify = self.verify_async

    def get(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            return api_key_pb2.APIKeyInfo(**api_key_svc.get(params))

    def list(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            response = api_key_svc.list(params)
            results = [api_key_pb2.APIKeyInfo(**info) for info in response["results"]]
            return api_key_pb2.APIKeysInfo(results=results, total_count=response["total_count"])

    def stat(self, request, context):
        params, metadata = self.parse_request(request, context)
        with self.locator.get_service(APIKeyService, metadata) as api_key_svc:
            response = Struct()
            response.update(api_key_svc.stat(params))
            return response


def _verify_params(request) -> dict:
    # Read directly from the message: verify is the hot path, and
    # MessageToDict costs more than the rest of a cached verify.
    params = {"domain_id": request.domain_id, "api_key_id": request.api_key_id}
    params["api_key_type"] = _enum_name(_API_KEY_TYPES, request.api_key_type)
    owner_field = request.WhichOneof("api_key_info")
    if owner_field:
        params[owner_field] = getattr(request, owner_field)
    return params


def _enum_name(enum_type, number: int):
    """Return the enum value's name, or the number itself when the proto does not define it."""
    try:
        return enum_type.Name(number)
    except ValueError:
        return number

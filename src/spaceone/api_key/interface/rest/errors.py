"""Errors of the REST interface as JSON, in the shape of spaceone-core's fastapi exception_handler.

spaceone-core 2.0.144 raises HTTPException(detail={"code", "message"}), which
FastAPI returns as {"detail": {"code": ..., "message": ...}}. The console
reads that shape, so every error of these routes has it, including request
validation errors, which FastAPI would otherwise return as 422.
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from spaceone.core.error import ERROR_BASE, ERROR_INVALID_PARAMETER, ERROR_UNKNOWN

from spaceone.api_key.error import ERROR_REQUEST_BODY_TOO_LARGE

_LOGGER = logging.getLogger(__name__)

# gRPC status name -> HTTP status, as spaceone-core's fastapi/api.py maps them.
HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "CANCELLED": 499,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def error_response(error: ERROR_BASE) -> JSONResponse:
    status = 413 if isinstance(error, ERROR_REQUEST_BODY_TOO_LARGE) else HTTP_STATUS.get(error.status_code, 500)
    return JSONResponse(status_code=status, content={"detail": {"code": error.error_code, "message": error.message}})


def _validation_error(exc: RequestValidationError) -> ERROR_INVALID_PARAMETER:
    first = exc.errors()[0] if exc.errors() else {}
    key = ".".join(str(part) for part in first.get("loc", ("request",)))
    return ERROR_INVALID_PARAMETER(key=key, reason=first.get("msg", "is invalid"))


class ErrorTranslatingRoute(APIRoute):
    """An APIRoute that returns its failures as the platform's JSON errors.

    spaceone-core builds the FastAPI app itself and mounts only routers, so
    app-wide exception handlers cannot be registered from this package: each
    route translates its own errors instead.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def translate_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(_validation_error(exc))
            except ERROR_BASE as error:
                # The service logs its own errors with their details. This line
                # also covers requests rejected before they reach it.
                _LOGGER.info("REST request failed: path=%s code=%s", request.url.path, error.error_code)
                return error_response(error)
            except Exception:
                _LOGGER.exception("REST request failed: path=%s", request.url.path)
                return error_response(ERROR_UNKNOWN(message="Internal error. See the server log for details."))

        return translate_errors

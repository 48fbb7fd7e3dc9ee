"""A lighter transaction for verify, the call every request in the cluster makes.

spaceone-core's @transaction opens four tracing spans, deep-copies the request
and logs it at INFO on every call. For a cached verify, that costs about three
times the verify itself (docs/benchmarks.md). What verify keeps of it: the
transaction with the caller's metadata, then the authentication and
authorization handlers in the same order and with the same arguments, then the
method. It does not run mutation or event handlers, open spans or log each
request at INFO.
"""

import asyncio
import functools
import logging
import threading

from spaceone.core.error import ERROR_BASE, ERROR_UNKNOWN
from spaceone.core.handler import get_authentication_handlers, get_authorization_handlers
from spaceone.core.transaction import create_transaction, delete_transaction

from spaceone.api_key.handler.authentication import is_system_token

_LOGGER = logging.getLogger(__name__)


def run_handlers(service, verb: str, params: dict, permission: str, role_types: list[str]) -> None:
    """Run the service's authentication and authorization handlers inside a transaction of this thread."""
    # Keyed by thread, the way spaceone-core finds a transaction without a span.
    create_transaction(service.service, service.resource, verb, meta=service.metadata,
                       thread_id=str(threading.get_ident()))
    try:
        handler_state = service.get_handler_state()
        if handler_state["authentication"]:
            for handler in get_authentication_handlers():
                handler.verify(params)
        if handler_state["authorization"]:
            for handler in get_authorization_handlers():
                handler.verify(params, permission, role_types)
    finally:
        delete_transaction()


def hot_path_transaction(permission: str, role_types: list[str]):
    """Decorate a service method to run its handlers, then its body, as described above."""
    def decorator(func):
        @functools.wraps(func)
        def wrapped(self, params: dict):
            try:
                run_handlers(self, func.__name__, params, permission, role_types)
                return func(self, params)
            except ERROR_BASE:
                raise
            except Exception as exc:
                raise _unknown(self, func.__name__, exc) from exc

        return wrapped

    return decorator


def async_hot_path_transaction(permission: str, role_types: list[str]):
    """Decorate a coroutine service method like hot_path_transaction, for the event loop.

    The handlers run on the loop, between two awaits, when the caller sends the
    system token: that check does no I/O, and no other coroutine can see the
    loop thread's transaction meanwhile. Any other token may need MongoDB or
    Redis to authenticate, so its handlers run in a worker thread.
    """
    def decorator(func):
        @functools.wraps(func)
        async def wrapped(self, params: dict):
            try:
                arguments = (self, func.__name__, params, permission, role_types)
                if is_system_token(self.metadata.get("token")):
                    run_handlers(*arguments)
                else:
                    await asyncio.get_running_loop().run_in_executor(None, run_handlers, *arguments)
                return await func(self, params)
            except ERROR_BASE:
                raise
            except Exception as exc:
                raise _unknown(self, func.__name__, exc) from exc

        return wrapped

    return decorator


def _unknown(service, verb: str, exc: Exception) -> ERROR_UNKNOWN:
    _LOGGER.error("%s.%s failed: %s", service.resource, verb, type(exc).__name__, exc_info=True)
    return ERROR_UNKNOWN(message=f"{service.resource}.{verb} failed")

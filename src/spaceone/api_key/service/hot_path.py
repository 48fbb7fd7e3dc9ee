"""A lighter transaction for verify, the call every request in the cluster makes.

spaceone-core's @transaction opens four tracing spans, deep-copies the request
and logs it at INFO on every call; for a cached verify that costs about three
times the verify itself (measured by bench/verify.py's in-process numbers).
This decorator keeps what verify needs of it: the transaction with the
caller's metadata, then the authentication and authorization handlers in the
same order and with the same arguments, then the method. It does not run
mutation or event handlers, open spans or log each request at INFO.
"""

import functools
import logging
import threading

from spaceone.core.error import ERROR_BASE, ERROR_UNKNOWN
from spaceone.core.handler import get_authentication_handlers, get_authorization_handlers
from spaceone.core.transaction import create_transaction, delete_transaction

_LOGGER = logging.getLogger(__name__)


def hot_path_transaction(permission: str, role_types: list[str]):
    def decorator(func):
        @functools.wraps(func)
        def wrapped(self, params: dict):
            # Keyed by thread, the way spaceone-core finds a transaction without a span.
            create_transaction(self.service, self.resource, func.__name__, meta=self.metadata,
                               thread_id=str(threading.get_ident()))
            try:
                handler_state = self.get_handler_state()
                if handler_state["authentication"]:
                    for handler in get_authentication_handlers():
                        handler.verify(params)
                if handler_state["authorization"]:
                    for handler in get_authorization_handlers():
                        handler.verify(params, permission, role_types)
                return func(self, params)
            except ERROR_BASE:
                raise
            except Exception as exc:
                _LOGGER.error("%s.%s failed: %s", self.resource, func.__name__, type(exc).__name__, exc_info=True)
                raise ERROR_UNKNOWN(message=f"{self.resource}.{func.__name__} failed") from exc
            finally:
                delete_transaction()

        return wrapped

    return decorator

"""Translation of MongoDB driver errors into the service's errors.

A driver error is translated once, here, where it enters the service, so that
a client sees UNAVAILABLE for an unreachable database and never the driver's
internals.
"""

import contextlib
import logging
import threading
import time

from bson.errors import BSONError
from mongoengine.errors import ValidationError as DocumentValidationError
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError, ServerSelectionTimeoutError

from spaceone.core.error import ERROR_DB_QUERY, ERROR_INVALID_PARAMETER

from spaceone.api_key.error import ERROR_DATABASE_UNAVAILABLE

_LOGGER = logging.getLogger(__name__)

# While MongoDB is down every call fails the same way; one WARNING per interval
# is enough, the rest go to DEBUG.
_UNREACHABLE_LOG_INTERVAL_SECONDS = 30
_unreachable_logged_at = float("-inf")
_unreachable_log_lock = threading.Lock()


def _log_unreachable(exc: Exception) -> None:
    global _unreachable_logged_at
    with _unreachable_log_lock:
        now = time.monotonic()
        due = now - _unreachable_logged_at >= _UNREACHABLE_LOG_INTERVAL_SECONDS
        if due:
            _unreachable_logged_at = now
    log = _LOGGER.warning if due else _LOGGER.debug
    log("MongoDB is unreachable; calls fail with UNAVAILABLE until it returns. reason=%s", type(exc).__name__)


@contextlib.contextmanager
def database_errors(invalid_query_key: str | None = None):
    """Raise the driver's errors of the enclosed block as spaceone-core errors.

    With ``invalid_query_key``, a command the server rejected is reported as bad
    input under that key: the block runs a query the caller wrote.
    """
    try:
        yield
    except (ConnectionFailure, ServerSelectionTimeoutError) as exc:
        _log_unreachable(exc)
        raise ERROR_DATABASE_UNAVAILABLE(reason=type(exc).__name__) from exc
    except BSONError as exc:
        # The driver could not encode a value the caller sent, such as a key with a NUL in it.
        raise ERROR_INVALID_PARAMETER(key=invalid_query_key or "request", reason="holds a value MongoDB cannot store") from exc
    except DocumentValidationError as exc:
        field = next(iter(exc.errors or {}), "document")
        raise ERROR_INVALID_PARAMETER(key=field, reason="rejected by the model") from exc
    except OperationFailure as exc:
        if invalid_query_key is None:
            _LOGGER.error("MongoDB rejected an operation: code=%s", exc.code)
            raise ERROR_DB_QUERY(reason=f"code {exc.code}") from exc
        raise ERROR_INVALID_PARAMETER(key=invalid_query_key, reason=f"rejected by the database (code {exc.code})") from exc
    except PyMongoError as exc:
        _LOGGER.error("MongoDB operation failed: %s", exc)
        raise ERROR_DB_QUERY(reason=type(exc).__name__) from exc

"""Translation of MongoDB driver errors into the service's errors.

A driver error is translated once, here, where it enters the service, so that
a client sees UNAVAILABLE for an unreachable database and never the driver's
internals.
"""

import contextlib
import logging

from bson.errors import BSONError
from mongoengine.errors import ValidationError as DocumentValidationError
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError, ServerSelectionTimeoutError

from spaceone.core.error import ERROR_DB_QUERY, ERROR_INVALID_PARAMETER

from spaceone.api_key.error import ERROR_DATABASE_UNAVAILABLE

_LOGGER = logging.getLogger(__name__)


@contextlib.contextmanager
def database_errors(invalid_query_key: str | None = None):
    """Raise the driver's errors of the enclosed block as spaceone-core errors.

    With ``invalid_query_key``, a command the server rejected is reported as bad
    input under that key: the block runs a query the caller wrote.
    """
    try:
        yield
    except (ConnectionFailure, ServerSelectionTimeoutError) as exc:
        _LOGGER.warning("MongoDB is unreachable: %s", type(exc).__name__)
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

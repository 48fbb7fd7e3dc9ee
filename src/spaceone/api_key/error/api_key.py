"""Errors of the API-key service, each a spaceone-core error class."""

from spaceone.core.error import ERROR_INVALID_ARGUMENT, ERROR_PERMISSION_DENIED, ERROR_UNAVAILAVBLE

__all__ = [
    "ERROR_ACCESS_DENIED",
    "ERROR_DATABASE_UNAVAILABLE",
    "ERROR_DOMAIN_SECRET_MISSING",
    "ERROR_REQUEST_BODY_TOO_LARGE",
]


class ERROR_DATABASE_UNAVAILABLE(ERROR_UNAVAILAVBLE):
    _message = "The database is unavailable; retry later. (reason = {reason})"


class ERROR_DOMAIN_SECRET_MISSING(ERROR_INVALID_ARGUMENT):
    _status_code = "FAILED_PRECONDITION"
    _message = (
        "The domain has no signing key pair and DOMAIN_SECRET_AUTO_CREATE is off."
        " (domain_id = {domain_id})"
    )


class ERROR_ACCESS_DENIED(ERROR_PERMISSION_DENIED):
    _message = "Permission denied: {reason}."


class ERROR_REQUEST_BODY_TOO_LARGE(ERROR_INVALID_ARGUMENT):
    """A REST request body over REST_MAX_BODY_BYTES, which the REST interface rejects with HTTP 413."""

    _message = "The request body is larger than {max_bytes} bytes. Send a smaller body."

"""Checks of request parameters. Each failure is INVALID_ARGUMENT naming the field."""

import datetime

from dateutil import parser as date_parser
from spaceone.core.error import ERROR_INVALID_PARAMETER, ERROR_INVALID_PARAMETER_TYPE, ERROR_REQUIRED_PARAMETER

MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 255


def required_id(params: dict, key: str) -> str:
    """Return the id under key, or raise if it is missing, not a string, blank or too long."""
    value = params.get(key)
    if value is None or value == "":
        raise ERROR_REQUIRED_PARAMETER(key=key)
    return _checked_id(value, key)


def optional_id(params: dict, key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    return _checked_id(value, key)


def _checked_id(value, key: str) -> str:
    if not isinstance(value, str):
        raise ERROR_INVALID_PARAMETER_TYPE(key=key, type="string")
    if not value.strip():
        raise ERROR_INVALID_PARAMETER(key=key, reason="must not be blank")
    if value != value.strip():
        raise ERROR_INVALID_PARAMETER(key=key, reason="must not start or end with whitespace")
    if len(value) > MAX_ID_LENGTH:
        raise ERROR_INVALID_PARAMETER(key=key, reason=f"must be at most {MAX_ID_LENGTH} characters")
    return value


def optional_name(params: dict, key: str = "name") -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ERROR_INVALID_PARAMETER_TYPE(key=key, type="string")
    if len(value) > MAX_NAME_LENGTH:
        raise ERROR_INVALID_PARAMETER(key=key, reason=f"must be at most {MAX_NAME_LENGTH} characters")
    return value.strip()


def enum_value(params: dict, key: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    """Return the enum's name, or raise for a name or number outside ``allowed``."""
    value = params.get(key, default)
    if value is None or value == default:
        return value
    if value not in allowed:
        raise ERROR_INVALID_PARAMETER(key=key, reason=f"unknown value {value!r}; allowed values: {', '.join(allowed)}")
    return value


def expiry(params: dict, now: datetime.datetime, max_days: int, key: str = "expired_at") -> datetime.datetime:
    """Return expired_at as a naive UTC datetime: given, or max_days after now.

    Accepts an ISO 8601 date or date-time, with or without an offset; no offset
    means UTC. It must lie after now and no more than max_days ahead.
    """
    latest = now + datetime.timedelta(days=max_days)
    value = params.get(key)
    if value is None or value == "":
        return latest
    if not isinstance(value, str):
        raise ERROR_INVALID_PARAMETER_TYPE(key=key, type="string")

    try:
        parsed = date_parser.isoparse(value.strip())
    except (ValueError, OverflowError):
        raise ERROR_INVALID_PARAMETER(
            key=key, reason="must be an ISO 8601 date or date-time, such as 2027-01-31 or 2027-01-31T12:00:00Z"
        ) from None

    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    parsed = parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)

    if parsed <= now:
        raise ERROR_INVALID_PARAMETER(key=key, reason="must lie in the future")
    if parsed > latest:
        raise ERROR_INVALID_PARAMETER(key=key, reason=f"must be no more than {max_days} days ahead")
    return parsed

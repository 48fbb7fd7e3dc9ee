"""Time in UTC, whatever the server's own time zone (TZ) is.

Stored datetimes are naive and in UTC, as pymongo returns them. Never call
``datetime.now()`` without a zone or ``.timestamp()`` on a naive datetime here:
both read the local zone.
"""

import datetime

from spaceone.core import utils


def now() -> datetime.datetime:
    """Return the current time as a naive UTC datetime, at millisecond precision like MongoDB."""
    current = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def to_epoch(value: datetime.datetime) -> int:
    """Return a naive UTC datetime as whole epoch seconds."""
    return int(value.replace(tzinfo=datetime.timezone.utc).timestamp())


def to_iso8601(value: datetime.datetime | None) -> str:
    """Format a naive UTC datetime like "2026-12-04T19:54:00.000Z", or "" for no value."""
    if value is None:
        return ""
    return utils.datetime_to_iso8601(value)


def to_epoch_ms(value: datetime.datetime) -> int:
    """Return a naive UTC datetime as epoch milliseconds."""
    return round(value.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def epoch_ms_to_iso8601(milliseconds: int) -> str:
    """Format epoch milliseconds like to_iso8601 does."""
    value = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc).replace(tzinfo=None)
    return utils.datetime_to_iso8601(value)

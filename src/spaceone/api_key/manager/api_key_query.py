"""Validation and translation of a caller's Query into a MongoDB filter.

A caller's query can only narrow what the service allows. Every condition it
sends is ANDed with the service's own restriction: the domain, and the owner
where the caller may see only its own keys. So no ``filter`` or ``filter_or``
can widen or replace it. Only the fields below can be filtered, sorted or
projected, and only the operators below are accepted. Anything else is
INVALID_ARGUMENT naming the offending part of the query.
"""

import datetime
import functools
import operator

from dateutil import parser as date_parser
from mongoengine.queryset.visitor import Q
from spaceone.core import utils
from spaceone.core.error import ERROR_INVALID_PARAMETER

FIELDS = (
    "api_key_id",
    "name",
    "state",
    "owner_type",
    "user_id",
    "app_id",
    "domain_id",
    "created_at",
    "last_accessed_at",
    "expired_at",
)
DATETIME_FIELDS = ("created_at", "last_accessed_at", "expired_at")
MINIMAL_FIELDS = ["api_key_id", "name", "state", "user_id", "expired_at"]
MAX_KEYWORD_LENGTH = 255

# operator -> (mongoengine operator, kind of value it takes)
_OPERATORS = {
    "eq": ("", "scalar"),
    "not": ("ne", "scalar"),
    "lt": ("lt", "scalar"),
    "lte": ("lte", "scalar"),
    "gt": ("gt", "scalar"),
    "gte": ("gte", "scalar"),
    "in": ("in", "list"),
    "not_in": ("nin", "list"),
    "exists": ("exists", "bool"),
    "contain": ("icontains", "text"),
    "not_contain": ("not__icontains", "text"),
    "contain_in": ("icontains", "text_list"),
    "not_contain_in": ("not__icontains", "text_list"),
    "datetime_lt": ("lt", "datetime"),
    "datetime_lte": ("lte", "datetime"),
    "datetime_gt": ("gt", "datetime"),
    "datetime_gte": ("gte", "datetime"),
    "timediff_lt": ("lt", "timediff"),
    "timediff_lte": ("lte", "timediff"),
    "timediff_gt": ("gt", "timediff"),
    "timediff_gte": ("gte", "timediff"),
}
_SCALAR_TYPES = (str, int, float, bool, type(None))


def _invalid(key: str, reason: str) -> ERROR_INVALID_PARAMETER:
    return ERROR_INVALID_PARAMETER(key=key, reason=reason)


def check_field(name, key: str) -> str:
    if not isinstance(name, str) or name not in FIELDS:
        raise _invalid(key, f"unknown field {name!r}; allowed fields: {', '.join(FIELDS)}")
    return name


def _parse_datetime(value, key: str) -> datetime.datetime:
    if not isinstance(value, str):
        raise _invalid(key, "must be an ISO 8601 date or date-time string")
    try:
        parsed = date_parser.isoparse(value)
    except ValueError:
        raise _invalid(key, "must be an ISO 8601 date or date-time string") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


def _check_value(kind: str, value, key: str):
    """Return the condition's value, converted where the kind needs it, or raise."""
    if kind == "scalar":
        if not isinstance(value, _SCALAR_TYPES):
            raise _invalid(key, "must be a string, a number, a boolean or null")
        return value

    if kind == "bool":
        if not isinstance(value, bool):
            raise _invalid(key, "must be a boolean")
        return value

    if kind == "text":
        if not isinstance(value, str):
            raise _invalid(key, "must be a string")
        return _check_regex_text(value, key)

    if kind in ("list", "text_list"):
        item_types = (str,) if kind == "text_list" else _SCALAR_TYPES
        if not isinstance(value, list) or not all(isinstance(item, item_types) for item in value):
            raise _invalid(key, "must be a list of strings" if kind == "text_list" else "must be a list of scalars")
        if kind == "text_list":
            for item in value:
                _check_regex_text(item, key)
        return value

    if kind == "datetime":
        return _parse_datetime(value, key)

    # timediff: spaceone-core's relative time, such as "now-1d" or "now/d+2h".
    try:
        return utils.parse_timediff_query(value)
    except Exception:
        raise _invalid(key, "must be a relative time such as 'now-1d'") from None


def _check_regex_text(text: str, key: str) -> str:
    # The contain operators and keyword become BSON regexes, whose pattern
    # cannot contain NUL: the driver would fail to encode the query.
    if "\x00" in text:
        raise _invalid(key, "must not contain the NUL character (U+0000)")
    return text


def _make_condition(condition, key: str) -> Q:
    if not isinstance(condition, dict):
        raise _invalid(key, "must be an object with key, value and operator")

    field = condition.get("key", condition.get("k"))
    value = condition.get("value", condition.get("v"))
    op = condition.get("operator", condition.get("o", "eq"))

    check_field(field, f"{key}.key")
    if op not in _OPERATORS:
        raise _invalid(f"{key}.operator", f"unknown operator {op!r}; allowed operators: {', '.join(_OPERATORS)}")

    mongo_op, kind = _OPERATORS[op]
    value = _check_value(kind, value, f"{key}.value")

    if kind == "text_list":
        if not value:
            raise _invalid(f"{key}.value", "must not be empty")
        combine = operator.and_ if mongo_op.startswith("not__") else operator.or_
        return functools.reduce(combine, (Q(**{f"{field}__{mongo_op}": item}) for item in value))

    return Q(**{f"{field}__{mongo_op}" if mongo_op else field: value})


def _make_conditions(conditions, key: str, combine) -> Q | None:
    if conditions is None:
        return None
    if not isinstance(conditions, list):
        raise _invalid(key, "must be a list of conditions")
    if not conditions:
        return None
    parts = [_make_condition(condition, f"{key}[{index}]") for index, condition in enumerate(conditions)]
    return functools.reduce(combine, parts)


def keyword_filter(keyword, key: str) -> Q | None:
    """Match the keyword literally, case-insensitively, in api_key_id or name."""
    if keyword is None or keyword == "":
        return None
    if not isinstance(keyword, str):
        raise _invalid(key, "must be a string")
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise _invalid(key, f"must be at most {MAX_KEYWORD_LENGTH} characters")
    _check_regex_text(keyword, key)
    # mongoengine escapes the text of icontains, so regex characters match literally.
    return Q(api_key_id__icontains=keyword) | Q(name__icontains=keyword)


def make_filter(query: dict, restriction: Q, key: str = "query") -> Q:
    """AND the caller's filter, filter_or and keyword with the service's restriction."""
    parts = [restriction]
    for part in (
        _make_conditions(query.get("filter"), f"{key}.filter", operator.and_),
        _make_conditions(query.get("filter_or"), f"{key}.filter_or", operator.or_),
        keyword_filter(query.get("keyword"), f"{key}.keyword"),
    ):
        if part is not None:
            parts.append(part)
    return functools.reduce(operator.and_, parts)


def make_sort(sort) -> list[str]:
    """Return mongoengine's order_by keys, ending with api_key_id so that paging is stable."""
    if sort is None:
        sort_keys = [{"key": "created_at", "desc": True}]
    elif not isinstance(sort, dict):
        raise _invalid("query.sort", "must be an object with key and desc, or keys")
    elif "keys" in sort:
        sort_keys = sort["keys"]
        if not isinstance(sort_keys, list):
            raise _invalid("query.sort.keys", "must be a list of objects with key and desc")
    elif "key" in sort:
        sort_keys = [sort]
    else:
        sort_keys = [{"key": "created_at", "desc": True}]

    order_by = []
    for index, sort_key in enumerate(sort_keys):
        item_key = f"query.sort.keys[{index}]" if "keys" in (sort or {}) else "query.sort"
        if not isinstance(sort_key, dict):
            raise _invalid(item_key, "must be an object with key and desc")
        field = check_field(sort_key.get("key"), f"{item_key}.key")
        desc = sort_key.get("desc", False)
        if not isinstance(desc, bool):
            raise _invalid(f"{item_key}.desc", "must be a boolean")
        order_by.append(f"-{field}" if desc else field)

    if "api_key_id" not in order_by and "-api_key_id" not in order_by:
        order_by.append("api_key_id")
    return order_by


def check_page(page, key: str = "query.page") -> tuple[int, int]:
    """Return (start, limit) of a page: start counts from 1, limit 0 means all."""
    if page is None:
        return 1, 0
    if not isinstance(page, dict):
        raise _invalid(key, "must be an object with start and limit")

    start = page.get("start", 1)
    limit = page.get("limit", 0)
    for name, value in (("start", start), ("limit", limit)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid(f"{key}.{name}", "must be a non-negative integer")
    return max(int(start), 1), int(limit)


def check_only(only) -> list[str] | None:
    if only is None or only == []:
        return None
    if not isinstance(only, list):
        raise _invalid("query.only", "must be a list of field names")
    return [check_field(field, "query.only") for field in only]

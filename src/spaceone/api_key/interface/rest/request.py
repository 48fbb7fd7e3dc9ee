"""Translation of a REST request into the params and metadata the gRPC interface would build.

The body is read with a size limit and decoded as strict JSON: UTF-8, no NaN
or Infinity, no duplicate keys and bounded nesting. json_format.ParseDict
then parses it into the method's request message, rejecting unknown fields,
wrong JSON types and unknown enum names. Every failure is an
ERROR_INVALID_PARAMETER naming the offending field, or
ERROR_REQUEST_BODY_TOO_LARGE.
"""

import json
import math
import re

from fastapi import Request
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from google.protobuf.message import Message
from spaceone.core.error import ERROR_INVALID_PARAMETER

from spaceone.api_key.error import ERROR_REQUEST_BODY_TOO_LARGE

MAX_JSON_DEPTH = 32  # a list query with nested filter values needs under 10 levels
MAX_REASON_LENGTH = 200

# Well-known types whose JSON form is free JSON, checked by ParseDict alone.
_FREE_JSON_TYPES = ("google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue")
_PARSE_PREFIX = re.compile(r"Failed to parse (\w+) field: ")
_UNKNOWN_FIELD = re.compile(r'has no field named "(.*?)" at')
_MULTIPLE_ONEOF = re.compile(r'should not have multiple "(\w+)" oneof fields')


async def read_body(request: Request, max_bytes: int) -> bytes:
    """Return the request body, or raise once it grows past max_bytes."""
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > max_bytes:
        raise ERROR_REQUEST_BODY_TOO_LARGE(max_bytes=max_bytes)

    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ERROR_REQUEST_BODY_TOO_LARGE(max_bytes=max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json_object(body: bytes) -> dict:
    """Decode the body as one JSON object, or raise ERROR_INVALID_PARAMETER under key "body"."""
    if not body.strip():
        raise _invalid_body("is empty, but must be a JSON object such as {}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_body("is not UTF-8 text") from None

    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise _invalid_body(f"is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise _invalid_body(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except _JSONValueError as exc:
        raise _invalid_body(str(exc)) from None

    if not isinstance(value, dict):
        raise _invalid_body(f"must be a JSON object, not {_json_type_name(value)}")
    _check_tree(value)
    return value


def parse_message(body: dict, message_class: type[Message]) -> Message:
    """Parse the decoded body into a new message_class, or raise ERROR_INVALID_PARAMETER naming the field."""
    _check_shape(body, message_class.DESCRIPTOR, "")
    message = message_class()
    try:
        ParseDict(body, message)
    except ParseError as exc:
        raise _parse_error(str(exc), message_class.DESCRIPTOR) from None
    except OverflowError:
        # json_format lets this through when a number does not fit a double.
        raise _invalid_body("contains a number outside the range of a double") from None
    return message


def message_to_params(message: Message) -> dict:
    """Return the params dict that spaceone-core's gRPC BaseAPI builds from the same message."""
    return MessageToDict(message, preserving_proto_field_name=True)


def metadata_from_request(request: Request, token: str | None, x_domain_id: str | None) -> dict:
    """Return the metadata a gRPC call would carry: token, x_domain_id, traceparent and peer."""
    metadata = {}
    if token:
        metadata["token"] = token
    if x_domain_id and x_domain_id.strip():
        metadata["x_domain_id"] = x_domain_id.strip()
    if traceparent := request.headers.get("traceparent", "").strip():
        metadata["traceparent"] = traceparent
    if request.client is not None:
        # gRPC's context.peer() format, such as "ipv4:127.0.0.1:50312".
        family = "ipv6" if ":" in request.client.host else "ipv4"
        host = f"[{request.client.host}]" if family == "ipv6" else request.client.host
        metadata["peer"] = f"{family}:{host}:{request.client.port}"
    return metadata


class _JSONValueError(ValueError):
    pass


def _invalid_body(reason: str) -> ERROR_INVALID_PARAMETER:
    return ERROR_INVALID_PARAMETER(key="body", reason=reason)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _JSONValueError(f"contains the key {_shorten(key)!r} twice in one object")
        result[key] = value
    return result


def _reject_constant(name: str):
    raise _JSONValueError(f"contains {name}, which is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _JSONValueError("contains a number outside the range of a double")
    return value


def _check_tree(value) -> None:
    """Reject nesting deeper than MAX_JSON_DEPTH and strings that are not valid Unicode."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _invalid_body(f"is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    # JSON escapes can spell a lone surrogate, which no store or client can encode.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid_body("contains a lone UTF-16 surrogate escape") from None


def _check_shape(value: dict, descriptor: Descriptor, path: str) -> None:
    """Reject unknown fields and non-objects where a message belongs, naming the field with its index.

    ParseDict rejects these too, but its errors lose array indices, and it reads
    a string given for a message as an object of one-letter field names.
    """
    for name, child in value.items():
        key = f"{path}.{name}" if path else name
        field = _field_of(descriptor, name)
        if field is None:
            allowed = ", ".join(candidate.name for candidate in descriptor.fields)
            raise ERROR_INVALID_PARAMETER(key=key, reason=f"unknown field, allowed fields are {allowed}")
        if field.message_type is None or field.message_type.full_name in _FREE_JSON_TYPES or child is None:
            continue
        if field.message_type.GetOptions().map_entry:
            continue

        if field.label != FieldDescriptor.LABEL_REPEATED:
            items = [(key, child)]
        elif isinstance(child, list):
            items = [(f"{key}[{index}]", item) for index, item in enumerate(child)]
        else:
            raise ERROR_INVALID_PARAMETER(key=key, reason="must be an array of objects")
        for item_key, item in items:
            if not isinstance(item, dict):
                raise ERROR_INVALID_PARAMETER(key=item_key, reason=f"must be an object, not {_json_type_name(item)}")
            _check_shape(item, field.message_type, item_key)


def _parse_error(text: str, root: Descriptor) -> ERROR_INVALID_PARAMETER:
    """Build the error of a ParseError: the field's dotted path, and a reason from the field's type."""
    path = []
    while match := _PARSE_PREFIX.match(text):
        path.append(match.group(1))
        text = text[match.end():]

    parent = _message_at(root, path[:-1])
    if match := _UNKNOWN_FIELD.search(text):
        message_descriptor = _message_at(root, path)
        allowed = ", ".join(field.name for field in message_descriptor.fields) if message_descriptor else ""
        return ERROR_INVALID_PARAMETER(
            key=".".join([*path, match.group(1)]), reason=f"unknown field, allowed fields are {allowed}"
        )
    if match := _MULTIPLE_ONEOF.search(text):
        message_descriptor = _message_at(root, path)
        oneof = message_descriptor.oneofs_by_name.get(match.group(1)) if message_descriptor else None
        members = [field.name for field in oneof.fields] if oneof else [match.group(1)]
        key = ".".join([*path, "|".join(members)])
        return ERROR_INVALID_PARAMETER(key=key, reason=f"set at most one of {', '.join(members)}")

    field = _field_of(parent, path[-1]) if parent is not None and path else None
    reason = _expected_value(field) if field is not None else _clean_reason(text)
    return ERROR_INVALID_PARAMETER(key=".".join(path) or "body", reason=reason)


def _message_at(root: Descriptor, path: list[str]) -> Descriptor | None:
    descriptor = root
    for name in path:
        field = _field_of(descriptor, name)
        if field is None or field.message_type is None:
            return None
        descriptor = field.message_type
    return descriptor


def _field_of(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(name)
    if field is None:
        field = next((candidate for candidate in descriptor.fields if candidate.json_name == name), None)
    return field


def _expected_value(field: FieldDescriptor) -> str:
    """Describe what the field accepts, in the words of its JSON form."""
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return f"must be an array whose items are each {_single_value_name(field)}"
    return f"must be {_single_value_name(field)}"


def _single_value_name(field: FieldDescriptor) -> str:
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.Value":
            return "a JSON value with numbers within the range of a double"
        return "an object"
    if field.enum_type is not None:
        return "one of " + ", ".join(value.name for value in field.enum_type.values)
    if field.type == FieldDescriptor.TYPE_STRING:
        return "a string"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "true or false"
    if field.cpp_type == FieldDescriptor.CPPTYPE_UINT32:
        return "an integer from 0 to 4294967295"
    if field.cpp_type == FieldDescriptor.CPPTYPE_INT32:
        return "an integer from -2147483648 to 2147483647"
    if field.cpp_type in (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64):
        return "a 64-bit integer"
    return "a number"


def _clean_reason(text: str) -> str:
    return _shorten(text.splitlines()[0].rstrip(". ")) or "is invalid"


def _shorten(text: str) -> str:
    if len(text) <= MAX_REASON_LENGTH:
        return text
    return text[:MAX_REASON_LENGTH] + "..."


def _json_type_name(value) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"

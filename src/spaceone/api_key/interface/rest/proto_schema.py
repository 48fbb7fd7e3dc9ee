"""JSON schemas of protobuf messages, in the proto3 JSON mapping that json_format reads and writes.

Field names are the proto field names (MessageToDict with
preserving_proto_field_name=True), enums are their names, 64-bit integers are
strings in responses and strings or integers in requests, and Struct, Value
and ListValue are free JSON. A message that contains itself is cut at the
repetition as a free object.
"""

from google.protobuf.descriptor import Descriptor, FieldDescriptor

_INT32_RANGE = {"minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32_RANGE = {"minimum": 0, "maximum": 2**32 - 1}
_TYPE_SCHEMAS = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", **_INT32_RANGE},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", **_INT32_RANGE},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", **_INT32_RANGE},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", **_UINT32_RANGE},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", **_UINT32_RANGE},
}
_INT64_TYPES = (
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
)
# Well-known types whose JSON form is not an object of their fields.
_WELL_KNOWN_SCHEMAS = {
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "description": "Seconds with an 's' suffix, such as '1.5s'."},
    "google.protobuf.FieldMask": {"type": "string", "description": "Comma-separated field paths."},
}


def message_schema(descriptor: Descriptor, response: bool = False) -> dict:
    """Return the JSON schema of a message.

    With ``response``, the schema describes MessageToDict's output with
    including_default_value_fields=True: every field outside a oneof and of
    scalar, enum, repeated or map type is always present, so it is required.
    """
    return _message_schema(descriptor, response, ())


def _message_schema(descriptor: Descriptor, response: bool, parents: tuple[str, ...]) -> dict:
    if descriptor.full_name in _WELL_KNOWN_SCHEMAS:
        return dict(_WELL_KNOWN_SCHEMAS[descriptor.full_name])
    if descriptor.full_name in parents:
        return {"type": "object", "description": f"A {descriptor.full_name} message."}

    parents = (*parents, descriptor.full_name)
    properties = {}
    required = []
    for field in descriptor.fields:
        schema = _field_schema(field, response, parents)
        if field.containing_oneof is not None:
            members = ", ".join(member.name for member in field.containing_oneof.fields)
            schema["description"] = f"At most one of {members} may be set."
        properties[field.name] = schema
        if response and _always_present(field):
            required.append(field.name)

    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    if exclusive_pairs := _oneof_pairs(descriptor):
        schema["not"] = {"anyOf": [{"required": list(pair)} for pair in exclusive_pairs]}
    return schema


def _oneof_pairs(descriptor: Descriptor) -> list[tuple[str, str]]:
    """Return each pair of fields that share a oneof: json_format rejects a message that sets both."""
    pairs = []
    for oneof in descriptor.oneofs:
        names = [field.name for field in oneof.fields]
        pairs.extend((first, second) for index, first in enumerate(names) for second in names[index + 1:])
    return pairs


def _always_present(field: FieldDescriptor) -> bool:
    if field.containing_oneof is not None:
        return False
    return field.label == FieldDescriptor.LABEL_REPEATED or field.message_type is None


def _field_schema(field: FieldDescriptor, response: bool, parents: tuple[str, ...]) -> dict:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        return {"type": "object", "additionalProperties": _single_value_schema(value_field, response, parents)}

    item_schema = _single_value_schema(field, response, parents)
    if field.label == FieldDescriptor.LABEL_REPEATED:
        return {"type": "array", "items": item_schema}
    return item_schema


def _single_value_schema(field: FieldDescriptor, response: bool, parents: tuple[str, ...]) -> dict:
    if field.message_type is not None:
        return _message_schema(field.message_type, response, parents)
    if field.enum_type is not None:
        return {"type": "string", "enum": [value.name for value in field.enum_type.values]}
    if field.type in _INT64_TYPES:
        # proto3 JSON writes 64-bit integers as strings and reads either form.
        if response:
            return {"type": "string", "pattern": "^-?[0-9]+$"}
        return {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}]}
    return dict(_TYPE_SCHEMAS[field.type])

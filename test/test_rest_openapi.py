"""The REST server's OpenAPI document: every route has request and response schemas from the proto."""

import pytest
import requests

from rest_support import API_PREFIX

METHOD_SCHEMAS = {
    # method: (request properties, 200 response properties)
    "create": ({"user_id", "name", "expired_at", "domain_id"}, "info"),
    "update": ({"api_key_id", "name", "domain_id"}, "info"),
    "enable": ({"api_key_id", "domain_id"}, "info"),
    "disable": ({"api_key_id", "domain_id"}, "info"),
    "delete": ({"api_key_id", "domain_id"}, "empty"),
    "verify": ({"api_key_id", "api_key_type", "domain_id", "app_id", "user_id"}, "info"),
    "get": ({"api_key_id", "domain_id"}, "info"),
    "list": ({"query", "api_key_id", "state", "domain_id", "user_id"}, "list"),
    "stat": ({"query", "domain_id"}, "struct"),
}
INFO_FIELDS = {
    "api_key_id", "api_key", "name", "state", "domain_id", "user_id", "created_at", "last_accessed_at", "expired_at",
}


@pytest.fixture(scope="module")
def openapi(rest_server) -> dict:
    response = requests.get(f"{rest_server.url}/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def _operation(openapi: dict, method: str) -> dict:
    return openapi["paths"][f"{API_PREFIX}/{method}"]["post"]


def _json_schema(entry: dict) -> dict:
    return entry["content"]["application/json"]["schema"]


def test_openapi_lists_nine_post_routes(openapi):
    api_key_paths = {path for path in openapi["paths"] if path.startswith(API_PREFIX)}

    assert api_key_paths == {f"{API_PREFIX}/{method}" for method in METHOD_SCHEMAS}
    for path in api_key_paths:
        assert set(openapi["paths"][path]) == {"post"}


@pytest.mark.parametrize("method", METHOD_SCHEMAS)
def test_each_method_request_schema_has_proto_fields(openapi, method):
    operation = _operation(openapi, method)

    assert operation["requestBody"]["required"] is True
    schema = _json_schema(operation["requestBody"])
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == METHOD_SCHEMAS[method][0]


@pytest.mark.parametrize("method", METHOD_SCHEMAS)
def test_each_method_response_schema_has_proto_fields(openapi, method):
    schema = _json_schema(_operation(openapi, method)["responses"]["200"])
    kind = METHOD_SCHEMAS[method][1]

    if kind == "info":
        assert set(schema["properties"]) == INFO_FIELDS
        assert set(schema["required"]) == INFO_FIELDS
        assert schema["properties"]["state"] == {"type": "string", "enum": ["NONE_STATE", "ENABLED", "DISABLED"]}
    elif kind == "list":
        assert set(schema["properties"]) == {"results", "total_count"}
        assert schema["properties"]["results"]["type"] == "array"
        assert set(schema["properties"]["results"]["items"]["properties"]) == INFO_FIELDS
        assert schema["properties"]["total_count"]["type"] == "integer"
    elif kind == "empty":
        assert schema == {"type": "object", "properties": {}, "additionalProperties": False}
    else:
        assert schema == {"type": "object", "additionalProperties": True}


@pytest.mark.parametrize("method", METHOD_SCHEMAS)
def test_each_method_documents_error_shape(openapi, method):
    responses = _operation(openapi, method)["responses"]

    assert "422" not in responses
    for status in ("400", "401", "403", "404", "409", "413", "503"):
        detail = _json_schema(responses[status])["properties"]["detail"]
        assert set(detail["required"]) == {"code", "message"}


def test_verify_schema_has_enum_and_oneof(openapi):
    properties = _json_schema(_operation(openapi, "verify")["requestBody"])["properties"]

    assert properties["api_key_type"] == {"type": "string", "enum": ["NONE", "APP", "USER"]}
    assert "app_id, user_id" in properties["app_id"]["description"]


def test_list_schema_nests_query_messages(openapi):
    properties = _json_schema(_operation(openapi, "list")["requestBody"])["properties"]
    query = properties["query"]

    assert query["additionalProperties"] is False
    assert query["properties"]["filter"]["type"] == "array"
    assert set(query["properties"]["filter"]["items"]["properties"]) == {"key", "k", "value", "v", "operator", "o"}
    assert query["properties"]["page"]["properties"]["limit"] == {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
    assert query["properties"]["only"] == {"type": "array", "items": {"type": "string"}}
    assert query["properties"]["minimal"] == {"type": "boolean"}


def test_stat_schema_nests_aggregate_stages(openapi):
    query = _json_schema(_operation(openapi, "stat")["requestBody"])["properties"]["query"]
    stage = query["properties"]["aggregate"]["items"]

    assert {"group", "count", "sort", "project", "limit", "skip", "unwind"} <= set(stage["properties"])
    assert stage["properties"]["limit"]["type"] == "integer"


def test_openapi_documents_bearer_and_domain_header(openapi):
    operation = _operation(openapi, "get")

    schemes = openapi["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    assert operation["security"] == [{name: []} for name in schemes]
    headers = [parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "header"]
    assert headers == ["X-Domain-Id"]

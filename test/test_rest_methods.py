"""Success paths of the nine REST routes, and REST/gRPC consistency, against real servers."""

import datetime

import grpc
import pytest
from dateutil import parser as date_parser
from google.protobuf.json_format import MessageToDict

from spaceone.api_key.proto import api_key_pb2, api_key_pb2_grpc

INFO_FIELDS = {
    "api_key_id", "api_key", "name", "state", "domain_id", "user_id", "created_at", "last_accessed_at", "expired_at",
}


def _utc(text: str) -> datetime.datetime:
    return date_parser.isoparse(text).astimezone(datetime.timezone.utc)


def test_create_returns_key_and_stores_record(api, store, domain_id):
    expiry = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=30)
    response = api.post("create", {"domain_id": domain_id, "user_id": "user-1", "name": " console ",
                                   "expired_at": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    info = response.json()
    assert set(info) == INFO_FIELDS
    assert info["api_key_id"].startswith("api-key-")
    assert info["api_key"].count(".") == 2  # a signed JWT
    assert info["name"] == "console"
    assert info["state"] == "ENABLED"
    assert info["domain_id"] == domain_id
    assert info["user_id"] == "user-1"
    assert info["last_accessed_at"] == ""
    assert info["expired_at"] == expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert info["created_at"].endswith("Z")

    record = store.find_one({"api_key_id": info["api_key_id"]})
    assert record["domain_id"] == domain_id
    assert record["user_id"] == "user-1"
    assert record["state"] == "ENABLED"
    assert "api_key" not in record


def test_create_defaults_expiry_to_max_ttl(api, domain_id):
    info = api.post("create", {"domain_id": domain_id, "user_id": "user-1"}).json()

    lifetime = _utc(info["expired_at"]) - _utc(info["created_at"])
    assert lifetime == datetime.timedelta(days=365)
    assert info["name"] == ""


def test_update_renames_key(api, store, make_key):
    key = make_key(name="old")

    response = api.post("update", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "name": "new"})

    assert response.status_code == 200
    assert response.json()["name"] == "new"
    assert response.json()["api_key"] == ""
    assert store.find_one({"api_key_id": key["api_key_id"]})["name"] == "new"


def test_disable_then_enable_sets_state(api, store, make_key):
    key = make_key()
    ids = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]}

    disabled = api.post("disable", ids)
    assert disabled.status_code == 200
    assert disabled.json()["state"] == "DISABLED"
    assert store.find_one({"api_key_id": key["api_key_id"]})["state"] == "DISABLED"

    enabled = api.post("enable", ids)
    assert enabled.status_code == 200
    assert enabled.json()["state"] == "ENABLED"
    assert store.find_one({"api_key_id": key["api_key_id"]})["state"] == "ENABLED"


def test_delete_returns_empty_object(api, store, make_key):
    key = make_key()

    response = api.post("delete", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]})

    assert response.status_code == 200
    assert response.json() == {}
    assert store.count_documents({"api_key_id": key["api_key_id"]}) == 0


def test_get_returns_all_fields(api, make_key):
    key = make_key(name="laptop")

    response = api.post("get", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]})

    assert response.status_code == 200
    info = response.json()
    assert set(info) == INFO_FIELDS
    assert info["api_key"] == ""  # only create returns the key
    assert {field: info[field] for field in INFO_FIELDS - {"api_key"}} == {
        field: key[field] for field in INFO_FIELDS - {"api_key"}
    }


def test_verify_with_x_domain_id_passes(api, make_key):
    key = make_key(user_id="user-7")
    body = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "api_key_type": "USER",
            "user_id": "user-7"}

    response = api.post("verify", body, headers={"X-Domain-Id": key["domain_id"]})

    assert response.status_code == 200
    info = response.json()
    assert info["api_key_id"] == key["api_key_id"]
    assert info["state"] == "ENABLED"
    assert info["user_id"] == "user-7"
    assert info["expired_at"] == key["expired_at"]
    assert info["name"] == ""


def test_list_filters_and_pages(api, make_key, domain_id):
    first = make_key(user_id="user-a", name="alpha")
    make_key(user_id="user-b", name="beta")
    make_key(user_id="user-a", name="gamma")

    response = api.post("list", {
        "domain_id": domain_id,
        "user_id": "user-a",
        "query": {"sort": {"key": "name"}, "page": {"start": 1, "limit": 1}},
    })

    assert response.status_code == 200
    answer = response.json()
    assert answer["total_count"] == 2
    assert [info["name"] for info in answer["results"]] == ["alpha"]
    assert answer["results"][0]["api_key_id"] == first["api_key_id"]
    assert set(answer["results"][0]) == INFO_FIELDS


def test_list_state_filter_excludes_enabled(api, make_key, domain_id):
    disabled = make_key(name="off")
    make_key(name="on")
    api.post("disable", {"domain_id": domain_id, "api_key_id": disabled["api_key_id"]})

    answer = api.post("list", {"domain_id": domain_id, "state": "DISABLED"}).json()

    assert answer["total_count"] == 1
    assert answer["results"][0]["api_key_id"] == disabled["api_key_id"]


def test_list_empty_domain_has_all_fields(api, domain_id):
    response = api.post("list", {"domain_id": domain_id})

    assert response.status_code == 200
    assert response.json() == {"results": [], "total_count": 0}


def test_stat_counts_keys_per_user(api, make_key, domain_id):
    make_key(user_id="user-a")
    make_key(user_id="user-a")
    make_key(user_id="user-b")

    response = api.post("stat", {
        "domain_id": domain_id,
        "query": {"aggregate": [
            {"group": {"keys": [{"key": "user_id", "name": "user"}], "fields": [{"operator": "count", "name": "keys"}]}},
        ]},
    })

    assert response.status_code == 200
    results = sorted(response.json()["results"], key=lambda row: row["user"])
    assert results == [{"user": "user-a", "keys": 2}, {"user": "user-b", "keys": 1}]


def test_stat_distinct_returns_values(api, make_key, domain_id):
    make_key(user_id="user-a")
    make_key(user_id="user-b")

    response = api.post("stat", {"domain_id": domain_id, "query": {"distinct": "user_id"}})

    assert response.status_code == 200
    assert sorted(response.json()["results"]) == ["user-a", "user-b"]


@pytest.fixture
def grpc_stub(authenticated_grpc_service):
    with grpc.insecure_channel(authenticated_grpc_service.address) as channel:
        yield api_key_pb2_grpc.APIKeyStub(channel)


def test_create_over_rest_is_visible_over_grpc(api, tokens, grpc_stub, make_key):
    key = make_key(name="shared")
    metadata = [("token", tokens.admin)]

    reply = grpc_stub.get(
        api_key_pb2.APIKeyRequest(domain_id=key["domain_id"], api_key_id=key["api_key_id"]), metadata=metadata
    )

    over_grpc = MessageToDict(reply, preserving_proto_field_name=True, including_default_value_fields=True)
    over_rest = api.post("get", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]}).json()
    assert over_grpc == over_rest
    assert over_grpc["name"] == "shared"


def test_create_over_grpc_is_visible_over_rest(api, tokens, grpc_stub, domain_id):
    reply = grpc_stub.create(
        api_key_pb2.CreateAPIKeyRequest(domain_id=domain_id, user_id="user-g", name="from-grpc"),
        metadata=[("token", tokens.admin)],
    )

    answer = api.post("list", {"domain_id": domain_id}).json()

    assert answer["total_count"] == 1
    assert answer["results"][0]["api_key_id"] == reply.api_key_id
    assert answer["results"][0]["name"] == "from-grpc"


def test_verify_rejects_same_bad_request_as_grpc(api, tokens, grpc_stub, make_key):
    key = make_key(user_id="user-1")
    body = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "api_key_type": "APP", "app_id": "app-1"}

    rest_response = api.post("verify", body, headers={"X-Domain-Id": key["domain_id"]})
    with pytest.raises(grpc.RpcError) as grpc_error:
        grpc_stub.verify(
            api_key_pb2.VerifyAPIKeyRequest(**body),
            metadata=[("token", tokens.admin), ("x_domain_id", key["domain_id"])],
        )

    assert grpc_error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rest_response.status_code == 401
    detail = rest_response.json()["detail"]
    assert grpc_error.value.details() == f"{detail['code']}: {detail['message']}"

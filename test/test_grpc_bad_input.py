"""Bad input: INVALID_ARGUMENT with a message naming the field, and nothing changed in the store."""

import datetime

import grpc
import pytest

from helpers import call_error, create_key, search_query, stat_query
from spaceone.api_key.proto import api_key_pb2 as pb


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def snapshot(db, domain_id: str) -> list:
    return sorted(db.api_key.find({"domain_id": domain_id}, {"_id": 0}), key=lambda doc: doc["api_key_id"])


def assert_invalid(error: grpc.RpcError, field: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"key = {field}" in error.details()


@pytest.fixture
def existing_key(stub, domain_id):
    return create_key(stub, domain_id, name="existing")


# create


@pytest.mark.parametrize("field", ["user_id", "domain_id"])
def test_create_missing_id_rejected(stub, db, domain_id, existing_key, field):
    fields = {"user_id": "user-1", "domain_id": domain_id}
    del fields[field]
    before = snapshot(db, domain_id)

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(**fields))

    assert_invalid(error, field)
    assert snapshot(db, domain_id) == before


@pytest.mark.parametrize("field", ["user_id", "domain_id"])
def test_create_whitespace_id_rejected(stub, db, domain_id, existing_key, field):
    fields = {"user_id": "user-1", "domain_id": domain_id, field: " \t "}
    before = snapshot(db, domain_id)

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(**fields))

    assert_invalid(error, field)
    assert "blank" in error.details()
    assert snapshot(db, domain_id) == before


def test_create_name_over_255_rejected(stub, db, domain_id, existing_key):
    before = snapshot(db, domain_id)

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(user_id="user-1", domain_id=domain_id, name="n" * 256))

    assert_invalid(error, "name")
    assert "255" in error.details()
    assert snapshot(db, domain_id) == before


def test_create_name_of_255_accepted(stub, domain_id):
    info = create_key(stub, domain_id, name="n" * 255)

    assert info.name == "n" * 255


@pytest.mark.parametrize("expired_at", ["tomorrow", "2027-13-01", "2027-02-30T00:00:00", "12/31/2027", "2027-01-01T25:00"])
def test_create_unparsable_expiry_rejected(stub, db, domain_id, existing_key, expired_at):
    before = snapshot(db, domain_id)

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(user_id="user-1", domain_id=domain_id, expired_at=expired_at))

    assert_invalid(error, "expired_at")
    assert "ISO 8601" in error.details()
    assert snapshot(db, domain_id) == before


def test_create_past_expiry_rejected(stub, db, domain_id, existing_key):
    before = snapshot(db, domain_id)
    yesterday = (utc_now() - datetime.timedelta(days=1)).isoformat()

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(user_id="user-1", domain_id=domain_id, expired_at=yesterday))

    assert_invalid(error, "expired_at")
    assert "future" in error.details()
    assert snapshot(db, domain_id) == before


def test_create_expiry_beyond_365_days_rejected(stub, db, domain_id, existing_key):
    before = snapshot(db, domain_id)
    too_late = (utc_now() + datetime.timedelta(days=366)).date().isoformat()

    error = call_error(stub, "create", pb.CreateAPIKeyRequest(user_id="user-1", domain_id=domain_id, expired_at=too_late))

    assert_invalid(error, "expired_at")
    assert "365 days" in error.details()
    assert snapshot(db, domain_id) == before


# the methods taking an api_key_id


@pytest.mark.parametrize("method", ["get", "update", "enable", "disable", "delete"])
@pytest.mark.parametrize("field", ["api_key_id", "domain_id"])
def test_methods_missing_id_rejected(stub, db, domain_id, existing_key, method, field):
    fields = {"api_key_id": existing_key.api_key_id, "domain_id": domain_id}
    del fields[field]
    request_type = pb.UpdateAPIKeyRequest if method == "update" else pb.APIKeyRequest
    before = snapshot(db, domain_id)

    error = call_error(stub, method, request_type(**fields))

    assert_invalid(error, field)
    assert snapshot(db, domain_id) == before


@pytest.mark.parametrize("method", ["get", "update", "enable", "disable", "delete"])
def test_methods_whitespace_id_rejected(stub, db, domain_id, existing_key, method):
    request_type = pb.UpdateAPIKeyRequest if method == "update" else pb.APIKeyRequest
    before = snapshot(db, domain_id)

    error = call_error(stub, method, request_type(api_key_id="   ", domain_id=domain_id))

    assert_invalid(error, "api_key_id")
    assert snapshot(db, domain_id) == before


def test_update_name_over_255_rejected(stub, db, domain_id, existing_key):
    before = snapshot(db, domain_id)

    error = call_error(stub, "update", pb.UpdateAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, name="x" * 256
    ))

    assert_invalid(error, "name")
    assert snapshot(db, domain_id) == before


# verify


def test_verify_none_type_rejected(stub, domain_id, existing_key):
    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, user_id="user-1"
    ))

    assert_invalid(error, "api_key_type")


def test_verify_unknown_type_number_rejected(stub, domain_id, existing_key):
    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, api_key_type=7, user_id="user-1"
    ))

    assert_invalid(error, "api_key_type")


def test_verify_user_id_with_app_type_rejected(stub, domain_id, existing_key):
    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, api_key_type="APP", user_id="user-1"
    ))

    assert_invalid(error, "user_id")


def test_verify_app_id_with_user_type_rejected(stub, domain_id, existing_key):
    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, api_key_type="USER", app_id="app-1"
    ))

    assert_invalid(error, "app_id")


def test_verify_missing_owner_rejected(stub, domain_id, existing_key):
    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(
        api_key_id=existing_key.api_key_id, domain_id=domain_id, api_key_type="USER"
    ))

    assert_invalid(error, "user_id")


@pytest.mark.parametrize("field", ["api_key_id", "domain_id"])
def test_verify_missing_id_rejected(stub, db, domain_id, existing_key, field):
    fields = {"api_key_id": existing_key.api_key_id, "domain_id": domain_id, "api_key_type": "USER", "user_id": "user-1"}
    del fields[field]
    before = snapshot(db, domain_id)

    error = call_error(stub, "verify", pb.VerifyAPIKeyRequest(**fields))

    assert_invalid(error, field)
    assert snapshot(db, domain_id) == before


# list and stat


def test_list_unknown_state_number_rejected(stub, domain_id):
    error = call_error(stub, "list", pb.APIKeySearchQuery(domain_id=domain_id, state=9))

    assert_invalid(error, "state")


def test_list_missing_domain_rejected(stub):
    error = call_error(stub, "list", pb.APIKeySearchQuery())

    assert_invalid(error, "domain_id")


def test_list_unknown_operator_rejected(stub, domain_id):
    error = call_error(stub, "list", search_query(
        domain_id=domain_id, query={"filter": [{"k": "name", "v": "x", "o": "like"}]}
    ))

    assert_invalid(error, "query.filter[0].operator")
    assert "like" in error.details()


def test_list_unknown_field_rejected(stub, domain_id):
    error = call_error(stub, "list", search_query(
        domain_id=domain_id, query={"filter_or": [{"k": "prv_jwk", "v": "x", "o": "eq"}]}
    ))

    assert_invalid(error, "query.filter_or[0].key")


def test_list_wrong_value_type_rejected(stub, domain_id):
    error = call_error(stub, "list", search_query(
        domain_id=domain_id, query={"filter": [{"k": "state", "v": "ENABLED", "o": "in"}]}
    ))

    assert_invalid(error, "query.filter[0].value")


def test_list_unparsable_datetime_rejected(stub, domain_id):
    error = call_error(stub, "list", search_query(
        domain_id=domain_id, query={"filter": [{"k": "created_at", "v": "yesterday", "o": "datetime_gt"}]}
    ))

    assert_invalid(error, "query.filter[0].value")


def test_list_unknown_sort_key_rejected(stub, domain_id):
    error = call_error(stub, "list", search_query(domain_id=domain_id, query={"sort": {"key": "secret"}}))

    assert_invalid(error, "query.sort.key")


def test_stat_without_aggregate_rejected(stub, domain_id):
    error = call_error(stub, "stat", stat_query(domain_id=domain_id, query={}))

    assert_invalid(error, "query")


def test_stat_unknown_distinct_field_rejected(stub, domain_id):
    error = call_error(stub, "stat", stat_query(domain_id=domain_id, query={"distinct": "prv_jwk"}))

    assert_invalid(error, "query.distinct")


def test_stat_malformed_group_rejected(stub, domain_id):
    error = call_error(stub, "stat", stat_query(
        domain_id=domain_id, query={"aggregate": [{"group": {"fields": [{"operator": "nonsense", "name": "n"}]}}]}
    ))

    assert_invalid(error, "query.aggregate")

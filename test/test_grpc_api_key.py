"""The nine APIKey methods end to end: a gRPC channel to the server process, SecantusDB behind it."""

import datetime
import re

import grpc
import pytest
from jwcrypto import jwk, jwt

from helpers import call, call_error, create_key, jwt_claims, search_query, stat_query, verify_request
from spaceone.api_key.proto import api_key_pb2 as pb

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def parse_iso(value: str) -> datetime.datetime:
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# create


def test_create_returns_signed_key(stub, db, domain_id):
    info = create_key(stub, domain_id, name="ci key")

    assert re.fullmatch(r"api-key-[0-9a-f]{12}", info.api_key_id)
    assert info.state == pb.APIKeyInfo.ENABLED
    assert info.name == "ci key"
    assert info.domain_id == domain_id
    assert info.user_id == "user-1"
    assert ISO_UTC.match(info.created_at)
    assert info.last_accessed_at == ""

    secret = db.domain_secret.find_one({"domain_id": domain_id})
    token = jwt.JWT(jwt=info.api_key, key=jwk.JWK(**secret["pub_jwk"]), algs=["RS256"])
    claims = jwt_claims(info.api_key)
    assert claims["iss"] == "spaceone.identity"
    assert claims["typ"] == "API_KEY"
    assert claims["own"] == "USER"
    assert claims["did"] == domain_id
    assert claims["aud"] == "user-1"
    assert claims["jti"] == info.api_key_id
    assert claims["ver"] == "2.0"
    assert claims["exp"] == int(parse_iso(info.expired_at).replace(tzinfo=datetime.timezone.utc).timestamp())
    assert token.token.jose_header["alg"] == "RS256"


def test_create_never_stores_key(stub, db, domain_id):
    info = create_key(stub, domain_id)

    stored = db.api_key.find_one({"api_key_id": info.api_key_id})
    assert stored is not None
    assert "api_key" not in stored
    signature = info.api_key.rsplit(".", 1)[1]
    for collection in ("api_key", "domain_secret"):
        for document in db[collection].find({"domain_id": domain_id}):
            assert signature not in str(document)


def test_get_never_returns_key(stub, domain_id):
    info = create_key(stub, domain_id)

    got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    listed = call(stub, "list", search_query(domain_id=domain_id))

    assert got.api_key == ""
    assert [result.api_key for result in listed.results] == [""]


def test_create_default_expiry_is_365_days(stub, domain_id):
    before = utc_now()
    info = create_key(stub, domain_id)
    after = utc_now()

    expired_at = parse_iso(info.expired_at)
    assert before + datetime.timedelta(days=365, seconds=-1) <= expired_at <= after + datetime.timedelta(days=365)


@pytest.mark.parametrize(
    "given, expected_utc",
    [
        ("{date}", "{date}T00:00:00.000Z"),
        ("{date}T10:30:00", "{date}T10:30:00.000Z"),
        ("{date}T10:30:00Z", "{date}T10:30:00.000Z"),
        ("{date}T10:30:00+09:00", "{date}T01:30:00.000Z"),
        ("{date}T10:30:00-05:00", "{date}T15:30:00.000Z"),
    ],
)
def test_create_expiry_formats_in_utc(stub, db, domain_id, given, expected_utc):
    date = (utc_now() + datetime.timedelta(days=30)).date().isoformat()

    info = create_key(stub, domain_id, expired_at=given.format(date=date))

    assert info.expired_at == expected_utc.format(date=date)
    stored = db.api_key.find_one({"api_key_id": info.api_key_id})
    assert stored["expired_at"] == parse_iso(info.expired_at)


def test_create_same_user_twice_gives_two_keys(stub, domain_id):
    first = create_key(stub, domain_id)
    second = create_key(stub, domain_id)

    assert first.api_key_id != second.api_key_id
    assert call(stub, "list", search_query(domain_id=domain_id)).total_count == 2


# update, enable, disable, delete


def test_update_renames_key(stub, db, domain_id):
    info = create_key(stub, domain_id, name="old")

    updated = call(stub, "update", pb.UpdateAPIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id, name="new"))

    assert updated.name == "new"
    assert updated.api_key == ""
    assert db.api_key.find_one({"api_key_id": info.api_key_id})["name"] == "new"


def test_update_without_name_changes_nothing(stub, db, domain_id):
    info = create_key(stub, domain_id, name="kept")

    updated = call(stub, "update", pb.UpdateAPIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))

    assert updated.name == "kept"
    assert db.api_key.find_one({"api_key_id": info.api_key_id})["name"] == "kept"


def test_disable_is_idempotent(stub, db, domain_id):
    info = create_key(stub, domain_id)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)

    first = call(stub, "disable", request)
    second = call(stub, "disable", request)

    assert first.state == second.state == pb.APIKeyInfo.DISABLED
    assert db.api_key.find_one({"api_key_id": info.api_key_id})["state"] == "DISABLED"


def test_enable_is_idempotent(stub, db, domain_id):
    info = create_key(stub, domain_id)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)
    call(stub, "disable", request)

    first = call(stub, "enable", request)
    second = call(stub, "enable", request)

    assert first.state == second.state == pb.APIKeyInfo.ENABLED
    assert db.api_key.find_one({"api_key_id": info.api_key_id})["state"] == "ENABLED"


def test_delete_removes_key(stub, db, domain_id):
    info = create_key(stub, domain_id)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)

    call(stub, "delete", request)

    assert db.api_key.count_documents({"api_key_id": info.api_key_id}) == 0
    assert call_error(stub, "get", request).code() == grpc.StatusCode.NOT_FOUND
    assert call_error(stub, "delete", request).code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("method", ["get", "update", "enable", "disable", "delete"])
def test_methods_unknown_key_not_found(stub, domain_id, method):
    request_type = pb.UpdateAPIKeyRequest if method == "update" else pb.APIKeyRequest

    error = call_error(stub, method, request_type(domain_id=domain_id, api_key_id="api-key-000000000000"))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "api_key_id" in error.details()


@pytest.mark.parametrize("method", ["get", "update", "enable", "disable", "delete"])
def test_methods_other_domain_not_found(stub, db, domain_id, method):
    info = create_key(stub, domain_id)
    request_type = pb.UpdateAPIKeyRequest if method == "update" else pb.APIKeyRequest
    before = db.api_key.find_one({"api_key_id": info.api_key_id})

    error = call_error(stub, method, request_type(domain_id="domain-other", api_key_id=info.api_key_id))
    unknown = call_error(stub, method, request_type(domain_id="domain-other", api_key_id="api-key-000000000000"))

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details().replace(info.api_key_id, "ID") == unknown.details().replace("api-key-000000000000", "ID")
    assert db.api_key.find_one({"api_key_id": info.api_key_id}) == before


# verify


def test_verify_enabled_key_succeeds(stub, domain_id):
    info = create_key(stub, domain_id, name="named")

    verified = call(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert verified.api_key_id == info.api_key_id
    assert verified.state == pb.APIKeyInfo.ENABLED
    assert verified.domain_id == domain_id
    assert verified.user_id == "user-1"
    assert verified.expired_at == info.expired_at
    assert verified.created_at == info.created_at
    assert verified.api_key == ""


def test_verify_records_last_access(stub, db, domain_id):
    info = create_key(stub, domain_id)
    before = utc_now().replace(microsecond=0)

    call(stub, "verify", verify_request(domain_id, info.api_key_id))

    stored = db.api_key.find_one({"api_key_id": info.api_key_id})
    assert stored["last_accessed_at"] >= before
    got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    assert parse_iso(got.last_accessed_at) == stored["last_accessed_at"]


def test_verify_disabled_key_rejected(stub, domain_id):
    info = create_key(stub, domain_id)
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))

    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "disabled" in error.details()
    assert info.api_key not in error.details()


def test_verify_deleted_key_rejected(stub, domain_id):
    info = create_key(stub, domain_id)
    call(stub, "delete", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))

    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "not found" in error.details()


def test_verify_other_domain_rejected_as_not_found(stub, domain_id):
    info = create_key(stub, domain_id)

    error = call_error(stub, "verify", verify_request("domain-other", info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "not found" in error.details()


def test_verify_other_user_rejected(stub, domain_id):
    info = create_key(stub, domain_id)

    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id, user_id="user-2"))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "owner mismatch" in error.details()


def test_verify_app_type_for_user_key_rejected(stub, domain_id):
    info = create_key(stub, domain_id)
    request = pb.VerifyAPIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id, api_key_type="APP", app_id="user-1")

    error = call_error(stub, "verify", request)

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "owner mismatch" in error.details()


def test_verify_expired_key_rejected(stub, db, domain_id):
    info = create_key(stub, domain_id)
    past = utc_now() - datetime.timedelta(seconds=1)
    db.api_key.update_one({"api_key_id": info.api_key_id}, {"$set": {"expired_at": past}})

    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()
    got = call(stub, "get", pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id))
    assert got.state == pb.APIKeyInfo.ENABLED


def test_verify_expired_key_stays_rejected_after_enable(stub, db, domain_id):
    info = create_key(stub, domain_id)
    request = pb.APIKeyRequest(domain_id=domain_id, api_key_id=info.api_key_id)
    call(stub, "disable", request)
    db.api_key.update_one({"api_key_id": info.api_key_id}, {"$set": {"expired_at": utc_now()}})

    call(stub, "enable", request)
    error = call_error(stub, "verify", verify_request(domain_id, info.api_key_id))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()


# list and stat


def test_list_filters_by_state_and_user(stub, domain_id):
    kept = create_key(stub, domain_id, user_id="alice")
    disabled = create_key(stub, domain_id, user_id="alice")
    create_key(stub, domain_id, user_id="bob")
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=disabled.api_key_id))

    enabled_of_alice = call(stub, "list", search_query(domain_id=domain_id, user_id="alice", state="ENABLED"))
    by_id = call(stub, "list", search_query(domain_id=domain_id, api_key_id=disabled.api_key_id))

    assert [result.api_key_id for result in enabled_of_alice.results] == [kept.api_key_id]
    assert enabled_of_alice.total_count == 1
    assert [result.state for result in by_id.results] == [pb.APIKeyInfo.DISABLED]


def test_list_confined_to_domain(stub, domain_id):
    mine = create_key(stub, domain_id)
    other = create_key(stub, f"{domain_id}-other")

    listed = call(stub, "list", search_query(domain_id=domain_id))

    assert [result.api_key_id for result in listed.results] == [mine.api_key_id]
    assert other.api_key_id not in {result.api_key_id for result in listed.results}


@pytest.mark.parametrize(
    "query",
    [
        {"filter": [{"k": "domain_id", "v": "{other}", "o": "eq"}]},
        {"filter": [{"k": "domain_id", "v": ["{mine}", "{other}"], "o": "in"}]},
        {"filter_or": [{"k": "domain_id", "v": "{other}", "o": "eq"}, {"k": "api_key_id", "v": "api", "o": "contain"}]},
        {"filter_or": [{"k": "domain_id", "v": "{mine}", "o": "not"}]},
        {"filter": [{"k": "domain_id", "v": True, "o": "exists"}], "filter_or": [{"k": "domain_id", "v": "{other}", "o": "eq"}]},
    ],
)
def test_list_filters_cannot_widen_domain(stub, domain_id, query):
    other_domain = f"{domain_id}-other"
    create_key(stub, other_domain)
    create_key(stub, domain_id)
    text = str(query).replace("{other}", other_domain).replace("{mine}", domain_id)

    listed = call(stub, "list", search_query(domain_id=domain_id, query=eval(text)))

    assert all(result.domain_id == domain_id for result in listed.results)
    assert listed.total_count == len(listed.results)


def test_list_paging_stable_with_equal_sort_values(stub, domain_id):
    created = {create_key(stub, domain_id, name="same").api_key_id for _ in range(7)}

    seen = []
    for start in (1, 4, 7):
        page = call(stub, "list", search_query(
            domain_id=domain_id, query={"sort": {"key": "name"}, "page": {"start": start, "limit": 3}}
        ))
        seen.extend(result.api_key_id for result in page.results)
        assert page.total_count == 7

    assert len(seen) == 7
    assert set(seen) == created


def test_list_keyword_matches_literally(stub, domain_id):
    literal = create_key(stub, domain_id, name="deploy (prod) key.*[x]").api_key_id
    create_key(stub, domain_id, name="deploy prod key")

    for keyword in ("(prod) key.*[", ".*", "PROD) KEY"):
        listed = call(stub, "list", search_query(domain_id=domain_id, query={"keyword": keyword}))
        assert [result.api_key_id for result in listed.results] == [literal], keyword


def test_list_contain_matches_literally(stub, domain_id):
    literal = create_key(stub, domain_id, name="a+b^c$").api_key_id
    create_key(stub, domain_id, name="aab")

    listed = call(stub, "list", search_query(
        domain_id=domain_id, query={"filter": [{"k": "name", "v": "a+b^", "o": "contain"}]}
    ))

    assert [result.api_key_id for result in listed.results] == [literal]


def test_list_keyword_matches_api_key_id(stub, domain_id):
    target = create_key(stub, domain_id).api_key_id
    create_key(stub, domain_id)

    listed = call(stub, "list", search_query(domain_id=domain_id, query={"keyword": target[-8:]}))

    assert [result.api_key_id for result in listed.results] == [target]


def test_list_count_only_and_only(stub, domain_id):
    for _ in range(3):
        create_key(stub, domain_id, name="n")

    counted = call(stub, "list", search_query(domain_id=domain_id, query={"count_only": True}))
    projected = call(stub, "list", search_query(domain_id=domain_id, query={"only": ["api_key_id", "state"]}))

    assert counted.total_count == 3
    assert list(counted.results) == []
    assert len(projected.results) == 3
    assert all(result.name == "" and result.state == pb.APIKeyInfo.ENABLED for result in projected.results)


def test_list_sorts_descending(stub, domain_id):
    names = ["b", "c", "a"]
    for name in names:
        create_key(stub, domain_id, name=name)

    listed = call(stub, "list", search_query(domain_id=domain_id, query={"sort": {"key": "name", "desc": True}}))

    assert [result.name for result in listed.results] == ["c", "b", "a"]


def test_stat_counts_by_state_within_domain(stub, domain_id):
    for _ in range(2):
        create_key(stub, domain_id)
    disabled = create_key(stub, domain_id)
    call(stub, "disable", pb.APIKeyRequest(domain_id=domain_id, api_key_id=disabled.api_key_id))
    create_key(stub, f"{domain_id}-other")
    query = {"aggregate": [
        {"group": {"keys": [{"key": "state", "name": "state"}], "fields": [{"operator": "count", "name": "count"}]}},
        {"sort": {"key": "state"}},
    ], "filter_or": [{"k": "domain_id", "v": f"{domain_id}-other", "o": "eq"}, {"k": "state", "v": True, "o": "exists"}]}

    result = call(stub, "stat", stat_query(domain_id=domain_id, query=query))

    rows = [dict(row) for row in result["results"]]
    assert rows == [{"state": "DISABLED", "count": 1.0}, {"state": "ENABLED", "count": 2.0}]


def test_stat_distinct_user_ids(stub, domain_id):
    create_key(stub, domain_id, user_id="alice")
    create_key(stub, domain_id, user_id="bob")
    create_key(stub, f"{domain_id}-other", user_id="carol")

    result = call(stub, "stat", stat_query(domain_id=domain_id, query={"distinct": "user_id"}))

    assert list(result["results"]) == ["alice", "bob"]


def test_domain_key_pair_created_once_under_concurrency(stub, db, domain_id):
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        infos = list(pool.map(lambda index: create_key(stub, domain_id, user_id=f"user-{index}"), range(8)))

    secrets = list(db.domain_secret.find({"domain_id": domain_id}))
    assert len(secrets) == 1
    public_key = jwk.JWK(**secrets[0]["pub_jwk"])
    for info in infos:
        jwt.JWT(jwt=info.api_key, key=public_key, algs=["RS256"])

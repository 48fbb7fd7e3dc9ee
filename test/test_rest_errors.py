"""Error statuses and bad input of the REST routes: each error has the platform's JSON error shape.

Bad-input cases also check that the store is unchanged, so that a rejected
request never writes.
"""

import json
import secrets

import pytest

import stack
from rest_support import RESTClient, handler_settings, mint_access_token, server_env

METHODS = ("create", "update", "enable", "disable", "delete", "verify", "get", "list", "stat")


def assert_error(response, status: int, code: str, *names: str) -> dict:
    """Check the status and JSON error shape, and that the message names each of names."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert set(body["detail"]) == {"code", "message"}
    assert body["detail"]["code"] == code
    for name in names:
        assert name in body["detail"]["message"]
    return body["detail"]


def snapshot(store, domain_id: str) -> list:
    return sorted(store.find({"domain_id": domain_id}, {"_id": 0}), key=lambda record: record["api_key_id"])


# --- authentication and authorization -------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_every_method_without_token_is_401(rest_server, method, domain_id):
    anonymous = RESTClient(rest_server.url)

    response = anonymous.post(method, {"domain_id": domain_id})

    assert_error(response, 401, "ERROR_AUTHENTICATE_FAILURE")


def test_get_unknown_token_is_401(api, make_key):
    key = make_key()

    response = api.post("get", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]}, token="not-a-token")

    detail = assert_error(response, 401, "ERROR_AUTHENTICATE_FAILURE")
    assert "not-a-token" not in detail["message"]


def test_get_basic_authorization_is_401(api, make_key):
    key = make_key()

    response = api.post("get", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]},
                        headers={"Authorization": "Basic dXNlcjpwYXNz"})

    detail = assert_error(response, 401, "ERROR_AUTHENTICATE_FAILURE", "Bearer")
    assert "dXNlcjpwYXNz" not in detail["message"]


def test_create_other_domain_admin_is_403(api, db, store, make_key, domain_id):
    make_key()  # gives the test's domain its key pair, which signs the admin's token
    admin_token = mint_access_token(db, domain_id, "admin-1", "DOMAIN_ADMIN")
    other_domain_id = f"{domain_id}-other"

    response = api.post("create", {"domain_id": other_domain_id, "user_id": "user-1"}, token=admin_token)

    assert_error(response, 403, "ERROR_ACCESS_DENIED", "domain_id")
    assert store.count_documents({"domain_id": other_domain_id}) == 0


def test_get_domain_admin_token_is_allowed(api, db, make_key, domain_id):
    key = make_key()
    admin_token = mint_access_token(db, domain_id, "admin-1", "DOMAIN_ADMIN")

    response = api.post("get", {"domain_id": domain_id, "api_key_id": key["api_key_id"]}, token=admin_token)

    assert response.status_code == 200
    assert response.json()["api_key_id"] == key["api_key_id"]


def test_verify_user_token_is_403(api, db, make_key, domain_id):
    key = make_key(user_id="user-1")
    user_token = mint_access_token(db, domain_id, "user-1", "USER")
    body = {"domain_id": domain_id, "api_key_id": key["api_key_id"], "api_key_type": "USER", "user_id": "user-1"}

    response = api.post("verify", body, token=user_token)

    assert_error(response, 403, "ERROR_ACCESS_DENIED", "verify")


def test_verify_other_x_domain_id_is_403(api, make_key):
    # The test's DomainHeaderCheckHandler denies an X-Domain-Id that differs from domain_id.
    key = make_key()
    body = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "api_key_type": "USER",
            "user_id": "user-1"}

    response = api.post("verify", body, headers={"X-Domain-Id": "domain-other"})

    assert_error(response, 403, "ERROR_PERMISSION_DENIED")


# --- statuses from the service --------------------------------------------------------------


def test_get_unknown_key_is_404(api, domain_id):
    response = api.post("get", {"domain_id": domain_id, "api_key_id": "api-key-missing"})

    assert_error(response, 404, "ERROR_NOT_FOUND", "api_key_id", "api-key-missing")


def test_get_key_of_other_domain_is_404(api, make_key):
    key = make_key()

    response = api.post("get", {"domain_id": "domain-other", "api_key_id": key["api_key_id"]})

    assert_error(response, 404, "ERROR_NOT_FOUND", "api_key_id")


def test_delete_twice_is_404(api, store, make_key):
    key = make_key()
    ids = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"]}
    assert api.post("delete", ids).status_code == 200

    response = api.post("delete", ids)

    assert_error(response, 404, "ERROR_NOT_FOUND", key["api_key_id"])
    assert store.count_documents({"api_key_id": key["api_key_id"]}) == 0


def test_create_conflict_is_409(api, tokens, store, domain_id):
    # The test's FaultInjectionHandler raises ALREADY_EXISTS for this token,
    # because no request path of the service raises it.
    response = api.post("create", {"domain_id": domain_id, "user_id": "user-1"}, token=tokens.conflict)

    assert_error(response, 409, "ERROR_NOT_UNIQUE", "api_key_id")
    assert store.count_documents({"domain_id": domain_id}) == 0


def test_create_past_expiry_is_400(api, store, domain_id):
    response = api.post("create", {"domain_id": domain_id, "user_id": "user-1", "expired_at": "2001-01-01"})

    assert_error(response, 400, "ERROR_INVALID_PARAMETER", "expired_at", "future")
    assert store.count_documents({"domain_id": domain_id}) == 0


def test_create_missing_user_id_is_400(api, store, domain_id):
    response = api.post("create", {"domain_id": domain_id})

    assert_error(response, 400, "ERROR_REQUIRED_PARAMETER", "user_id")
    assert store.count_documents({"domain_id": domain_id}) == 0


def test_list_unknown_filter_field_is_400(api, make_key, domain_id):
    make_key()

    response = api.post("list", {"domain_id": domain_id, "query": {"filter": [{"k": "secret", "v": 1, "o": "eq"}]}})

    assert_error(response, 400, "ERROR_INVALID_PARAMETER", "query.filter[0].key", "secret")


@pytest.fixture(scope="module")
def rest_server_without_auto_secret(state_dir, mongo, tokens):
    config_path = stack.write_config(
        state_dir / "no-auto-secret.yml", mongo, DOMAIN_SECRET_AUTO_CREATE=False, **handler_settings(tokens)
    )
    server = stack.RESTService(config_path, log_path=state_dir / "rest-no-auto-secret.log", env=server_env())
    yield server.start()
    server.stop()


def test_create_without_domain_secret_is_400(rest_server_without_auto_secret, tokens, store, domain_id):
    # FAILED_PRECONDITION maps to 400, as in spaceone-core's REST exception handler.
    client = RESTClient(rest_server_without_auto_secret.url, tokens.admin)

    response = client.post("create", {"domain_id": domain_id, "user_id": "user-1"})

    assert_error(response, 400, "ERROR_DOMAIN_SECRET_MISSING", "DOMAIN_SECRET_AUTO_CREATE", domain_id)
    assert store.count_documents({"domain_id": domain_id}) == 0


@pytest.fixture(scope="module")
def rest_server_without_database(state_dir, tokens):
    """A REST server whose own SecantusDB is stopped after the server started.

    spaceone-core creates the indexes at start-up, so the database must be up
    until the server listens.
    """
    own_mongo = stack.MongoServer(state_dir / "stopped-mongo", secrets.token_urlsafe(16)).start()
    config_path = stack.write_config(state_dir / "stopped-database.yml", own_mongo, **handler_settings(tokens))
    server = stack.RESTService(config_path, log_path=state_dir / "rest-stopped-database.log", env=server_env())
    try:
        server.start()
    finally:
        own_mongo.stop()
    yield server
    server.stop()


def test_list_database_down_is_503(rest_server_without_database, tokens, domain_id):
    client = RESTClient(rest_server_without_database.url, tokens.admin)

    response = client.post("list", {"domain_id": domain_id})

    detail = assert_error(response, 503, "ERROR_DATABASE_UNAVAILABLE", "retry")
    assert stack.DB_USER not in detail["message"]


# --- bad input: translated before the service runs ------------------------------------------


BAD_BODIES = [
    # (method, raw body, expected key named in the message)
    ("create", b'{"user_id": "user-1", "owner": "me"}', "owner"),
    ("create", b'{"user_id": 5}', "user_id"),
    ("create", b'{"user_id": ["user-1"]}', "user_id"),
    ("create", b'{"user_id": {"id": "user-1"}}', "user_id"),
    ("create", b'{"user_id": true}', "user_id"),
    ("update", b'{"api_key_id": "k", "name": 1.5}', "name"),
    ("verify", b'{"api_key_id": "k", "api_key_type": "ROBOT", "user_id": "u"}', "api_key_type"),
    ("verify", b'{"api_key_id": "k", "api_key_type": "USER", "user_id": "u", "app_id": "a"}', "app_id"),
    ("list", b'{"state": "LOST"}', "state"),
    ("list", b'{"query": "all"}', "query"),
    ("list", b'{"query": {"page": {"limit": "ten"}}}', "query.page.limit"),
    ("list", b'{"query": {"page": {"limit": -1}}}', "query.page.limit"),
    ("list", b'{"query": {"page": {"start": 99999999999}}}', "query.page.start"),
    ("list", b'{"query": {"minimal": "yes"}}', "query.minimal"),
    ("list", b'{"query": {"filter": [{"k": "name", "v": "a"}, "name=a"]}}', "query.filter[1]"),
    ("list", b'{"query": {"filter": [null]}}', "query.filter[0]"),
    ("list", b'{"query": {"only": [1]}}', "query.only"),
    ("list", b'{"query": {"sorting": {}}}', "query.sorting"),
    ("list", b'{"query": {"keyword": "a\\u0000b"}}', "query.keyword"),
    ("list", b'{"query": {"filter": [{"k": "name", "v": "\\u0000", "o": "contain"}]}}', "query.filter[0].value"),
    ("list", b'{"query": {"filter": [{"k": "name", "v": ["a", "\\u0000"], "o": "contain_in"}]}}', "query.filter[0].value"),
    ("stat", b'{"query": {"aggregate": {"count": {"name": "n"}}}}', "query.aggregate"),
    ("stat", b'{"query": {"aggregate": [{"limit": "many"}]}}', "query.aggregate.limit"),
]


@pytest.mark.parametrize("method,body,key", BAD_BODIES, ids=[f"{case[0]}-{case[2]}" for case in BAD_BODIES])
def test_each_method_bad_field_is_400(api, store, make_key, domain_id, method, body, key):
    existing = make_key(name="unchanged")
    decoded = json.loads(body)
    decoded.setdefault("domain_id", domain_id)
    if method in ("update", "verify"):
        decoded["api_key_id"] = existing["api_key_id"]
    before = snapshot(store, domain_id)

    response = api.post(method, data=json.dumps(decoded).encode())

    assert_error(response, 400, "ERROR_INVALID_PARAMETER", f"key = {key}")
    assert snapshot(store, domain_id) == before


MALFORMED_BODIES = [
    ("empty", b"", "empty"),
    ("whitespace", b" \n ", "empty"),
    ("not-json", b"user_id=user-1", "not valid JSON"),
    ("truncated", b'{"user_id": "user-1"', "not valid JSON"),
    ("array", b'[{"user_id": "user-1"}]', "JSON object, not an array"),
    ("string", b'"user-1"', "JSON object, not a string"),
    ("number", b"42", "JSON object, not a number"),
    ("null", b"null", "JSON object, not null"),
    ("nan", b'{"user_id": "user-1", "query": NaN}', "NaN"),
    ("duplicate-key", b'{"user_id": "user-1", "user_id": "user-2"}', "'user_id' twice"),
    ("not-utf8", b'{"user_id": "\xff\xfe"}', "UTF-8"),
    ("lone-surrogate", b'{"user_id": "\\ud800"}', "surrogate"),
    ("deep-nesting", b'{"name": ' + b"[" * 40 + b"]" * 40 + b"}", "nested more than 32"),
    ("very-deep-nesting", b"[" * 5000 + b"]" * 5000, "nested more than 32"),
    ("huge-number", b'{"query": {"filter": [{"k": "name", "v": 1e400}]}}', "range of a double"),
]


@pytest.mark.parametrize("case,body,phrase", MALFORMED_BODIES, ids=[case[0] for case in MALFORMED_BODIES])
def test_create_malformed_body_is_400(api, store, domain_id, case, body, phrase):
    before = store.count_documents({})

    response = api.post("create", data=body)

    assert_error(response, 400, "ERROR_INVALID_PARAMETER", "key = body", phrase)
    assert store.count_documents({}) == before


def test_update_oversized_body_is_413(api, store, make_key):
    key = make_key(name="unchanged")
    body = {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "name": "x" * (64 * 1024)}

    response = api.post("update", body)

    assert_error(response, 413, "ERROR_REQUEST_BODY_TOO_LARGE", "65536 bytes")
    assert store.find_one({"api_key_id": key["api_key_id"]})["name"] == "unchanged"


def test_create_oversized_chunked_body_is_413(api, store, domain_id):
    # A generator body is sent chunked, without Content-Length, so the limit
    # applies while the body is read.
    def chunks():
        yield b'{"domain_id": "' + domain_id.encode() + b'", "user_id": "user-1", "name": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = api.post("create", data=chunks())

    assert_error(response, 413, "ERROR_REQUEST_BODY_TOO_LARGE")
    assert store.count_documents({"domain_id": domain_id}) == 0


def test_update_long_name_is_400(api, store, make_key):
    key = make_key(name="unchanged")

    response = api.post("update", {"domain_id": key["domain_id"], "api_key_id": key["api_key_id"], "name": "x" * 300})

    assert_error(response, 400, "ERROR_INVALID_PARAMETER", "key = name", "255")
    assert store.find_one({"api_key_id": key["api_key_id"]})["name"] == "unchanged"


def test_get_unknown_route_is_404(api):
    response = api.post("rotate", {"domain_id": "domain-1"})

    assert response.status_code == 404

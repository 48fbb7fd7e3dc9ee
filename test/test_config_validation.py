"""Unit tests of spaceone.api_key.conf.validation."""

import copy

import pytest

from spaceone.api_key.conf.validation import ConfigurationError, validate_global_config

SECRET_PASSWORD = "s3cret-Password-do-not-print"
SECRET_TOKEN = "system-token-do-not-print"


def make_config() -> dict:
    """Return a complete, valid global configuration."""
    return copy.deepcopy(
        {
            "HOST": "0.0.0.0",
            "DATABASES": {
                "default": {
                    "engine": "MongoModel",
                    "db": "identity",
                    "host": "mongodb://mongodb-0.mongodb:27017,mongodb-1.mongodb:27017/?replicaSet=rs0",
                    "username": "api_key",
                    "password": SECRET_PASSWORD,
                    "serverSelectionTimeoutMS": 3000,
                }
            },
            "CACHES": {
                "default": {"engine": "RedisCache", "host": "redis", "port": 6379, "db": 1, "password": SECRET_PASSWORD},
                "local": {"engine": "LocalCache", "max_size": 128, "ttl": 300},
            },
            "HANDLERS": {
                "authentication": [
                    {"backend": "spaceone.core.handler.authentication_handler:SpaceONEAuthenticationHandler"}
                ],
                "authorization": [],
                "mutation": [],
                "event": [],
            },
            "ENDPOINTS": {"identity": "grpc://identity:50051"},
            "LOG": {"loggers": {"spaceone": {"level": "INFO"}}},
            "API_KEY_MAX_TTL_DAYS": 365,
            "API_KEY_LAST_ACCESS_INTERVAL_SECONDS": 60,
            "API_KEY_CACHE_TTL_SECONDS": 30,
            "API_KEY_CACHE_ENABLED": True,
            "DOMAIN_SECRET_AUTO_CREATE": True,
            "AUTH_DISABLED_FOR_DEVELOPMENT": False,
            "GRPC_SHUTDOWN_GRACE_SECONDS": 10,
            "SYSTEM_TOKEN": SECRET_TOKEN,
        }
    )


def validation_message(conf: dict) -> str:
    with pytest.raises(ConfigurationError) as raised:
        validate_global_config(conf)
    return str(raised.value)


def test_validate_accepts_complete_config():
    validate_global_config(make_config())


def test_validate_accepts_absent_service_settings():
    conf = make_config()
    for key in ("API_KEY_MAX_TTL_DAYS", "API_KEY_CACHE_ENABLED", "SYSTEM_TOKEN", "HANDLERS", "ENDPOINTS", "LOG"):
        del conf[key]

    validate_global_config(conf)


def test_configuration_error_is_value_error():
    assert issubclass(ConfigurationError, ValueError)


def test_validate_rejects_non_mapping():
    message = validation_message(["DATABASES"])

    assert "must be a mapping" in message


@pytest.mark.parametrize("field", ["host", "db", "username"])
def test_databases_missing_field(field):
    conf = make_config()
    del conf["DATABASES"]["default"][field]

    message = validation_message(conf)

    assert message == f"Invalid configuration: DATABASES.default.{field} is missing"


@pytest.mark.parametrize("field", ["host", "db", "username"])
def test_databases_empty_field(field):
    conf = make_config()
    conf["DATABASES"]["default"][field] = "  "

    message = validation_message(conf)

    assert f"DATABASES.default.{field} must not be empty" in message


def test_databases_non_string_db():
    conf = make_config()
    conf["DATABASES"]["default"]["db"] = 5

    message = validation_message(conf)

    assert "DATABASES.default.db must be a string, got int" in message


def test_databases_missing_section():
    conf = make_config()
    del conf["DATABASES"]

    message = validation_message(conf)

    assert message == "Invalid configuration: DATABASES is missing"


def test_databases_missing_default():
    conf = make_config()
    conf["DATABASES"] = {"other": conf["DATABASES"]["default"]}

    message = validation_message(conf)

    assert "DATABASES.default is missing" in message


def test_databases_host_without_scheme():
    conf = make_config()
    conf["DATABASES"]["default"]["host"] = "mongodb-0:27017"

    message = validation_message(conf)

    assert "DATABASES.default.host must be a MongoDB connection string" in message
    assert "'mongodb-0:27017'" in message


def test_databases_host_masks_userinfo():
    conf = make_config()
    conf["DATABASES"]["default"]["host"] = f"mongo://admin:{SECRET_PASSWORD}@mongodb:27017"

    message = validation_message(conf)

    assert "DATABASES.default.host" in message
    assert SECRET_PASSWORD not in message
    assert "mongo://***@mongodb:27017" in message


def test_databases_srv_host_accepted():
    conf = make_config()
    conf["DATABASES"]["default"]["host"] = "mongodb+srv://cluster0.example.net/"

    validate_global_config(conf)


def test_databases_password_not_echoed():
    conf = make_config()
    conf["DATABASES"]["default"]["password"] = 123456789

    message = validation_message(conf)

    assert "DATABASES.default.password must be a string, got int" in message
    assert "123456789" not in message


def test_databases_wrong_engine():
    conf = make_config()
    conf["DATABASES"]["default"]["engine"] = "SQLModel"

    message = validation_message(conf)

    assert "DATABASES.default.engine must be 'MongoModel', got 'SQLModel'" in message


def test_databases_timeout_not_integer():
    conf = make_config()
    conf["DATABASES"]["default"]["serverSelectionTimeoutMS"] = "3s"

    message = validation_message(conf)

    assert "DATABASES.default.serverSelectionTimeoutMS must be an integer between 1 and 600000, got '3s'" in message


def test_databases_other_alias_checked():
    conf = make_config()
    conf["DATABASES"]["audit"] = {"host": "mongodb://audit:27017"}

    message = validation_message(conf)

    assert "DATABASES.audit.db is missing" in message
    assert "DATABASES.audit.username is missing" in message


def test_caches_absent_means_no_cache():
    conf = make_config()
    del conf["CACHES"]

    validate_global_config(conf)


@pytest.mark.parametrize("default", [{}, None, {"engine": "RedisCache"}])
def test_caches_empty_default_means_no_cache(default):
    conf = make_config()
    conf["CACHES"]["default"] = default

    validate_global_config(conf)


def test_caches_missing_host():
    conf = make_config()
    del conf["CACHES"]["default"]["host"]

    message = validation_message(conf)

    assert message == "Invalid configuration: CACHES.default.host is missing"


def test_caches_missing_port():
    conf = make_config()
    del conf["CACHES"]["default"]["port"]

    message = validation_message(conf)

    assert message == "Invalid configuration: CACHES.default.port is missing"


@pytest.mark.parametrize("port", ["6379", 0, 70000, True])
def test_caches_invalid_port(port):
    conf = make_config()
    conf["CACHES"]["default"]["port"] = port

    message = validation_message(conf)

    assert f"CACHES.default.port must be an integer between 1 and 65535, got {port!r}" in message


def test_caches_wrong_engine():
    conf = make_config()
    conf["CACHES"]["default"]["engine"] = "LocalCache"

    message = validation_message(conf)

    assert "CACHES.default.engine must be 'RedisCache', got 'LocalCache'" in message


def test_caches_password_not_echoed():
    conf = make_config()
    conf["CACHES"]["default"]["password"] = ["hunter2"]

    message = validation_message(conf)

    assert "CACHES.default.password must be a string, got list" in message
    assert "hunter2" not in message


def test_caches_negative_db():
    conf = make_config()
    conf["CACHES"]["default"]["db"] = -1

    message = validation_message(conf)

    assert "CACHES.default.db must be an integer" in message


def test_caches_ssl_not_boolean():
    conf = make_config()
    conf["CACHES"]["default"]["ssl"] = "yes"

    message = validation_message(conf)

    assert "CACHES.default.ssl must be a boolean" in message


def test_caches_not_mapping():
    conf = make_config()
    conf["CACHES"] = ["redis"]

    message = validation_message(conf)

    assert "CACHES must be a mapping, got list" in message


def test_handlers_unknown_type():
    conf = make_config()
    conf["HANDLERS"]["authentification"] = []

    message = validation_message(conf)

    assert "HANDLERS.authentification is not a handler type" in message


def test_handlers_type_not_list():
    conf = make_config()
    conf["HANDLERS"]["authorization"] = None

    message = validation_message(conf)

    assert "HANDLERS.authorization must be a list, got NoneType" in message


def test_handlers_entry_not_mapping():
    conf = make_config()
    conf["HANDLERS"]["mutation"] = ["spaceone.core.handler.mutation_handler:SpaceONEMutationHandler"]

    message = validation_message(conf)

    assert "HANDLERS.mutation[0] must be a mapping with a backend, got str" in message


def test_handlers_missing_backend():
    conf = make_config()
    conf["HANDLERS"]["event"] = [{"uri": "grpc://event:50051"}]

    message = validation_message(conf)

    assert "HANDLERS.event[0].backend is missing" in message


@pytest.mark.parametrize(
    "backend",
    [
        "spaceone.core.handler.authentication_handler.SpaceONEAuthenticationHandler",
        "spaceone.core.handler:",
        ":SpaceONEAuthenticationHandler",
        "spaceone core:Handler",
        42,
    ],
)
def test_handlers_malformed_backend(backend):
    conf = make_config()
    conf["HANDLERS"]["authentication"].append({"backend": backend})

    message = validation_message(conf)

    assert "HANDLERS.authentication[1].backend must have the form 'package.module:ClassName'" in message


def test_endpoints_without_scheme():
    conf = make_config()
    conf["ENDPOINTS"]["identity"] = "identity:50051"

    message = validation_message(conf)

    assert "ENDPOINTS.identity must be a URI" in message
    assert "'identity:50051'" in message


def test_endpoints_not_mapping():
    conf = make_config()
    conf["ENDPOINTS"] = ["grpc://identity:50051"]

    message = validation_message(conf)

    assert "ENDPOINTS must be a mapping" in message


def test_log_unknown_level():
    conf = make_config()
    conf["LOG"]["loggers"]["spaceone"]["level"] = "VERBOSE"

    message = validation_message(conf)

    assert "LOG.loggers.spaceone.level must be one of" in message


def test_host_empty():
    conf = make_config()
    conf["HOST"] = ""

    message = validation_message(conf)

    assert "HOST must not be empty" in message


@pytest.mark.parametrize("value", ["abc", "30", 0, 366, 3.5, True, None])
def test_max_ttl_days_invalid(value):
    conf = make_config()
    conf["API_KEY_MAX_TTL_DAYS"] = value

    message = validation_message(conf)

    assert message == (
        f"Invalid configuration: API_KEY_MAX_TTL_DAYS must be an integer between 1 and 365, got {value!r}"
    )


@pytest.mark.parametrize("value", [1, 365])
def test_max_ttl_days_bounds_accepted(value):
    conf = make_config()
    conf["API_KEY_MAX_TTL_DAYS"] = value

    validate_global_config(conf)


@pytest.mark.parametrize(
    "key, value",
    [
        ("API_KEY_LAST_ACCESS_INTERVAL_SECONDS", 0),
        ("API_KEY_LAST_ACCESS_INTERVAL_SECONDS", 86401),
        ("API_KEY_CACHE_TTL_SECONDS", 0),
        ("API_KEY_CACHE_TTL_SECONDS", "30"),
        ("GRPC_SHUTDOWN_GRACE_SECONDS", -1),
    ],
)
def test_interval_settings_invalid(key, value):
    conf = make_config()
    conf[key] = value

    message = validation_message(conf)

    assert message.startswith(f"Invalid configuration: {key} must be an integer between")
    assert f"got {value!r}" in message


@pytest.mark.parametrize("key", ["API_KEY_CACHE_ENABLED", "DOMAIN_SECRET_AUTO_CREATE", "AUTH_DISABLED_FOR_DEVELOPMENT"])
@pytest.mark.parametrize("value", ["true", 1, None])
def test_boolean_settings_invalid(key, value):
    conf = make_config()
    conf[key] = value

    message = validation_message(conf)

    assert message == f"Invalid configuration: {key} must be a boolean (true or false), got {value!r}"


def test_system_token_not_string():
    conf = make_config()
    conf["SYSTEM_TOKEN"] = 987654321

    message = validation_message(conf)

    assert message == "Invalid configuration: SYSTEM_TOKEN must be a string, got int"
    assert "987654321" not in message


def test_validate_lists_every_problem():
    conf = make_config()
    del conf["DATABASES"]["default"]["host"]
    conf["API_KEY_MAX_TTL_DAYS"] = "abc"

    with pytest.raises(ConfigurationError) as raised:
        validate_global_config(conf)

    assert raised.value.problems == [
        "DATABASES.default.host is missing",
        "API_KEY_MAX_TTL_DAYS must be an integer between 1 and 365, got 'abc'",
    ]
    assert str(raised.value).startswith("Invalid configuration (2 problems):\n- ")


def test_validate_never_prints_secrets():
    conf = make_config()
    conf["DATABASES"]["default"]["db"] = None
    conf["CACHES"]["default"]["port"] = None
    conf["HANDLERS"]["event"] = [{}]
    conf["API_KEY_CACHE_ENABLED"] = "no"

    message = validation_message(conf)

    assert SECRET_PASSWORD not in message
    assert SECRET_TOKEN not in message


def test_validate_accepts_spaceone_core_merged_defaults():
    """The merged configuration keeps spaceone-core's LocalCache alias and engine keys."""
    from spaceone.core.config import default_conf

    conf = {key: copy.deepcopy(value) for key, value in vars(default_conf).items() if not key.startswith("__")}
    conf["DATABASES"]["default"].update(make_config()["DATABASES"]["default"])

    validate_global_config(conf)

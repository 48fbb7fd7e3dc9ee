"""Validation of the service's global configuration before the server starts.

Call ``validate_global_config(config.get_global())`` after spaceone-core has
merged its defaults, ``global_conf.py`` and the ``-c`` file. The deployment's
entrypoint also calls it on the ``GLOBAL`` section of the rendered file, so a
bad value fails the pod before the server imports anything.

Error messages name the offending key. They echo a bad value only for keys that
hold no secret, and they mask the user information of MongoDB connection
strings.
"""

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ConfigurationError", "validate_global_config"]

HANDLER_TYPES = ("authentication", "authorization", "mutation", "event")
ENDPOINT_SCHEMES = ("grpc", "grpc+ssl", "http", "https")
MONGODB_SCHEMES = ("mongodb://", "mongodb+srv://")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# (key, minimum, maximum) of the service's integer settings. API_KEY_MAX_TTL_DAYS's
# 365 is the service's rule. The other maximums are sanity limits chosen here,
# far above any sensible value, to catch unit mistakes such as milliseconds.
INTEGER_SETTINGS = (
    ("API_KEY_MAX_TTL_DAYS", 1, 365),
    ("API_KEY_LAST_ACCESS_INTERVAL_SECONDS", 1, 86400),
    ("API_KEY_CACHE_TTL_SECONDS", 1, 3600),
    ("GRPC_SHUTDOWN_GRACE_SECONDS", 0, 300),
)
BOOLEAN_SETTINGS = (
    "GRPC_ASYNCIO",
    "API_KEY_CACHE_ENABLED",
    "DOMAIN_SECRET_AUTO_CREATE",
    "AUTH_DISABLED_FOR_DEVELOPMENT",
)

# A Python module path, a colon, then a class name: "package.module:ClassName".
_BACKEND_PATTERN = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_URI_USERINFO_PATTERN = re.compile(r"(://)[^@/]*@")


class ConfigurationError(ValueError):
    """Invalid global configuration. ``problems`` lists one message per offending key."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"Invalid configuration: {self.problems[0]}"
        else:
            listed = "\n".join(f"- {problem}" for problem in self.problems)
            message = f"Invalid configuration ({len(self.problems)} problems):\n{listed}"
        super().__init__(message)


def validate_global_config(conf: Mapping) -> None:
    """Check the global configuration and raise ConfigurationError listing every problem.

    Keys of the service that are absent keep their defaults and pass. DATABASES
    must name a MongoDB connection: ``default`` needs host, db and username,
    because spaceone-core silently skips a connection that lacks any of them.
    """
    if not isinstance(conf, Mapping):
        raise ConfigurationError([f"the global configuration must be a mapping, got {type(conf).__name__}"])

    problems: list[str] = []
    _check_server(conf, problems)
    _check_databases(conf, problems)
    _check_caches(conf, problems)
    _check_handlers(conf, problems)
    _check_endpoints(conf, problems)
    _check_log(conf, problems)
    _check_service_settings(conf, problems)

    if problems:
        raise ConfigurationError(problems)


def _check_server(conf: Mapping, problems: list[str]) -> None:
    if "HOST" in conf:
        _check_non_empty_string(conf["HOST"], "HOST", problems)


def _check_databases(conf: Mapping, problems: list[str]) -> None:
    databases = conf.get("DATABASES")
    if databases is None:
        problems.append("DATABASES is missing")
        return
    if not isinstance(databases, Mapping):
        problems.append(f"DATABASES must be a mapping, got {type(databases).__name__}")
        return
    if "default" not in databases or databases["default"] is None:
        problems.append("DATABASES.default is missing")

    for alias, database in databases.items():
        if database is None and alias == "default":
            continue
        _check_database(database, f"DATABASES.{alias}", problems)


def _check_database(database: Any, key: str, problems: list[str]) -> None:
    if not isinstance(database, Mapping):
        problems.append(f"{key} must be a mapping, got {type(database).__name__}")
        return

    for field in ("host", "db", "username"):
        if database.get(field) is None:
            problems.append(f"{key}.{field} is missing")
        else:
            _check_non_empty_string(database[field], f"{key}.{field}", problems)

    host = database.get("host")
    if isinstance(host, str) and host.strip() and not host.startswith(MONGODB_SCHEMES):
        problems.append(
            f"{key}.host must be a MongoDB connection string starting with mongodb:// or "
            f"mongodb+srv://, got {_mask_userinfo(host)!r}"
        )

    if "password" in database and database["password"] is not None:
        if not isinstance(database["password"], str):
            problems.append(f"{key}.password must be a string, got {type(database['password']).__name__}")

    engine = database.get("engine", "MongoModel")
    if engine != "MongoModel":
        problems.append(f"{key}.engine must be 'MongoModel', got {engine!r}")

    for field, value in database.items():
        if isinstance(field, str) and field.endswith("TimeoutMS"):
            _check_integer(value, f"{key}.{field}", 1, 600_000, problems)


def _check_caches(conf: Mapping, problems: list[str]) -> None:
    """Check CACHES.default, which is either unset (no cache) or a Redis connection.

    spaceone-core's own default is ``{"engine": "RedisCache"}`` with no host, and
    its deep merge cannot empty that entry, so an entry that contains nothing but
    ``engine`` also counts as no cache.
    """
    caches = conf.get("CACHES")
    if caches is None:
        return
    if not isinstance(caches, Mapping):
        problems.append(f"CACHES must be a mapping, got {type(caches).__name__}")
        return

    cache = caches.get("default")
    if cache is None:
        return
    key = "CACHES.default"
    if not isinstance(cache, Mapping):
        problems.append(f"{key} must be a mapping, got {type(cache).__name__}")
        return
    if set(cache) <= {"engine"}:
        return

    engine = cache.get("engine")
    if engine != "RedisCache":
        problems.append(f"{key}.engine must be 'RedisCache', got {engine!r}")

    if cache.get("host") is None:
        problems.append(f"{key}.host is missing")
    else:
        _check_non_empty_string(cache["host"], f"{key}.host", problems)

    if cache.get("port") is None:
        problems.append(f"{key}.port is missing")
    else:
        _check_integer(cache["port"], f"{key}.port", 1, 65535, problems)

    if "db" in cache:
        _check_integer(cache["db"], f"{key}.db", 0, 1_000_000, problems)

    if "password" in cache and cache["password"] is not None:
        if not isinstance(cache["password"], str):
            problems.append(f"{key}.password must be a string, got {type(cache['password']).__name__}")

    if "ssl" in cache and not isinstance(cache["ssl"], bool):
        problems.append(f"{key}.ssl must be a boolean (true or false), got {cache['ssl']!r}")


def _check_handlers(conf: Mapping, problems: list[str]) -> None:
    handlers = conf.get("HANDLERS")
    if handlers is None:
        return
    if not isinstance(handlers, Mapping):
        problems.append(f"HANDLERS must be a mapping, got {type(handlers).__name__}")
        return

    for handler_type, entries in handlers.items():
        key = f"HANDLERS.{handler_type}"
        if handler_type not in HANDLER_TYPES:
            problems.append(f"{key} is not a handler type; use one of {', '.join(HANDLER_TYPES)}")
            continue
        if not isinstance(entries, list):
            problems.append(f"{key} must be a list, got {type(entries).__name__}")
            continue

        for index, entry in enumerate(entries):
            _check_handler(entry, f"{key}[{index}]", problems)


def _check_handler(entry: Any, key: str, problems: list[str]) -> None:
    if not isinstance(entry, Mapping):
        problems.append(f"{key} must be a mapping with a backend, got {type(entry).__name__}")
        return

    backend = entry.get("backend")
    if backend is None:
        problems.append(f"{key}.backend is missing")
    elif not isinstance(backend, str) or not _BACKEND_PATTERN.match(backend):
        problems.append(f"{key}.backend must have the form 'package.module:ClassName', got {backend!r}")


def _check_endpoints(conf: Mapping, problems: list[str]) -> None:
    endpoints = conf.get("ENDPOINTS")
    if endpoints is None:
        return
    if not isinstance(endpoints, Mapping):
        problems.append(f"ENDPOINTS must be a mapping of service name to URI, got {type(endpoints).__name__}")
        return

    for service, uri in endpoints.items():
        key = f"ENDPOINTS.{service}"
        scheme, separator, rest = uri.partition("://") if isinstance(uri, str) else ("", "", "")
        if not separator or scheme not in ENDPOINT_SCHEMES or not rest.strip("/"):
            problems.append(
                f"{key} must be a URI such as grpc://identity:50051 with a scheme of "
                f"{', '.join(ENDPOINT_SCHEMES)}, got {uri!r}"
            )


def _check_log(conf: Mapping, problems: list[str]) -> None:
    log = conf.get("LOG")
    if log is None:
        return
    if not isinstance(log, Mapping):
        problems.append(f"LOG must be a mapping, got {type(log).__name__}")
        return

    loggers = log.get("loggers")
    if loggers is None:
        return
    if not isinstance(loggers, Mapping):
        problems.append(f"LOG.loggers must be a mapping, got {type(loggers).__name__}")
        return

    for name, logger in loggers.items():
        key = f"LOG.loggers.{name}"
        if not isinstance(logger, Mapping):
            problems.append(f"{key} must be a mapping, got {type(logger).__name__}")
        elif "level" in logger and logger["level"] not in LOG_LEVELS:
            problems.append(f"{key}.level must be one of {', '.join(LOG_LEVELS)}, got {logger['level']!r}")


def _check_service_settings(conf: Mapping, problems: list[str]) -> None:
    for key, minimum, maximum in INTEGER_SETTINGS:
        if key in conf:
            _check_integer(conf[key], key, minimum, maximum, problems)

    for key in BOOLEAN_SETTINGS:
        if key in conf and not isinstance(conf[key], bool):
            problems.append(f"{key} must be a boolean (true or false), got {conf[key]!r}")

    timeout = conf.get("API_KEY_CACHE_TIMEOUT_SECONDS", 0.5)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0.01 <= timeout <= 10:
        problems.append(f"API_KEY_CACHE_TIMEOUT_SECONDS must be a number of seconds between 0.01 and 10, got {timeout!r}")

    if "SYSTEM_TOKEN" in conf and not isinstance(conf["SYSTEM_TOKEN"], str):
        problems.append(f"SYSTEM_TOKEN must be a string, got {type(conf['SYSTEM_TOKEN']).__name__}")


def _check_integer(value: Any, key: str, minimum: int, maximum: int, problems: list[str]) -> None:
    # bool is a subclass of int, but a YAML true is never meant as a number.
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        problems.append(f"{key} must be an integer between {minimum} and {maximum}, got {value!r}")


def _check_non_empty_string(value: Any, key: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{key} must be a string, got {type(value).__name__}")
    elif not value.strip():
        problems.append(f"{key} must not be empty")


def _mask_userinfo(uri: str) -> str:
    """Replace the user and password of a connection string with ***."""
    return _URI_USERINFO_PATTERN.sub(r"\1***@", uri)

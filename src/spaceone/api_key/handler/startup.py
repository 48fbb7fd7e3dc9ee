"""The check of the authentication setting that every server runs once, before it serves.

Authentication can be off only through AUTH_DISABLED_FOR_DEVELOPMENT, and only
this module turns it off, so the WARNING below is logged whenever it is off.
The gRPC server runs the check at start. APIKeyService runs it too, once per
process, so that a server that starts without it (such as the REST server)
still gets it before its first call is served.
"""

import logging
import threading

from spaceone.core import config
from spaceone.core.handler import get_authentication_handlers, get_authorization_handlers

from spaceone.api_key.handler.authentication import APIKeyAuthenticationHandler
from spaceone.api_key.handler.authorization import APIKeyAuthorizationHandler

_LOGGER = logging.getLogger(__name__)

DISABLE_SETTING = "AUTH_DISABLED_FOR_DEVELOPMENT"
# A shorter value is a placeholder, not a token: the platform's system token is a
# signed JWT of several hundred characters, and tools/stack.py makes 64.
MIN_SYSTEM_TOKEN_LENGTH = 32


class AuthConfigurationError(RuntimeError):
    """The authentication setting is unsafe or invalid; the server must not start."""


_applied = False
_apply_lock = threading.Lock()


def ensure_auth_setting_applied() -> None:
    """Run apply_auth_setting once per process; raise its error again on every call until it passes."""
    global _applied
    if _applied:
        return
    with _apply_lock:
        if not _applied:
            apply_auth_setting()


def apply_auth_setting() -> bool:
    """Check the authentication setting, or turn authentication off for development.

    Return True when authentication is on. Raise AuthConfigurationError when
    the handlers of this service are missing from HANDLERS without the
    development setting, or when a setting has the wrong type. Also builds the
    configured handlers, so that a broken handler entry fails the start, not
    the first request.
    """
    global _applied
    disabled = config.get_global(DISABLE_SETTING, False)
    if not isinstance(disabled, bool):
        raise AuthConfigurationError(f"{DISABLE_SETTING} must be true or false, got {type(disabled).__name__}")
    if disabled:
        _disable_auth()
        _applied = True
        return False

    _check_handlers()
    _check_system_token()
    _applied = True
    return True


def _disable_auth() -> None:
    handlers = config.get_global("HANDLERS", {})
    handlers["authentication"] = []
    handlers["authorization"] = []
    config.set_global_force(HANDLERS=handlers)

    # spaceone-core builds its handlers once; if that already happened, the
    # configuration above has no effect and the handlers would stay on silently.
    if get_authentication_handlers() or get_authorization_handlers():
        raise AuthConfigurationError(
            f"{DISABLE_SETTING} is true but the handlers were already built; set it before the server starts"
        )

    _LOGGER.warning(
        "AUTHENTICATION AND AUTHORIZATION ARE OFF: %s is true. Any caller that reaches this server can"
        " read, change and verify every API key of every domain. Use this setting for development only,"
        " never in a deployment.",
        DISABLE_SETTING,
    )


def _check_handlers() -> None:
    missing = []
    if not any(isinstance(handler, APIKeyAuthenticationHandler) for handler in get_authentication_handlers()):
        missing.append(f"authentication: {_backend(APIKeyAuthenticationHandler)}")
    if not any(isinstance(handler, APIKeyAuthorizationHandler) for handler in get_authorization_handlers()):
        missing.append(f"authorization: {_backend(APIKeyAuthorizationHandler)}")
    if missing:
        raise AuthConfigurationError(
            "HANDLERS lacks this service's handlers (" + "; ".join(missing) + "). Keep the defaults of"
            f" conf/global_conf.py, or set {DISABLE_SETTING}: true for development only."
        )


def _check_system_token() -> None:
    system_token = config.get_global("SYSTEM_TOKEN")
    if system_token is None or system_token == "":
        _LOGGER.warning("SYSTEM_TOKEN is not set: verify rejects every caller, and no caller has the SYSTEM role")
        return
    if not isinstance(system_token, str):
        raise AuthConfigurationError(f"SYSTEM_TOKEN must be a string, got {type(system_token).__name__}")
    if len(system_token) < MIN_SYSTEM_TOKEN_LENGTH:
        raise AuthConfigurationError(
            f"SYSTEM_TOKEN must be at least {MIN_SYSTEM_TOKEN_LENGTH} characters; set the platform's system token"
        )


def _backend(handler_class: type) -> str:
    return f"{handler_class.__module__}:{handler_class.__name__}"

"""Test-only authentication and authorization handlers, driven by a token table in their config.

The REST tests configure these in the servers they start, so that the token
and x_domain_id a request carries are checked where the platform's handlers
check them: in the service's transaction metadata. Each entry of "tokens"
maps a token to what it may do:

    permissions: list of permissions, such as identity:APIKey.write
    requires_x_domain_id: the x_domain_id metadata must equal params["domain_id"]
    raise: name of a spaceone-core error class that the handler raises for
        this token, with raise_kwargs as its arguments. It lets a test reach
        a status that the service itself reaches only in a rare race.
"""

from spaceone.core import error as core_error
from spaceone.core.error import ERROR_AUTHENTICATE_FAILURE, ERROR_PERMISSION_DENIED, ERROR_REQUIRED_X_DOMAIN_ID
from spaceone.core.handler import BaseAuthenticationHandler, BaseAuthorizationHandler


def _token_entry(handler, transaction) -> dict:
    token = transaction.get_meta("token")
    if not token:
        raise ERROR_AUTHENTICATE_FAILURE(message="no token in the request")
    entry = handler.config["tokens"].get(token)
    if entry is None:
        raise ERROR_AUTHENTICATE_FAILURE(message="the token is not valid")
    return entry


class TokenAuthenticationHandler(BaseAuthenticationHandler):
    def verify(self, params: dict) -> None:
        entry = _token_entry(self, self.transaction)
        if error_name := entry.get("raise"):
            raise getattr(core_error, error_name)(**entry.get("raise_kwargs", {}))

        if entry.get("requires_x_domain_id"):
            x_domain_id = self.transaction.get_meta("x_domain_id")
            if not x_domain_id:
                raise ERROR_REQUIRED_X_DOMAIN_ID()
            if x_domain_id != params.get("domain_id"):
                raise ERROR_PERMISSION_DENIED()


class TokenAuthorizationHandler(BaseAuthorizationHandler):
    def verify(self, params: dict, permission: str = None, role_types: list = None) -> None:
        entry = _token_entry(self, self.transaction)
        if permission not in entry.get("permissions", []):
            raise ERROR_PERMISSION_DENIED()

"""Authorization of every APIKey call by the caller's role, domain and user."""

from spaceone.core.error import ERROR_INVALID_PARAMETER_TYPE
from spaceone.core.handler import BaseAuthorizationHandler

from spaceone.api_key.error import ERROR_ACCESS_DENIED
from spaceone.api_key.handler import caller


class APIKeyAuthorizationHandler(BaseAuthorizationHandler):
    """Allow or deny a call by the caller that the authentication handler stored.

    The role table:

    - SYSTEM (only the configured SYSTEM_TOKEN): every method in any domain.
      It is the only caller of verify.
    - DOMAIN_ADMIN: every method but verify, on every key of its own domain.
    - WORKSPACE_OWNER, WORKSPACE_MEMBER, USER, and API keys: every method but
      verify, on their own keys only. params["user_id"] is set to the caller's
      user_id, and the service confines each method to it.

    A method may be called only by the role types its @transaction declares.
    For every caller but SYSTEM, a ``domain_id`` other than the token's is
    PERMISSION_DENIED, and a missing one is taken from the token. A caller that
    has no identity in the meta, such as one on a server whose authentication
    handler is missing, is denied.
    """

    def verify(self, params: dict, permission: str = None, role_types: list = None) -> None:
        token_type = self.transaction.get_meta(caller.TOKEN_TYPE)
        role_type = self.transaction.get_meta(caller.ROLE_TYPE)
        if token_type is None or role_type is None:
            raise ERROR_ACCESS_DENIED(reason="the caller was not authenticated")
        if not isinstance(params, dict):
            raise ERROR_INVALID_PARAMETER_TYPE(key="request", type="object")

        verb = self.transaction.verb
        if token_type == caller.SYSTEM_TOKEN and role_type == caller.SYSTEM:
            _check_role_type(caller.SYSTEM, role_types, verb)
            return

        # A signed token can never carry the SYSTEM role, whatever its rol claim contains.
        if role_type not in caller.USER_ROLE_TYPES:
            raise ERROR_ACCESS_DENIED(reason=f"the role type {role_type} is not accepted by this service")
        if self.transaction.get_meta(caller.OWNER_TYPE) != "USER":
            raise ERROR_ACCESS_DENIED(reason="only users may call this service; app tokens have no role bindings here")
        _check_role_type(role_type, role_types, verb)

        self._confine_to_domain(params)
        if role_type == caller.DOMAIN_ADMIN:
            self._default_create_owner(params, verb)
        else:
            self._confine_to_user(params)

    def _confine_to_domain(self, params: dict) -> None:
        domain_id = self.transaction.get_meta(caller.DOMAIN_ID)
        requested = params.get("domain_id")
        if requested is None or requested == "":
            params["domain_id"] = domain_id
        elif requested != domain_id:
            raise ERROR_ACCESS_DENIED(reason="domain_id must be the domain of the caller's token")

    def _confine_to_user(self, params: dict) -> None:
        user_id = self.transaction.get_meta(caller.USER_ID)
        requested = params.get("user_id")
        if requested is None or requested == "":
            params["user_id"] = user_id
        elif requested != user_id:
            raise ERROR_ACCESS_DENIED(reason="user_id must be the caller's own: this role manages only its own API keys")

    def _default_create_owner(self, params: dict, verb: str) -> None:
        # A domain admin who names no owner creates a key of its own.
        if verb == "create" and params.get("user_id") in (None, ""):
            params["user_id"] = self.transaction.get_meta(caller.USER_ID)


def _check_role_type(role_type: str, role_types: list | None, verb: str) -> None:
    # A method that declares no role types rejects every caller.
    if not role_types or role_type not in role_types:
        raise ERROR_ACCESS_DENIED(reason=f"the role type {role_type} may not call {verb}")

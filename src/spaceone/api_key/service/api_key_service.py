import functools
import logging

from spaceone.core import config
from spaceone.core.error import ERROR_INVALID_PARAMETER
from spaceone.core.service import (
    BaseService,
    authentication_handler,
    authorization_handler,
    event_handler,
    mutation_handler,
    transaction,
)

from spaceone.api_key.handler.startup import ensure_auth_setting_applied
from spaceone.api_key.lib import utc
from spaceone.api_key.manager import APIKeyManager, VerifyManager, VerifyRecord
from spaceone.api_key.model import APIKey
from spaceone.api_key.service import request_checks as checks
from spaceone.api_key.service.hot_path import async_hot_path_transaction, hot_path_transaction

_LOGGER = logging.getLogger(__name__)

# Role types that may call each method. The authorization handler enforces them.
# It confines every role but SYSTEM to its domain, and every role below
# DOMAIN_ADMIN to its own keys. Permissions are declared for the platform's
# policies, but this service has no role bindings, so it does not check them.
_ALL_ROLES = ["SYSTEM", "DOMAIN_ADMIN", "WORKSPACE_OWNER", "WORKSPACE_MEMBER", "USER"]
_STATES = ("ENABLED", "DISABLED")
_API_KEY_TYPES = ("USER", "APP")


@authentication_handler
@authorization_handler
@mutation_handler
@event_handler
class APIKeyService(BaseService):
    """The APIKey methods, shared by the gRPC and REST interfaces.

    Every method is confined to params["domain_id"]. When an authorization
    handler sets params["user_id"] for a caller that may touch only its own
    keys, every method is confined to that owner too. create then makes a key
    of that user, and get, update, enable, disable, delete, list and stat see
    only that user's keys. Each method returns plain values: the API key info
    as a dict.
    """

    resource = "APIKey"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ensure_auth_setting_applied()

    # Managers are built on first use: verify, the call every request makes,
    # needs only the VerifyManager.
    @functools.cached_property
    def api_key_mgr(self) -> APIKeyManager:
        return APIKeyManager()

    @functools.cached_property
    def verify_mgr(self) -> VerifyManager:
        return VerifyManager()

    @transaction(permission="identity:APIKey.write", role_types=_ALL_ROLES)
    def create(self, params: dict) -> dict:
        domain_id = checks.required_id(params, "domain_id")
        user_id = checks.required_id(params, "user_id")
        name = checks.optional_name(params) or ""
        max_days = config.get_global("API_KEY_MAX_TTL_DAYS", 365)
        expired_at = checks.expiry(params, utc.now(), max_days)

        api_key_vo, api_key = self.api_key_mgr.create_api_key(
            domain_id=domain_id, user_id=user_id, name=name, expired_at=expired_at
        )
        return {**_info(api_key_vo), "api_key": api_key}

    @transaction(permission="identity:APIKey.write", role_types=_ALL_ROLES)
    def update(self, params: dict) -> dict:
        api_key_vo = self._get_scoped(params)
        name = checks.optional_name(params)
        if name is None:
            return _info(api_key_vo)
        return _info(self.api_key_mgr.update_api_key(api_key_vo, name=name))

    @transaction(permission="identity:APIKey.write", role_types=_ALL_ROLES)
    def enable(self, params: dict) -> dict:
        return _info(self._set_state(params, "ENABLED"))

    @transaction(permission="identity:APIKey.write", role_types=_ALL_ROLES)
    def disable(self, params: dict) -> dict:
        return _info(self._set_state(params, "DISABLED"))

    @transaction(permission="identity:APIKey.write", role_types=_ALL_ROLES)
    def delete(self, params: dict) -> None:
        api_key_vo = self._get_scoped(params)
        self.api_key_mgr.delete_api_key(api_key_vo)

    @hot_path_transaction(permission="identity:APIKey.read", role_types=["SYSTEM"])
    def verify(self, params: dict) -> dict:
        domain_id = checks.required_id(params, "domain_id")
        api_key_id = checks.required_id(params, "api_key_id")
        owner_type, owner_id = _verify_owner(params)

        record = self.verify_mgr.verify(domain_id, api_key_id, owner_type, owner_id)
        return _verify_info(record)

    @async_hot_path_transaction(permission="identity:APIKey.read", role_types=["SYSTEM"])
    async def verify_async(self, params: dict) -> dict:
        """Do what verify does, on the gRPC server's event loop."""
        domain_id = checks.required_id(params, "domain_id")
        api_key_id = checks.required_id(params, "api_key_id")
        owner_type, owner_id = _verify_owner(params)

        record = await self.verify_mgr.verify_async(domain_id, api_key_id, owner_type, owner_id)
        return _verify_info(record)

    @transaction(permission="identity:APIKey.read", role_types=_ALL_ROLES)
    def get(self, params: dict) -> dict:
        return _info(self._get_scoped(params))

    @transaction(permission="identity:APIKey.read", role_types=_ALL_ROLES)
    def list(self, params: dict) -> dict:
        restriction = {"domain_id": checks.required_id(params, "domain_id")}
        for key in ("api_key_id", "user_id"):
            if (value := checks.optional_id(params, key)) is not None:
                restriction[key] = value
        if (state := checks.enum_value(params, "state", _STATES, default="NONE_STATE")) != "NONE_STATE":
            restriction["state"] = state

        query = _query(params)
        api_key_vos, total_count = self.api_key_mgr.list_api_keys(query, restriction)
        return {"results": [_info(vo) for vo in api_key_vos], "total_count": total_count}

    @transaction(permission="identity:APIKey.read", role_types=_ALL_ROLES)
    def stat(self, params: dict) -> dict:
        restriction = {"domain_id": checks.required_id(params, "domain_id")}
        if (user_id := checks.optional_id(params, "user_id")) is not None:
            restriction["user_id"] = user_id
        if "query" not in params:
            raise ERROR_INVALID_PARAMETER(key="query", reason="a StatisticsQuery is required")
        return self.api_key_mgr.stat_api_keys(_query(params), restriction)

    def _get_scoped(self, params: dict) -> APIKey:
        domain_id = checks.required_id(params, "domain_id")
        api_key_id = checks.required_id(params, "api_key_id")
        user_id = checks.optional_id(params, "user_id")
        return self.api_key_mgr.get_api_key(domain_id, api_key_id, user_id)

    def _set_state(self, params: dict, state: str) -> APIKey:
        api_key_vo = self._get_scoped(params)
        if api_key_vo.state == state:
            return api_key_vo
        updated_vo = self.api_key_mgr.update_api_key(api_key_vo, state=state)
        _LOGGER.info("Set API key state: api_key_id=%s state=%s", updated_vo.api_key_id, state)
        return updated_vo


def _query(params: dict) -> dict:
    query = params.get("query") or {}
    if not isinstance(query, dict):
        raise ERROR_INVALID_PARAMETER(key="query", reason="must be an object")
    return query


def _verify_owner(params: dict) -> tuple[str, str]:
    """Return (owner type, owner id) of a verify request, checking they agree."""
    api_key_type = params.get("api_key_type", "NONE")
    if api_key_type in (None, "", "NONE", 0):
        raise ERROR_INVALID_PARAMETER(key="api_key_type", reason="must be USER or APP")
    api_key_type = checks.enum_value(params, "api_key_type", _API_KEY_TYPES)

    owner_key, other_key = ("user_id", "app_id") if api_key_type == "USER" else ("app_id", "user_id")
    if params.get(other_key):
        raise ERROR_INVALID_PARAMETER(key=other_key, reason=f"must not be given with api_key_type {api_key_type}")
    return api_key_type, checks.required_id(params, owner_key)


def _info(api_key_vo: APIKey) -> dict:
    return {
        "api_key_id": api_key_vo.api_key_id,
        "name": api_key_vo.name or "",
        "state": api_key_vo.state or "NONE_STATE",
        "domain_id": api_key_vo.domain_id,
        "user_id": api_key_vo.user_id or "",
        "created_at": utc.to_iso8601(api_key_vo.created_at),
        "last_accessed_at": utc.to_iso8601(api_key_vo.last_accessed_at),
        "expired_at": utc.to_iso8601(api_key_vo.expired_at),
    }


def _verify_info(record: VerifyRecord) -> dict:
    """Return verify's response: the fields a caller needs to authorize, with name and last access left empty."""
    return {
        "api_key_id": record.api_key_id,
        "name": "",
        "state": record.state,
        "domain_id": record.domain_id,
        "user_id": record.owner_id if record.owner_type == "USER" else "",
        "created_at": utc.epoch_ms_to_iso8601(record.created_at_ms),
        "last_accessed_at": "",
        "expired_at": utc.epoch_ms_to_iso8601(record.expires_at_ms),
    }

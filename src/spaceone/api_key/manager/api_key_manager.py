import datetime
import logging

from mongoengine.queryset.visitor import Q
from spaceone.core import utils
from spaceone.core.error import ERROR_DB_QUERY, ERROR_INVALID_ARGUMENT, ERROR_INVALID_PARAMETER, ERROR_NOT_FOUND
from spaceone.core.manager import BaseManager

from spaceone.api_key.lib import utc
from spaceone.api_key.manager import api_key_query
from spaceone.api_key.manager.database import database_errors
from spaceone.api_key.manager.domain_secret_manager import DomainSecretManager
from spaceone.api_key.manager.key_signer import sign_api_key
from spaceone.api_key.manager.verify_cache import get_cache
from spaceone.api_key.model import APIKey

_LOGGER = logging.getLogger(__name__)

# Stages of a StatisticsQuery's aggregate that stay inside the api_key
# collection. $lookup is not among them: it could read other collections.
_STAT_STAGES = ("group", "count", "sort", "project", "limit", "skip", "unwind")


class APIKeyManager(BaseManager):
    """Reads and writes API-key records; every lookup is confined to one domain."""

    def create_api_key(
        self, *, domain_id: str, user_id: str, name: str, expired_at: datetime.datetime
    ) -> tuple[APIKey, str]:
        """Store a new USER key and return its record with the signed key.

        The key is signed before the record is written, so a failure to sign
        leaves nothing behind; the key itself is never stored.
        """
        api_key_id = utils.generate_id("api-key")
        created_at = utc.now()
        private_jwk = DomainSecretManager().get_private_jwk(domain_id)
        api_key = sign_api_key(
            api_key_id=api_key_id,
            domain_id=domain_id,
            owner_type="USER",
            owner_id=user_id,
            issued_at=created_at,
            expired_at=expired_at,
            private_jwk=private_jwk,
        )

        with database_errors():
            api_key_vo = APIKey(
                api_key_id=api_key_id,
                name=name,
                state="ENABLED",
                owner_type="USER",
                user_id=user_id,
                domain_id=domain_id,
                created_at=created_at,
                expired_at=expired_at,
            ).save(force_insert=True)

        _LOGGER.info("Created API key: api_key_id=%s domain_id=%s user_id=%s", api_key_id, domain_id, user_id)
        return api_key_vo, api_key

    def get_api_key(self, domain_id: str, api_key_id: str, user_id: str | None = None) -> APIKey:
        """Return the key, or raise NOT_FOUND: also for a key of another domain or owner."""
        with database_errors():
            api_key_vo = APIKey.objects(**self._scope(domain_id, api_key_id, user_id)).first()
        if api_key_vo is None:
            raise ERROR_NOT_FOUND(key="api_key_id", value=api_key_id)
        return api_key_vo

    def update_api_key(self, api_key_vo: APIKey, **changes) -> APIKey:
        """Apply the changes atomically, then drop the cached verify record.

        NOT_FOUND if the key was deleted meanwhile.
        """
        update = {f"set__{field}": value for field, value in changes.items()}
        try:
            with database_errors():
                updated_vo = APIKey.objects(pk=api_key_vo.pk).modify(new=True, **update)
        finally:
            # Also after a failure: a write that timed out may still have landed.
            get_cache().invalidate(api_key_vo.domain_id, api_key_vo.api_key_id)
        if updated_vo is None:
            raise ERROR_NOT_FOUND(key="api_key_id", value=api_key_vo.api_key_id)
        return updated_vo

    def delete_api_key(self, api_key_vo: APIKey) -> None:
        try:
            with database_errors():
                deleted = APIKey.objects(pk=api_key_vo.pk).delete()
        finally:
            get_cache().invalidate(api_key_vo.domain_id, api_key_vo.api_key_id)
        if not deleted:
            raise ERROR_NOT_FOUND(key="api_key_id", value=api_key_vo.api_key_id)
        _LOGGER.info("Deleted API key: api_key_id=%s domain_id=%s", api_key_vo.api_key_id, api_key_vo.domain_id)

    def record_last_access(self, domain_id: str, api_key_id: str, accessed_at: datetime.datetime) -> None:
        with database_errors():
            APIKey.objects(domain_id=domain_id, api_key_id=api_key_id).update_one(
                set__last_accessed_at=accessed_at
            )

    def list_api_keys(self, query: dict, restriction: dict) -> tuple[list[APIKey], int]:
        """Return a page of keys matching the query within the restriction, and their total count."""
        mongo_filter = api_key_query.make_filter(query, Q(**restriction))
        order_by = api_key_query.make_sort(query.get("sort"))
        start, limit = api_key_query.check_page(query.get("page"))
        only = api_key_query.check_only(query.get("only"))
        count_only = self._check_bool(query.get("count_only", False), "query.count_only")
        if self._check_bool(query.get("minimal", False), "query.minimal"):
            only = only or list(api_key_query.MINIMAL_FIELDS)

        with database_errors():
            queryset = APIKey.objects.filter(mongo_filter).order_by(*order_by)
            total_count = queryset.count()
            if count_only:
                return [], total_count

            if only:
                queryset = queryset.only(*set(only) | {"api_key_id"})
            if limit:
                queryset = queryset.skip(start - 1).limit(limit)
            elif start > 1:
                queryset = queryset.skip(start - 1)
            return list(queryset), total_count

    def stat_api_keys(self, query: dict, restriction: dict) -> dict:
        """Run a StatisticsQuery over the keys within the restriction."""
        if not isinstance(query, dict):
            raise ERROR_INVALID_PARAMETER(key="query", reason="must be a StatisticsQuery object")

        mongo_filter = api_key_query.make_filter(query, Q(**restriction))
        start, limit = api_key_query.check_page(query.get("page"))
        page = {"start": start, "limit": limit} if limit else {}
        aggregate = query.get("aggregate")
        distinct = query.get("distinct")

        if distinct is not None:
            api_key_query.check_field(distinct, "query.distinct")
        elif aggregate:
            aggregate = self._check_aggregate(aggregate)
        else:
            raise ERROR_INVALID_PARAMETER(key="query.aggregate", reason="aggregate or distinct is required")

        with database_errors(invalid_query_key="query.aggregate"):
            queryset = APIKey.objects.filter(mongo_filter)
            if distinct is not None:
                result = APIKey._stat_distinct(queryset, distinct, page)
            else:
                result = APIKey._stat_aggregate(queryset, aggregate, page, None, False, "dict")
        return _to_json_values(result)

    @staticmethod
    def _scope(domain_id: str, api_key_id: str, user_id: str | None) -> dict:
        scope = {"domain_id": domain_id, "api_key_id": api_key_id}
        if user_id is not None:
            scope["user_id"] = user_id
        return scope

    @staticmethod
    def _check_bool(value, key: str) -> bool:
        if not isinstance(value, bool):
            raise ERROR_INVALID_PARAMETER(key=key, reason="must be a boolean")
        return value

    @staticmethod
    def _check_aggregate(aggregate) -> list:
        """Return the aggregate with its sort stages as spaceone-core builds them, or raise."""
        if not isinstance(aggregate, list):
            raise ERROR_INVALID_PARAMETER(key="query.aggregate", reason="must be a list of stages")
        for index, stage in enumerate(aggregate):
            key = f"query.aggregate[{index}]"
            if not isinstance(stage, dict) or len(stage) != 1:
                raise ERROR_INVALID_PARAMETER(key=key, reason="must be an object with exactly one stage")
            name = next(iter(stage))
            if name not in _STAT_STAGES:
                raise ERROR_INVALID_PARAMETER(
                    key=key, reason=f"unknown stage {name!r}; allowed stages: {', '.join(_STAT_STAGES)}"
                )
        aggregate = [_sort_stage_as_list(stage, f"query.aggregate[{index}].sort") for index, stage in enumerate(aggregate)]
        try:
            # Builds the pipeline without running it, to reject a malformed stage as bad input.
            APIKey._make_aggregate_rules(aggregate)
        except ERROR_INVALID_ARGUMENT:
            raise
        except (ERROR_DB_QUERY, KeyError, TypeError, AttributeError, ValueError) as exc:
            reason = getattr(exc, "message", None) or f"malformed stage ({type(exc).__name__})"
            raise ERROR_INVALID_PARAMETER(key="query.aggregate", reason=reason) from None
        return aggregate


def _sort_stage_as_list(stage: dict, key: str) -> dict:
    """Turn an AggregateSort message ({key, desc} or {keys}) into the list spaceone-core expects."""
    if "sort" not in stage:
        return stage
    sort = stage["sort"]
    if isinstance(sort, dict):
        sort = sort["keys"] if "keys" in sort else [sort]
    if not isinstance(sort, list) or not all(isinstance(item, dict) and isinstance(item.get("key"), str) for item in sort):
        raise ERROR_INVALID_PARAMETER(key=key, reason="must name a key to sort by")
    return {"sort": [{"key": item["key"], "desc": bool(item.get("desc", False))} for item in sort]}


def _to_json_values(value):
    """Convert a stat result into values a protobuf Struct and JSON can carry."""
    if isinstance(value, dict):
        return {str(key): _to_json_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json_values(item) for item in value]
    if isinstance(value, datetime.datetime):
        return utc.to_iso8601(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

"""The verify path: a key's verify record, its checks and its outcome."""

import asyncio
import dataclasses
import enum
import logging
import threading
import time

from spaceone.core import config
from spaceone.core.error import ERROR_AUTHENTICATE_FAILURE, ERROR_BASE
from spaceone.core.manager import BaseManager

from spaceone.api_key.lib import utc
from spaceone.api_key.manager.api_key_manager import APIKeyManager
from spaceone.api_key.manager.database import database_errors
from spaceone.api_key.manager.verify_cache import decode_record, encode_record, get_cache
from spaceone.api_key.model import APIKey

_LOGGER = logging.getLogger(__name__)


class VerifyOutcome(enum.Enum):
    """Every outcome of verify; the value is the reason in its error message."""

    VALID = "valid"
    NOT_FOUND = "not found"
    DISABLED = "disabled"
    EXPIRED = "expired"
    OWNER_MISMATCH = "owner mismatch"


@dataclasses.dataclass(frozen=True, slots=True)
class VerifyRecord:
    """The fields of a key that verify checks, small enough to cache."""

    api_key_id: str
    domain_id: str
    state: str
    owner_type: str
    owner_id: str
    created_at_ms: int  # epoch milliseconds
    expires_at_ms: int  # epoch milliseconds

    @classmethod
    def from_model(cls, api_key_vo: APIKey) -> "VerifyRecord":
        owner_id = api_key_vo.app_id if api_key_vo.owner_type == "APP" else api_key_vo.user_id
        return cls(
            api_key_id=api_key_vo.api_key_id,
            domain_id=api_key_vo.domain_id,
            state=api_key_vo.state,
            owner_type=api_key_vo.owner_type,
            owner_id=owner_id or "",
            created_at_ms=utc.to_epoch_ms(api_key_vo.created_at),
            expires_at_ms=utc.to_epoch_ms(api_key_vo.expired_at),
        )

    @classmethod
    def from_cache(cls, domain_id: str, api_key_id: str, value: bytes) -> "VerifyRecord":
        state, owner_type, owner_id, created_at_ms, expires_at_ms = decode_record(value)
        return cls(api_key_id, domain_id, state, owner_type, owner_id, created_at_ms, expires_at_ms)

    def to_cache(self) -> str:
        return encode_record([self.state, self.owner_type, self.owner_id, self.created_at_ms, self.expires_at_ms])

    def check(self, owner_type: str, owner_id: str, now: float) -> VerifyOutcome:
        # The order matters only for the reason given: ownership first, so that a
        # caller guessing ids learns nothing about another owner's key state.
        if self.owner_type != owner_type or self.owner_id != owner_id:
            return VerifyOutcome.OWNER_MISMATCH
        if self.state != "ENABLED":
            return VerifyOutcome.DISABLED
        if self.expires_at_ms <= now * 1000:
            return VerifyOutcome.EXPIRED
        return VerifyOutcome.VALID


class VerifyManager(BaseManager):
    """Verifies keys against their records and coalesces last_accessed_at writes."""

    def verify(self, domain_id: str, api_key_id: str, owner_type: str, owner_id: str) -> VerifyRecord:
        """Return the key's record if the key may be used now, or raise UNAUTHENTICATED."""
        record = self._load_record(domain_id, api_key_id)
        now = time.time()
        _raise_unless_valid(record, api_key_id, owner_type, owner_id, now)

        if _ACCESS_RECORDER.is_due(domain_id, api_key_id, now) and get_cache().claim_access_write(
            domain_id, api_key_id, _ACCESS_RECORDER.interval()
        ):
            _write_last_access(domain_id, api_key_id)
        return record

    async def verify_async(self, domain_id: str, api_key_id: str, owner_type: str, owner_id: str) -> VerifyRecord:
        """Do what verify does on the running event loop: Redis calls await, MongoDB calls run in threads."""
        loop = asyncio.get_running_loop()
        cache = get_cache()
        cached, generation, cache_usable = await cache.read_async(domain_id, api_key_id)
        if cached is not None:
            record = VerifyRecord.from_cache(domain_id, api_key_id, cached)
        else:
            record = await loop.run_in_executor(None, _read_record, domain_id, api_key_id)
            if record is not None and cache_usable:
                await cache.fill_async(domain_id, api_key_id, record.to_cache(), generation)

        now = time.time()
        _raise_unless_valid(record, api_key_id, owner_type, owner_id, now)

        if _ACCESS_RECORDER.is_due(domain_id, api_key_id, now) and await cache.claim_access_write_async(
            domain_id, api_key_id, _ACCESS_RECORDER.interval()
        ):
            await loop.run_in_executor(None, _write_last_access, domain_id, api_key_id)
        return record

    @staticmethod
    def _load_record(domain_id: str, api_key_id: str) -> VerifyRecord | None:
        """Return the key's record from the cache, or from MongoDB and then into the cache."""
        cache = get_cache()
        cached, generation, cache_usable = cache.read(domain_id, api_key_id)
        if cached is not None:
            return VerifyRecord.from_cache(domain_id, api_key_id, cached)

        record = _read_record(domain_id, api_key_id)
        if record is not None and cache_usable:
            cache.fill(domain_id, api_key_id, record.to_cache(), generation)
        return record


def _read_record(domain_id: str, api_key_id: str) -> VerifyRecord | None:
    with database_errors():
        api_key_vo = APIKey.objects(domain_id=domain_id, api_key_id=api_key_id).first()
    return None if api_key_vo is None else VerifyRecord.from_model(api_key_vo)


def _raise_unless_valid(record: VerifyRecord | None, api_key_id: str, owner_type: str, owner_id: str, now: float):
    outcome = VerifyOutcome.NOT_FOUND if record is None else record.check(owner_type, owner_id, now)
    if outcome is not VerifyOutcome.VALID:
        _LOGGER.debug("Verify rejected: api_key_id=%s outcome=%s", api_key_id, outcome.name)
        raise ERROR_AUTHENTICATE_FAILURE(message=f"API key {outcome.value} (api_key_id = {api_key_id})")


def _write_last_access(domain_id: str, api_key_id: str) -> None:
    try:
        APIKeyManager().record_last_access(domain_id, api_key_id, utc.now())
    except ERROR_BASE as exc:
        # A verify succeeds even when its access time cannot be written.
        _LOGGER.warning("Could not record last_accessed_at: api_key_id=%s reason=%s", api_key_id, exc.message)


class _AccessRecorder:
    """Decides which verifies write last_accessed_at: at most one per key per interval.

    This process skips keys it wrote within the interval without asking Redis;
    for the others, the replica that claims the interval in Redis writes.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._last_written: dict[tuple[str, str], float] = {}

    @staticmethod
    def interval() -> int:
        return config.get_global("API_KEY_LAST_ACCESS_INTERVAL_SECONDS", 60)

    def is_due(self, domain_id: str, api_key_id: str, now: float) -> bool:
        """Return True, and start a new interval, if this process has not written the key within one."""
        interval = self.interval()
        key = (domain_id, api_key_id)
        with self._lock:
            if now - self._last_written.get(key, float("-inf")) < interval:
                return False
            self._last_written[key] = now
            self._forget_older_than(now - interval)
        return True

    def _forget_older_than(self, cutoff: float) -> None:
        if len(self._last_written) > 10000:
            self._last_written = {key: at for key, at in self._last_written.items() if at >= cutoff}


_ACCESS_RECORDER = _AccessRecorder()

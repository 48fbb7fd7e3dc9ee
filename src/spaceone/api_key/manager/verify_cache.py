"""Redis cache of verify records, coherent with every change and safe under races.

Layout, per key (domain and api_key_id):

- ``identity:api-key:{domain_id}:{api_key_id}``: the verify record, JSON, with
  a TTL of API_KEY_CACHE_TTL_SECONDS.
- ``identity:api-key-generation:{domain_id}:{api_key_id}``: a counter that every
  change increments.
- ``identity:api-key-access:{domain_id}:{api_key_id}``: set for one
  last-access interval by the replica that writes last_accessed_at.

A change writes MongoDB first, then increments the generation and deletes the
record in one MULTI. A verify that misses reads the generation in the same
round trip as the record, reads MongoDB, and stores what it read only if the
generation is unchanged (a Lua script, so the check and the write are atomic).
So a verify that read MongoDB before a change landed can never store the old
record after the change returned, on any replica.

When Redis fails, every call goes to MongoDB. The first failure logs one
warning and starts a one-second back-off before Redis is tried again, and the
first success after it logs the recovery. Invalidations that could not reach Redis
are kept in this process and replayed before this process reads the cache
again. Another replica that never saw the outage can still read a record this
process failed to delete, until the replay or the record's TTL, whichever
comes first. A record that survives a Redis restart with persistence can be
read the same way. Both are why the TTL is short (30 s by default).
"""

import asyncio
import json
import logging
import threading
import time

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import NoBackoff
from spaceone.core import config

_LOGGER = logging.getLogger(__name__)

_RECORD_KEY = "identity:api-key:{domain_id}:{api_key_id}"
_GENERATION_KEY = "identity:api-key-generation:{domain_id}:{api_key_id}"
_ACCESS_KEY = "identity:api-key-access:{domain_id}:{api_key_id}"
_RETRY_AFTER_SECONDS = 1.0
_MAX_PENDING_INVALIDATIONS = 100_000

# KEYS[1] record, KEYS[2] generation; ARGV[1] generation read before MongoDB
# ("" for none), ARGV[2] record, ARGV[3] TTL in seconds.
_FILL_IF_UNCHANGED = """
local current = redis.call('GET', KEYS[2]) or ''
if current == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""

# CACHES options that redis.Redis does not take.
_NON_REDIS_OPTIONS = ("engine", "backend", "ssl")


class VerifyCache:
    """The process's connection to the verify-record cache, with its outage state."""

    def __init__(self, cache_config: dict | None, ttl_seconds: int, timeout_seconds: float):
        self.ttl_seconds = ttl_seconds
        self._cache_config = cache_config
        self._timeout_seconds = timeout_seconds
        self._client = _make_client(cache_config, timeout_seconds) if cache_config else None
        self._async_client = None
        self._async_fill_script = None
        self._fill_script = self._client.register_script(_FILL_IF_UNCHANGED) if self._client else None
        self._lock = threading.RLock()
        self._healthy = True
        self._retry_at = 0.0
        self._pending: set[tuple[str, str]] = set()

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def read(self, domain_id: str, api_key_id: str) -> tuple[str | None, str | None, bool]:
        """Return (record, generation, usable) in one round trip.

        usable is False when Redis could not be asked; then nothing may be
        stored from this read either.
        """
        if not self._ready():
            return None, None, False
        keys = (
            _RECORD_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
            _GENERATION_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
        )
        try:
            record, generation = self._client.mget(keys)
        except redis.RedisError as exc:
            self._fail(exc)
            return None, None, False
        return record, generation, True

    async def read_async(self, domain_id: str, api_key_id: str) -> tuple[str | None, str | None, bool]:
        """Do what read does, on the running event loop."""
        if not await self._ready_async():
            return None, None, False
        keys = (
            _RECORD_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
            _GENERATION_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
        )
        try:
            record, generation = await self._async_client.mget(keys)
        except (redis.RedisError, OSError, asyncio.TimeoutError) as exc:
            self._fail(exc)
            return None, None, False
        return record, generation, True

    async def fill_async(self, domain_id: str, api_key_id: str, record: str, generation: str | None) -> None:
        """Do what fill does, on the running event loop."""
        if not await self._ready_async():
            return
        keys = [
            _RECORD_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
            _GENERATION_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
        ]
        try:
            await self._async_fill_script(keys=keys, args=[generation or "", record, self.ttl_seconds])
        except (redis.RedisError, OSError, asyncio.TimeoutError) as exc:
            self._fail(exc)

    async def claim_access_write_async(self, domain_id: str, api_key_id: str, interval_seconds: int) -> bool:
        """Do what claim_access_write does, on the running event loop."""
        if not await self._ready_async():
            return True
        key = _ACCESS_KEY.format(domain_id=domain_id, api_key_id=api_key_id)
        try:
            claimed = await self._async_client.set(key, b"1", nx=True, ex=interval_seconds)
        except (redis.RedisError, OSError, asyncio.TimeoutError) as exc:
            self._fail(exc)
            return True
        return bool(claimed)

    async def _ready_async(self) -> bool:
        """Return True if Redis may be used now; the outage checks run off the event loop."""
        if self._client is None:
            return False
        if self._async_client is None:
            # Created on the loop that uses it: redis.asyncio binds its connections to that loop.
            self._async_client = redis.asyncio.Redis(
                **_client_options(self._cache_config, self._timeout_seconds),
                retry=redis.asyncio.retry.Retry(NoBackoff(), 0),
            )
            self._async_fill_script = self._async_client.register_script(_FILL_IF_UNCHANGED)
        if self._healthy and not self._pending:
            return True
        # _ready replays invalidations and pings with blocking calls.
        return await asyncio.get_running_loop().run_in_executor(None, self._ready)

    def fill(self, domain_id: str, api_key_id: str, record: str, generation: str | None) -> None:
        """Store a record read from MongoDB, unless a change has happened since generation was read."""
        if not self._ready():
            return
        keys = [
            _RECORD_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
            _GENERATION_KEY.format(domain_id=domain_id, api_key_id=api_key_id),
        ]
        try:
            self._fill_script(keys=keys, args=[generation or "", record, self.ttl_seconds])
        except redis.RedisError as exc:
            self._fail(exc)

    def invalidate(self, domain_id: str, api_key_id: str) -> None:
        """Drop the key's record and fence off fills that read MongoDB before this change."""
        if not self.enabled:
            return
        if not self._ready() or not self._send_invalidations([(domain_id, api_key_id)]):
            self._keep_pending(domain_id, api_key_id)

    def claim_access_write(self, domain_id: str, api_key_id: str, interval_seconds: int) -> bool:
        """Return True if this replica should write last_accessed_at for this interval.

        With Redis unreachable this returns True, so every replica may write.
        The caller (verify_manager._AccessRecorder) still limits each replica
        to one write per key per interval.
        """
        if not self._ready():
            return True
        key = _ACCESS_KEY.format(domain_id=domain_id, api_key_id=api_key_id)
        try:
            claimed = self._client.set(key, b"1", nx=True, ex=interval_seconds)
        except redis.RedisError as exc:
            self._fail(exc)
            return True
        return bool(claimed)

    def _send_invalidations(self, keys) -> bool:
        pipeline = self._client.pipeline(transaction=True)
        # The generation outlives any fill in flight by far; a fill takes milliseconds.
        generation_ttl = max(self.ttl_seconds * 10, 3600)
        for domain_id, api_key_id in keys:
            generation_key = _GENERATION_KEY.format(domain_id=domain_id, api_key_id=api_key_id)
            pipeline.incr(generation_key)
            pipeline.expire(generation_key, generation_ttl)
            pipeline.delete(_RECORD_KEY.format(domain_id=domain_id, api_key_id=api_key_id))
        try:
            pipeline.execute()
        except redis.RedisError as exc:
            self._fail(exc)
            return False
        return True

    def _keep_pending(self, domain_id: str, api_key_id: str) -> None:
        with self._lock:
            if len(self._pending) < _MAX_PENDING_INVALIDATIONS:
                self._pending.add((domain_id, api_key_id))
            else:
                _LOGGER.error("Too many invalidations are waiting for Redis; api_key_id=%s relies on the cache TTL",
                              api_key_id)

    def _ready(self) -> bool:
        """Return True if Redis may be used now, replaying waiting invalidations first."""
        if self._client is None:
            return False
        if self._healthy and not self._pending:
            return True

        with self._lock:
            if not self._healthy and time.monotonic() < self._retry_at:
                return False
            pending = list(self._pending)
            if pending and not self._send_invalidations(pending):
                return False
            self._pending.difference_update(pending)
            if not self._healthy:
                # Proves the connection before a cached record is trusted again.
                try:
                    self._client.ping()
                except redis.RedisError as exc:
                    self._retry_at = time.monotonic() + _RETRY_AFTER_SECONDS
                    _LOGGER.debug("Redis still unreachable: %s", type(exc).__name__)
                    return False
                self._healthy = True
                _LOGGER.info("Redis is reachable again; verify uses the cache. replayed_invalidations=%d", len(pending))
        return True

    def _fail(self, exc: Exception) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + _RETRY_AFTER_SECONDS
            if self._healthy:
                self._healthy = False
                _LOGGER.warning(
                    "Redis is unreachable; verify reads MongoDB until it returns. reason=%s", type(exc).__name__
                )


def _client_options(cache_config: dict, timeout_seconds: float) -> dict:
    options = {key: value for key, value in cache_config.items() if key not in _NON_REDIS_OPTIONS}
    if cache_config.get("ssl"):
        options["ssl"] = True
    options.setdefault("socket_timeout", timeout_seconds)
    options.setdefault("socket_connect_timeout", timeout_seconds)
    options.setdefault("retry_on_timeout", False)
    return options


def _make_client(cache_config: dict, timeout_seconds: float) -> redis.Redis:
    # No retries inside the client: a failure falls back to MongoDB at once and
    # starts the back-off, instead of delaying the call with retries.
    return redis.Redis(**_client_options(cache_config, timeout_seconds), retry=redis.retry.Retry(NoBackoff(), 0))


def encode_record(fields: list) -> str:
    return json.dumps(fields, separators=(",", ":"))


def decode_record(value: bytes) -> list:
    return json.loads(value)


_CACHE = None
_CACHE_LOCK = threading.Lock()


def get_cache() -> VerifyCache:
    """Return the process's cache, built from CACHES["default"] on first use."""
    global _CACHE
    if _CACHE is None:
        with _CACHE_LOCK:
            if _CACHE is None:
                cache_config = config.get_global("CACHES", {}).get("default") or {}
                # spaceone-core merges its own default ({"engine": "RedisCache"}) into an
                # empty entry, so an entry without a host means no cache, not localhost.
                if (
                    not config.get_global("API_KEY_CACHE_ENABLED", True)
                    or cache_config.get("engine") != "RedisCache"
                    or not cache_config.get("host")
                ):
                    cache_config = None
                _CACHE = VerifyCache(
                    cache_config,
                    ttl_seconds=config.get_global("API_KEY_CACHE_TTL_SECONDS", 30),
                    timeout_seconds=config.get_global("API_KEY_CACHE_TIMEOUT_SECONDS", 0.5),
                )
    return _CACHE

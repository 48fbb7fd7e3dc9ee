"""Creation of the collections' indexes when a server starts.

spaceone-core creates indexes while it loads the models, before the server can
validate its configuration, and stops the process with an AttributeError when
MongoDB is unreachable then (spaceone-core 2.0.144). The models here turn that
off, and the servers call ensure_indexes() after validation instead: when
MongoDB is unreachable, a background thread retries until it succeeds, and
calls return UNAVAILABLE meanwhile.
"""

import logging
import threading

from pymongo.errors import ConnectionFailure

from spaceone.api_key.model.api_key_model import APIKey
from spaceone.api_key.model.domain_secret_model import DomainSecret

_LOGGER = logging.getLogger(__name__)
RETRY_SECONDS = 5


def ensure_indexes() -> None:
    """Create the indexes now, or keep retrying in the background while MongoDB is unreachable."""
    if not _create_all(first_try=True):
        threading.Thread(target=_retry_until_created, name="ensure-indexes", daemon=True).start()


def _create_all(first_try: bool = False) -> bool:
    try:
        for model in (APIKey, DomainSecret):
            model.ensure_indexes()
    except ConnectionFailure as exc:
        log = _LOGGER.warning if first_try else _LOGGER.debug
        log("Could not create indexes, MongoDB is unreachable; retrying every %s s. reason=%s",
            RETRY_SECONDS, type(exc).__name__)
        return False
    _LOGGER.debug("Indexes are in place")
    return True


def _retry_until_created() -> None:
    stop = threading.Event()
    while not stop.wait(RETRY_SECONDS):
        if _create_all():
            _LOGGER.info("Created the indexes after MongoDB became reachable")
            return

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

from pymongo.errors import ConnectionFailure, OperationFailure

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
            _create_model_indexes(model)
    except ConnectionFailure as exc:
        log = _LOGGER.warning if first_try else _LOGGER.debug
        log("Could not create indexes, MongoDB is unreachable; retrying every %s s. reason=%s",
            RETRY_SECONDS, type(exc).__name__)
        return False
    _LOGGER.debug("Indexes are in place")
    return True


def _create_model_indexes(model) -> None:
    """Create each index of the model on its own, so that one conflict does not skip the others.

    An index that already exists under the same name or keys with other
    options (MongoDB codes 85 and 86), for example one made by an older
    release or by the identity service sharing the collection, is kept and
    logged: the server still starts.
    """
    collection = model._get_collection()
    for spec in model._meta["index_specs"]:
        options = {key: value for key, value in spec.items() if key != "fields"}
        try:
            collection.create_index(spec["fields"], **options)
        except OperationFailure as exc:
            _LOGGER.warning("Kept an existing index of %s instead of creating %s: code=%s %s",
                            collection.name, spec["fields"], exc.code, exc.details.get("codeName", "") if exc.details else "")


def _retry_until_created() -> None:
    stop = threading.Event()
    while not stop.wait(RETRY_SECONDS):
        if _create_all():
            _LOGGER.info("Created the indexes after MongoDB became reachable")
            return

"""Start-up steps that the gRPC and REST servers run once, after spaceone-core has loaded the configuration."""

import logging
import sys

from spaceone.core import config

from spaceone.api_key.conf.validation import ConfigurationError, validate_global_config
from spaceone.api_key.handler.startup import AuthConfigurationError, apply_auth_setting
from spaceone.api_key.model.indexes import ensure_indexes

_LOGGER = logging.getLogger(__name__)


def prepare_server() -> None:
    """Validate the configuration, then create the indexes.

    Exit with code 2 and a message naming the offending key when the
    configuration or the authentication setting is invalid.
    """
    try:
        validate_global_config(config.get_global())
        apply_auth_setting()
    except (ConfigurationError, AuthConfigurationError) as exc:
        _LOGGER.error("The server cannot start. %s", exc)
        print(f"The server cannot start. {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    ensure_indexes()

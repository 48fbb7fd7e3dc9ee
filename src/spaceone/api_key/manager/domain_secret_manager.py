import datetime
import logging

from mongoengine.errors import NotUniqueError
from spaceone.core import config
from spaceone.core.auth.jwt.jwt_util import JWTUtil
from spaceone.core.manager import BaseManager

from spaceone.api_key.error import ERROR_DOMAIN_SECRET_MISSING
from spaceone.api_key.manager.database import database_errors
from spaceone.api_key.model import DomainSecret

_LOGGER = logging.getLogger(__name__)


class DomainSecretManager(BaseManager):
    """Owns each domain's RSA key pair. A private JWK leaves this class only to sign."""

    def get_private_jwk(self, domain_id: str) -> dict:
        return self._get_or_create(domain_id).prv_jwk

    def get_public_jwk(self, domain_id: str) -> dict:
        return self._get_or_create(domain_id).pub_jwk

    def find_public_jwk(self, domain_id: str) -> dict | None:
        """Return the domain's public JWK, or None if it has no key pair; never creates one."""
        with database_errors():
            secret_vo = DomainSecret.objects(domain_id=domain_id).only("pub_jwk").first()
        return None if secret_vo is None else secret_vo.pub_jwk

    def _get_or_create(self, domain_id: str) -> DomainSecret:
        with database_errors():
            secret_vo = DomainSecret.objects(domain_id=domain_id).first()
            if secret_vo is not None:
                return secret_vo

            if not config.get_global("DOMAIN_SECRET_AUTO_CREATE", True):
                raise ERROR_DOMAIN_SECRET_MISSING(domain_id=domain_id)

            return self._create(domain_id)

    @staticmethod
    def _create(domain_id: str) -> DomainSecret:
        prv_jwk, pub_jwk = JWTUtil.generate_jwk()
        created_at = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        try:
            secret_vo = DomainSecret(
                domain_id=domain_id, pub_jwk=pub_jwk, prv_jwk=prv_jwk, created_at=created_at
            ).save(force_insert=True)
        except NotUniqueError:
            # A concurrent first use won the insert; its key pair is the domain's.
            _LOGGER.debug("Domain key pair created concurrently: domain_id=%s", domain_id)
            return DomainSecret.objects.get(domain_id=domain_id)

        _LOGGER.info("Created the domain's signing key pair: domain_id=%s", domain_id)
        return secret_vo

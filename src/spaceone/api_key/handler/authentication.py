"""Authentication of every APIKey call by the token in the request's metadata."""

import hashlib
import hmac
import time

from spaceone.core import config
from spaceone.core.auth.jwt.jwt_util import JWTUtil
from spaceone.core.error import ERROR_AUTHENTICATE_FAILURE
from spaceone.core.handler import BaseAuthenticationHandler

from spaceone.api_key.handler import caller
from spaceone.api_key.manager import DomainSecretManager, VerifyManager
from spaceone.api_key.manager.key_signer import ISSUER, TOKEN_VERSION

# A token signed here is about 700 characters (RS256, 2048-bit key). The cap
# limits the work spent on junk input.
MAX_TOKEN_LENGTH = 4096  # below gRPC's 8 KiB metadata limit, far above a real token (under 2 KiB)
OWNER_TYPES = ("USER", "APP")


class APIKeyAuthenticationHandler(BaseAuthenticationHandler):
    """Authenticate the transaction's token and store the caller in the transaction meta.

    Three kinds of token are accepted:

    - the configured ``SYSTEM_TOKEN``, compared in constant time. It has the
      SYSTEM role and may act in any domain.
    - an ``ACCESS_TOKEN`` of the identity service, signed (RS256) with the key
      pair that this service holds for the token's ``did`` domain. Its role is
      its ``rol`` claim.
    - an ``API_KEY`` of this service, signed the same way and then checked by
      VerifyManager, so that a disabled, deleted or expired key fails at once.
      It has the USER role because this service has no role bindings: a key
      can do what the lowest user role may do, which is to manage its owner's
      own keys.

    Every other token raises ERROR_AUTHENTICATE_FAILURE (UNAUTHENTICATED). A
    domain without a key pair fails too; this handler never creates one. No
    error message contains the token.
    """

    def verify(self, params: dict) -> None:
        token = self.transaction.get_meta("token")
        if not isinstance(token, str) or not token:
            raise _failure("no token was sent; send an access token, an API key or the system token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise _failure(f"the token is longer than {MAX_TOKEN_LENGTH} characters")

        if is_system_token(token):
            self._store_system_caller()
            return

        claims = _decode_signed_token(token)
        _check_claims(claims)
        if claims["typ"] == caller.API_KEY:
            self._store_api_key_caller(claims)
        else:
            self._store_access_token_caller(claims)

    def _store_system_caller(self) -> None:
        self.transaction.set_meta(caller.TOKEN_TYPE, caller.SYSTEM_TOKEN)
        self.transaction.set_meta(caller.ROLE_TYPE, caller.SYSTEM)
        self.transaction.set_meta(caller.OWNER_TYPE, caller.SYSTEM)
        self.transaction.set_meta(caller.DOMAIN_ID, None)

    def _store_access_token_caller(self, claims: dict) -> None:
        self._store_owner(claims, role_type=claims["rol"])

    def _store_api_key_caller(self, claims: dict) -> None:
        # The signature proves only that this service once issued the key: its
        # record decides whether the key may still be used.
        VerifyManager().verify(claims["did"], claims["jti"], claims["own"], claims["aud"])
        self.transaction.set_meta(caller.API_KEY_ID, claims["jti"])
        self._store_owner(claims, role_type=caller.USER)

    def _store_owner(self, claims: dict, role_type: str) -> None:
        self.transaction.set_meta(caller.TOKEN_TYPE, claims["typ"])
        self.transaction.set_meta(caller.ROLE_TYPE, role_type)
        self.transaction.set_meta(caller.OWNER_TYPE, claims["own"])
        self.transaction.set_meta(caller.DOMAIN_ID, claims["did"])
        self.transaction.set_meta(caller.AUDIENCE, claims["aud"])
        owner_key = caller.USER_ID if claims["own"] == "USER" else caller.APP_ID
        self.transaction.set_meta(owner_key, claims["aud"])


def _failure(reason: str) -> ERROR_AUTHENTICATE_FAILURE:
    return ERROR_AUTHENTICATE_FAILURE(message=reason)


def is_system_token(token) -> bool:
    """Compare the token with SYSTEM_TOKEN in constant time; False when none is configured."""
    if not isinstance(token, str) or not token:
        return False
    system_token = config.get_global("SYSTEM_TOKEN")
    if not isinstance(system_token, str) or not system_token:
        return False
    # Comparing digests hides the configured token's length as well as its content.
    given_digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    system_digest = hashlib.sha256(system_token.encode("utf-8")).digest()
    return hmac.compare_digest(given_digest, system_digest)


def _decode_signed_token(token: str) -> dict:
    """Return the claims of a JWT signed with its domain's key, or raise.

    The domain comes from the unverified ``did`` claim. Errors are raised
    ``from None`` so that no decoder message, which could quote the token,
    reaches a log.
    """
    try:
        unverified = JWTUtil.unverified_decode(token)
    except Exception:
        # Any failure to parse this untrusted input means a malformed token.
        raise _failure("the token is malformed") from None
    if not isinstance(unverified, dict):
        raise _failure("the token is malformed")

    domain_id = unverified.get("did")
    if not isinstance(domain_id, str) or not domain_id:
        raise _failure("the token has no domain (did claim)")

    public_jwk = DomainSecretManager().find_public_jwk(domain_id)
    if public_jwk is None:
        raise _failure("the token's domain is unknown to this service")

    try:
        # RS256 only: JWTUtil.decode rejects any other algorithm, "none" included.
        claims = JWTUtil.decode(token, public_jwk)
    except Exception:
        raise _failure("the token's signature is invalid, or the token has expired") from None
    if not isinstance(claims, dict) or claims.get("did") != domain_id:
        raise _failure("the token is malformed")
    return claims


def _check_claims(claims: dict) -> None:
    """Check the claims the platform writes; raise for a token this service must not accept."""
    if claims.get("iss") != ISSUER:
        raise _failure(f"the token's issuer is not {ISSUER}")
    if claims.get("ver") != TOKEN_VERSION:
        raise _failure(f"the token's version is not {TOKEN_VERSION}")

    expires_at = claims.get("exp")
    if not isinstance(expires_at, int) or isinstance(expires_at, bool):
        raise _failure("the token has no expiry (exp claim)")
    # Stricter than the decoder, which allows 60 s of clock skew.
    if expires_at <= time.time():
        raise _failure("the token has expired")

    token_type = claims.get("typ")
    if token_type not in (caller.ACCESS_TOKEN, caller.API_KEY):
        raise _failure("the token type is not accepted; send an access token, an API key or the system token")
    if claims.get("own") not in OWNER_TYPES:
        raise _failure("the token's owner type (own claim) must be USER or APP")
    if not _is_non_empty_string(claims.get("aud")):
        raise _failure("the token has no owner (aud claim)")

    if token_type == caller.ACCESS_TOKEN and not _is_non_empty_string(claims.get("rol")):
        raise _failure("the access token has no role (rol claim)")
    if token_type == caller.API_KEY and not _is_non_empty_string(claims.get("jti")):
        raise _failure("the API key has no id (jti claim)")


def _is_non_empty_string(value) -> bool:
    return isinstance(value, str) and bool(value)

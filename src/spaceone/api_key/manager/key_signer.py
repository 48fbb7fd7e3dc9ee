"""The API key as a JWT, with the claims the platform's authentication handler reads."""

import datetime

from spaceone.core.auth.jwt.jwt_util import JWTUtil

from spaceone.api_key.lib import utc

ISSUER = "spaceone.identity"
TOKEN_TYPE = "API_KEY"
TOKEN_VERSION = "2.0"


def sign_api_key(
    *,
    api_key_id: str,
    domain_id: str,
    owner_type: str,
    owner_id: str,
    issued_at: datetime.datetime,
    expired_at: datetime.datetime,
    private_jwk: dict,
) -> str:
    """Sign an API key with the domain's private JWK (RS256) and return it."""
    claims = {
        "iss": ISSUER,
        "typ": TOKEN_TYPE,
        "own": owner_type,
        "did": domain_id,
        "aud": owner_id,
        "iat": utc.to_epoch(issued_at),
        "exp": utc.to_epoch(expired_at),
        "jti": api_key_id,
        "ver": TOKEN_VERSION,
    }
    return JWTUtil.encode(claims, private_jwk)

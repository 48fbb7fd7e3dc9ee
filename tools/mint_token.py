"""Mint an access token of a domain's user, for calling a local server.

The token is signed (RS256) with the domain's private JWK, which is read from
the database that the config file names. A domain without a key pair gets one
first. Only the token goes to standard output, so that

    TOKEN=$(python tools/mint_token.py --config .local/config.yml \\
        --domain-id domain-1 --user-id alice --role DOMAIN_ADMIN)

captures it; errors go to standard error. For local development and tests
only: the identity service issues the real access tokens.
"""

import argparse
import datetime
import sys
import uuid
from pathlib import Path

from spaceone.core.auth.jwt.jwt_util import JWTUtil

from spaceone.api_key.manager.key_signer import ISSUER, TOKEN_VERSION

ROLE_TYPES = ("DOMAIN_ADMIN", "WORKSPACE_OWNER", "WORKSPACE_MEMBER", "USER")
DEFAULT_TTL_SECONDS = 3600


def sign_access_token(
    private_jwk: dict,
    *,
    domain_id: str,
    user_id: str,
    role_type: str,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    issued_at: int | None = None,
) -> str:
    """Return an ACCESS_TOKEN with the identity service's claims, signed with private_jwk.

    issued_at is epoch seconds (default: now); the token expires ttl_seconds
    later, so a negative ttl_seconds makes a token that has already expired.
    """
    if issued_at is None:
        issued_at = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    claims = {
        "iss": ISSUER,
        "typ": "ACCESS_TOKEN",
        "own": "USER",
        "did": domain_id,
        "aud": user_id,
        "rol": role_type,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "ver": TOKEN_VERSION,
    }
    return JWTUtil.encode(claims, private_jwk)


def load_private_jwk(config_path: Path, domain_id: str) -> dict:
    """Return the domain's private JWK from the configured database, creating the key pair if missing."""
    from spaceone.core import config, model

    from spaceone.api_key.manager import DomainSecretManager

    config.init_conf(package="spaceone.api_key")
    config.set_service_config()
    config.set_file_conf(str(config_path))
    # Creating the key pair is this tool's purpose, whatever the server's setting.
    config.set_global_force(DOMAIN_SECRET_AUTO_CREATE=True)
    model.init_all(create_index=False)
    return DomainSecretManager().get_private_jwk(domain_id)


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value}")
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path, help="spaceone config file of the server, such as .local/config.yml")
    parser.add_argument("--domain-id", required=True, help="domain of the token (did claim)")
    parser.add_argument("--user-id", required=True, help="user of the token (aud claim)")
    parser.add_argument("--role", required=True, choices=ROLE_TYPES, help="role type of the token (rol claim)")
    parser.add_argument("--ttl-seconds", type=positive_int, default=DEFAULT_TTL_SECONDS,
                        help=f"lifetime of the token in seconds (default {DEFAULT_TTL_SECONDS})")
    args = parser.parse_args()

    if not args.config.is_file():
        print(f"mint_token: config file not found: {args.config}", file=sys.stderr)
        return 2
    for name in ("domain_id", "user_id"):
        if not getattr(args, name).strip():
            print(f"mint_token: --{name.replace('_', '-')} must not be blank", file=sys.stderr)
            return 2

    try:
        private_jwk = load_private_jwk(args.config, args.domain_id)
    except Exception as exc:
        # spaceone-core's errors carry a readable message; never the key itself.
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        print(f"mint_token: could not read the domain's key pair: {message}", file=sys.stderr)
        return 1

    token = sign_access_token(
        private_jwk,
        domain_id=args.domain_id,
        user_id=args.user_id,
        role_type=args.role,
        ttl_seconds=args.ttl_seconds,
    )
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())

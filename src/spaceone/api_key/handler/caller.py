"""The caller's identity as the authentication handler stores it in the transaction meta.

The keys are spaceone-core's own ("authorization.*"), so its log filter prints
the caller's domain, user and role with every request.
"""

TOKEN_TYPE = "authorization.token_type"
ROLE_TYPE = "authorization.role_type"
OWNER_TYPE = "authorization.owner_type"
DOMAIN_ID = "authorization.domain_id"
AUDIENCE = "authorization.audience"
USER_ID = "authorization.user_id"
APP_ID = "authorization.app_id"
API_KEY_ID = "authorization.api_key_id"

# Token types: the configured SYSTEM_TOKEN, an identity access token, an API key of this service.
SYSTEM_TOKEN = "SYSTEM_TOKEN"
ACCESS_TOKEN = "ACCESS_TOKEN"
API_KEY = "API_KEY"

# Role types. SYSTEM belongs only to the configured SYSTEM_TOKEN, never to a signed token.
SYSTEM = "SYSTEM"
DOMAIN_ADMIN = "DOMAIN_ADMIN"
WORKSPACE_OWNER = "WORKSPACE_OWNER"
WORKSPACE_MEMBER = "WORKSPACE_MEMBER"
USER = "USER"
USER_ROLE_TYPES = (DOMAIN_ADMIN, WORKSPACE_OWNER, WORKSPACE_MEMBER, USER)
ALL_ROLE_TYPES = (SYSTEM, *USER_ROLE_TYPES)

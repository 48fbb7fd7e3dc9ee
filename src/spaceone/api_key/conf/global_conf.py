"""Defaults of the service's configuration.

spaceone-core merges this module over its own defaults, then merges the
``GLOBAL`` section of the file given with ``-c``. Each default is defined once,
here.
"""

# Database: the store of record. spaceone-core registers a connection only when
# host, db and username are all set. The short timeouts turn an unreachable
# MongoDB into UNAVAILABLE within seconds instead of pymongo's 30 s default.
DATABASE_AUTO_CREATE_INDEX = True
DATABASES = {
    "default": {
        "db": "identity",
        "host": "mongodb://127.0.0.1:27017/",
        "username": "",
        "password": "",
        "serverSelectionTimeoutMS": 3000,
        "connectTimeoutMS": 2000,
        "socketTimeoutMS": 5000,
    }
}

# Cache: Redis in front of verify. An empty "default" entry runs without it.
CACHES = {
    "default": {},
    "local": {"engine": "LocalCache", "max_size": 128, "ttl": 300},
}

# Handlers: every call is authenticated by its token and authorized by its
# caller's role. The server refuses to start without both handlers, unless
# AUTH_DISABLED_FOR_DEVELOPMENT is true (see handler/startup.py).
HANDLERS = {
    "authentication": [{"backend": "spaceone.api_key.handler.authentication:APIKeyAuthenticationHandler"}],
    "authorization": [{"backend": "spaceone.api_key.handler.authorization:APIKeyAuthorizationHandler"}],
    "mutation": [],
    "event": [],
}

# The platform's system token: the only caller with the SYSTEM role (every
# domain, and verify). Set it in the deployment's config; empty means no caller
# has that role.
SYSTEM_TOKEN = ""

# True turns authentication and authorization off, with a WARNING at every
# start. For development only: any caller could then use every domain's keys.
AUTH_DISABLED_FOR_DEVELOPMENT = False

ENDPOINTS = {}

# Logging: spaceone-core's logger configuration.
LOG = {}

# gRPC server
GRPC_SHUTDOWN_GRACE_SECONDS = 10
# True: a grpc.aio server that runs verify on its event loop and every other
# method on MAX_WORKERS threads. False: spaceone-core's thread-pool server.
GRPC_ASYNCIO = True

# API keys
API_KEY_MAX_TTL_DAYS = 365  # also the default lifetime of a new key
API_KEY_LAST_ACCESS_INTERVAL_SECONDS = 60  # at most one last_accessed_at write per key per interval
API_KEY_CACHE_ENABLED = True
API_KEY_CACHE_TTL_SECONDS = 30  # upper bound on a cached verify record's life
API_KEY_CACHE_TIMEOUT_SECONDS = 0.5  # Redis connect and read timeout before falling back to MongoDB

# Domain secrets: one RSA key pair per domain, signing the API keys.
DOMAIN_SECRET_AUTO_CREATE = True

# REST server: spaceone-core builds the FastAPI app and mounts the routers
# listed in conf/router_conf.py.
REST_TITLE = "SpaceONE API-key service"
REST_DESCRIPTION = "The APIKey methods of identity v2 over REST: POST /identity/v2/api-key/<method>."
REST_MAX_BODY_BYTES = 64 * 1024  # the REST routes reject a larger request body with HTTP 413

"""Defaults of the service's configuration.

spaceone-core merges this module over its own defaults, then merges the
``GLOBAL`` section of the file given with ``-c``. Each default is defined once,
here.
"""

# Database: the store of record. spaceone-core registers a connection only when
# host, db and username are all set; the short timeouts turn an unreachable
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

# Handlers: authentication and authorization are configured per deployment.
HANDLERS = {
    "authentication": [],
    "authorization": [],
    "mutation": [],
    "event": [],
}

ENDPOINTS = {}

# Logging: spaceone-core's logger configuration.
LOG = {}

# gRPC server
GRPC_SHUTDOWN_GRACE_SECONDS = 10

# API keys
API_KEY_MAX_TTL_DAYS = 365  # also the default lifetime of a new key
API_KEY_LAST_ACCESS_INTERVAL_SECONDS = 60  # at most one last_accessed_at write per key per interval
API_KEY_CACHE_ENABLED = True
API_KEY_CACHE_TTL_SECONDS = 30  # upper bound on a cached verify record's life
API_KEY_CACHE_TIMEOUT_SECONDS = 0.5  # Redis connect and read timeout before falling back to MongoDB

# Domain secrets: one RSA key pair per domain, signing the API keys.
DOMAIN_SECRET_AUTO_CREATE = True

"""Routers that spaceone-core's REST server (spaceone run rest-server) mounts on its FastAPI app.

spaceone-core 2.0.144 builds the app itself from this list and from
REST_EXTENSION_ROUTERS (the /check health route), but it does not load
REST_APP_PATH.
"""

ROUTER = [
    {"router_path": "spaceone.api_key.interface.rest.api_key:router", "router_options": {}},
]

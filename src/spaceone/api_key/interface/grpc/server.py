import logging
import signal
import threading

from spaceone.core import config
from grpc_health.v1 import health_pb2
from spaceone.core.pygrpc.extension.grpc_health import GRPCHealth
from spaceone.core.pygrpc.server import GRPCServer

from spaceone.api_key.interface.startup import prepare_server

_LOGGER = logging.getLogger(__name__)


class APIKeyHealth(GRPCHealth):
    """spaceone-core's health service, returning NOT_SERVING once the server is stopping.

    spaceone-core's own returns SERVING until the process ends. Returning
    NOT_SERVING during the grace period takes the pod out of its Service
    before the listener closes.
    """

    stopping = False

    def Check(self, request, context):
        if APIKeyHealth.stopping:
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING)
        return super().Check(request, context)


class APIKeyGRPCServer(GRPCServer):
    """spaceone-core's gRPC server, bound to the configured HOST and stopped gracefully.

    spaceone-core binds every interface ("[::]"); this server binds HOST (default
    127.0.0.1; a pod sets 0.0.0.0). On SIGTERM or SIGINT it stops accepting calls
    and lets calls in flight finish for GRPC_SHUTDOWN_GRACE_SECONDS. Before it
    binds, it validates the configuration and the authentication setting
    (handler/startup.py), and exits with code 2 naming the offending key.
    """

    def add_service(self, servicer_cls):
        super().add_service(APIKeyHealth if servicer_cls is GRPCHealth else servicer_cls)

    def run(self):
        prepare_server()
        host = config.get_global("HOST", "127.0.0.1")
        port = config.get_global("PORT")
        grace_seconds = config.get_global("GRPC_SHUTDOWN_GRACE_SECONDS", 10)

        from grpc_reflection.v1alpha import reflection

        reflection.enable_server_reflection(self.service_names, self.server)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        bound_port = self.server.add_insecure_port(address)
        if not bound_port:
            raise RuntimeError(f"Could not bind the gRPC server to {address}")

        stopped = threading.Event()

        def stop(signum, _frame):
            _LOGGER.info("Stopping the gRPC server: signal=%s grace_seconds=%s", signum, grace_seconds)
            APIKeyHealth.stopping = True
            self.server.stop(grace_seconds).wait()
            stopped.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        self.server.start()
        _LOGGER.info("gRPC server started: address=%s:%s services=%s", host, bound_port, ",".join(self.service_names))
        # Printed for scripts that wait for the server; the log may go elsewhere.
        print(f"gRPC server listening on {host}:{bound_port}", flush=True)
        stopped.wait()


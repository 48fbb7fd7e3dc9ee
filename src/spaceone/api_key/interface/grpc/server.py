import logging
import signal
import threading

from spaceone.core import config
from spaceone.core.pygrpc.server import GRPCServer

from spaceone.api_key.handler.startup import apply_auth_setting

_LOGGER = logging.getLogger(__name__)


class APIKeyGRPCServer(GRPCServer):
    """spaceone-core's gRPC server, bound to the configured HOST and stopped gracefully.

    spaceone-core binds every interface ("[::]"); this server binds HOST (default
    127.0.0.1; a pod sets 0.0.0.0). On SIGTERM or SIGINT it stops accepting calls
    and lets calls in flight finish for GRPC_SHUTDOWN_GRACE_SECONDS. Before it
    binds, it checks the authentication setting (handler/startup.py).
    """

    def run(self):
        apply_auth_setting()
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
            self.server.stop(grace_seconds).wait()
            stopped.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        self.server.start()
        _LOGGER.info("gRPC server started: address=%s:%s services=%s", host, bound_port, ",".join(self.service_names))
        # Printed for scripts that wait for the server; the log may go elsewhere.
        print(f"gRPC server listening on {host}:{bound_port}", flush=True)
        stopped.wait()

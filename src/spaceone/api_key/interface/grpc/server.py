import asyncio
import logging
import signal
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from spaceone.core import config
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


class AsyncHealth(health_pb2_grpc.HealthServicer):
    """The health service of the asyncio server: SERVING, or NOT_SERVING once stopping."""

    async def Check(self, request, context):
        status = health_pb2.HealthCheckResponse.NOT_SERVING if APIKeyHealth.stopping else health_pb2.HealthCheckResponse.SERVING
        return health_pb2.HealthCheckResponse(status=status)


class APIKeyGRPCServer(GRPCServer):
    """spaceone-core's gRPC server, bound to the configured HOST and stopped gracefully.

    spaceone-core binds every interface ("[::]"); this server binds HOST (default
    127.0.0.1; a pod sets 0.0.0.0). On SIGTERM or SIGINT it stops accepting calls
    and lets calls in flight finish for GRPC_SHUTDOWN_GRACE_SECONDS. Before it
    binds, it validates the configuration and the authentication setting
    (handler/startup.py), and exits with code 2 naming the offending key.

    With GRPC_ASYNCIO (the default) it is a grpc.aio server: verify runs on the
    event loop and awaits Redis, while every other method runs on a pool of
    MAX_WORKERS threads as on spaceone-core's server. In a thread pool, a
    blocking Redis round trip per call costs about half the throughput of a
    no-op call in Python (bench/ceiling.py), because each call hands the GIL
    between threads. The event loop avoids those hand-offs.
    """

    def __init__(self):
        super().__init__()
        self._servicer_classes = []

    def add_service(self, servicer_cls):
        self._servicer_classes.append(servicer_cls)

    def run(self):
        prepare_server()
        if config.get_global("GRPC_ASYNCIO", True):
            asyncio.run(self._run_asyncio())
        else:
            self._run_threaded()

    def _address(self) -> str:
        host = config.get_global("HOST", "127.0.0.1")
        port = config.get_global("PORT")
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _register(self, server, asyncio_server: bool) -> None:
        for servicer_cls in self._servicer_classes:
            if servicer_cls is GRPCHealth and asyncio_server:
                health_pb2_grpc.add_HealthServicer_to_server(AsyncHealth(), server)
                self.service_names.append(health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
                continue
            servicer = (APIKeyHealth if servicer_cls is GRPCHealth else servicer_cls)()
            if asyncio_server and hasattr(servicer, "use_asyncio_verify"):
                servicer.use_asyncio_verify()
            getattr(servicer.pb2_grpc_module, f"add_{servicer.name}Servicer_to_server")(servicer, server)
            self.service_names.append(servicer.service_name)
        reflection.enable_server_reflection(self.service_names, server)

    def _bind(self, server) -> int:
        address = self._address()
        bound_port = server.add_insecure_port(address)
        if not bound_port:
            raise RuntimeError(f"Could not bind the gRPC server to {address}")
        return bound_port

    def _announce(self, bound_port: int, mode: str) -> None:
        host = config.get_global("HOST", "127.0.0.1")
        _LOGGER.info("gRPC server started: address=%s:%s mode=%s services=%s",
                     host, bound_port, mode, ",".join(self.service_names))
        # Printed for scripts that wait for the server; the log may go elsewhere.
        print(f"gRPC server listening on {host}:{bound_port}", flush=True)

    def _run_threaded(self):
        grace_seconds = config.get_global("GRPC_SHUTDOWN_GRACE_SECONDS", 10)
        self._register(self.server, asyncio_server=False)
        bound_port = self._bind(self.server)
        stopped = threading.Event()

        def stop(signum, _frame):
            _LOGGER.info("Stopping the gRPC server: signal=%s grace_seconds=%s", signum, grace_seconds)
            APIKeyHealth.stopping = True
            self.server.stop(grace_seconds).wait()
            stopped.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.server.start()
        self._announce(bound_port, "threads")
        stopped.wait()

    async def _run_asyncio(self):
        grace_seconds = config.get_global("GRPC_SHUTDOWN_GRACE_SECONDS", 10)
        max_workers = config.get_global("MAX_WORKERS", 100)
        # gRPC's default message limits apply, as on spaceone-core's server.
        server = grpc.aio.server(migration_thread_pool=futures.ThreadPoolExecutor(max_workers=max_workers))
        self._register(server, asyncio_server=True)
        bound_port = self._bind(server)

        stop_requested = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop_requested.set)

        await server.start()
        self._announce(bound_port, "asyncio")
        await stop_requested.wait()

        _LOGGER.info("Stopping the gRPC server: grace_seconds=%s", grace_seconds)
        APIKeyHealth.stopping = True
        await server.stop(grace_seconds)

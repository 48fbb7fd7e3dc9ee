"""Start the servers the service needs, on loopback, for local runs, tests and benchmarks.

Each server is a real process: SecantusDB (a MongoDB-wire server) from its
``secantusd-py`` command, redis-server, and the service's own gRPC and REST
servers started with spaceone-core's ``spaceone run grpc-server`` and
``spaceone run rest-server``.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
DB_USER = "api-key-service"
DB_NAME = "identity"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening on port {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout} s")


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class MongoServer:
    """A SecantusDB server with a service user, its data kept in storage_path."""

    def __init__(self, storage_path: Path, password: str, port: int | None = None, log_path: Path | None = None):
        self.storage_path = Path(storage_path)
        self.password = password
        self.port = port or free_port()
        self.log_path = log_path or self.storage_path.parent / "secantusdb.log"
        self.process = None

    @property
    def uri(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    def start(self) -> "MongoServer":
        self.storage_path.mkdir(parents=True, exist_ok=True)
        command = shutil.which("secantusd-py", path=os.path.dirname(sys.executable)) or "secantusd-py"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [command, "--host", HOST, "--port", str(self.port), "--storage-path", str(self.storage_path),
                 "--log-level", "WARNING"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, 60, "SecantusDB")
        self._ensure_user()
        return self

    def _ensure_user(self) -> None:
        from pymongo import MongoClient

        client = MongoClient(self.uri, serverSelectionTimeoutMS=10000)
        try:
            users = client.admin.command("usersInfo", DB_USER)["users"]
            if users:
                client.admin.command("updateUser", DB_USER, pwd=self.password)
            else:
                client.admin.command("createUser", DB_USER, pwd=self.password, roles=["root"])
        finally:
            client.close()

    def stop(self) -> None:
        stop_process(self.process)


class RedisServer:
    """A redis-server on loopback with no persistence: a restart starts empty."""

    def __init__(self, port: int | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.log_path = log_path
        self.process = None

    def start(self) -> "RedisServer":
        command = shutil.which("redis-server") or "/usr/bin/redis-server"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [command, "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process, 30, "redis-server")
        return self

    def stop(self) -> None:
        stop_process(self.process)


def database_config(mongo: MongoServer) -> dict:
    return {
        "default": {
            "db": DB_NAME,
            "host": mongo.uri,
            "username": DB_USER,
            "password": mongo.password,
        }
    }


def cache_config(redis: RedisServer | None) -> dict:
    if redis is None:
        return {"default": {}}
    return {"default": {"engine": "RedisCache", "host": HOST, "port": redis.port, "db": 0}}


def new_system_token() -> str:
    """Return a random system token for a local or test server (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def write_config(path: Path, mongo: MongoServer, redis: RedisServer | None = None, **settings) -> Path:
    """Write a spaceone-core config file whose GLOBAL section points at the given servers.

    The file carries a new random SYSTEM_TOKEN unless settings give one; read
    it back with read_system_token. The file is readable by its owner only.
    """
    config = {
        "DATABASES": database_config(mongo),
        "CACHES": cache_config(redis),
        "HOST": HOST,
        "SYSTEM_TOKEN": new_system_token(),
    }
    config.update(settings)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private_file(path, yaml.safe_dump({"GLOBAL": config}, sort_keys=False))
    return path


def write_private_file(path: Path, text: str) -> None:
    """Write text to a file that only its owner can read, from its creation on."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # os.open's mode applies only to a new file; an older one may have wider bits.
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def read_system_token(config_path: Path) -> str:
    """Return the SYSTEM_TOKEN of a config file written by write_config ("" if it has none)."""
    config = yaml.safe_load(Path(config_path).read_text()) or {}
    return (config.get("GLOBAL") or {}).get("SYSTEM_TOKEN") or ""


class _ServerProcess:
    """One of the service's servers as a subprocess of spaceone-core's command line."""

    server_command = ""  # the "spaceone run" subcommand
    description = ""

    def __init__(self, config_path: Path, port: int | None = None, log_path: Path | None = None, env: dict | None = None):
        self.config_path = Path(config_path)
        self.port = port or free_port()
        self.log_path = log_path
        self.env = env
        self.process = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def system_token(self) -> str:
        """The SYSTEM_TOKEN of the server's config file, for clients acting as the platform."""
        return read_system_token(self.config_path)

    def _extra_arguments(self) -> list[str]:
        return []

    def start(self, timeout: float = 60):
        command = [sys.executable, "-m", "spaceone.core.command", "run", self.server_command, "spaceone.api_key",
                   "-c", str(self.config_path), "-p", str(self.port), *self._extra_arguments()]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        env = {**os.environ, **(self.env or {})}
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        wait_for_port(self.port, self.process, timeout, self.description)
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


class GRPCService(_ServerProcess):
    """The service's gRPC server; it binds the HOST of its config file."""

    server_command = "grpc-server"
    description = "the gRPC server"


class RESTService(_ServerProcess):
    """The service's REST server, bound to loopback."""

    server_command = "rest-server"
    description = "the REST server"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _extra_arguments(self) -> list[str]:
        return ["-h", HOST]

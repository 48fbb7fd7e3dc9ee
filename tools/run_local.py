"""Run the service on its embedded default: SecantusDB with data in .local/, then the gRPC and REST servers.

No external server is needed. Stop with Ctrl-C; data is kept for the next run.
The first run creates a system token in .local/system-token (mode 0600) and
every run writes it into .local/config.yml as SYSTEM_TOKEN.
"""

import argparse
import secrets
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", default=str(stack.REPO / ".local"), help="folder of the local data and config")
    parser.add_argument("--grpc-port", type=int, default=50051, help="port of the gRPC server")
    parser.add_argument("--rest-port", type=int, default=8000, help="port of the REST server")
    args = parser.parse_args()

    state_dir = Path(args.state_dir)
    password_file = state_dir / "db-password"
    system_token_file = state_dir / "system-token"
    state_dir.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        stack.write_private_file(password_file, secrets.token_urlsafe(24))
    if not system_token_file.exists():
        stack.write_private_file(system_token_file, stack.new_system_token())

    mongo = stack.MongoServer(state_dir / "mongo", password_file.read_text().strip()).start()
    config_path = stack.write_config(
        state_dir / "config.yml", mongo, SYSTEM_TOKEN=system_token_file.read_text().strip()
    )
    grpc_service = stack.GRPCService(config_path, port=args.grpc_port, log_path=state_dir / "grpc-server.log")
    rest_service = stack.RESTService(config_path, port=args.rest_port, log_path=state_dir / "rest-server.log")
    services = {"gRPC": grpc_service, "REST": rest_service}

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        grpc_service.start()
        rest_service.start()
        print(f"SecantusDB (MongoDB wire) on {mongo.uri} with data in {mongo.storage_path}")
        print(f"gRPC server on {grpc_service.address}, log in {grpc_service.log_path}")
        print(f"REST server on {rest_service.url}, log in {rest_service.log_path}")
        print(f"  routes: {rest_service.url}/identity/v2/api-key/<method>, OpenAPI: {rest_service.url}/docs")
        print(f"System token (send it as the 'token' metadata, or over REST as 'Authorization: Bearer')"
              f" in {system_token_file}")
        print(f"Mint a user's token: python tools/mint_token.py --config {config_path} --domain-id D --user-id U"
              " --role DOMAIN_ADMIN")
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping.wait(1):
            exited = [name for name, service in services.items() if service.process.poll() is not None]
            if exited:
                name = exited[0]
                print(f"The {name} server exited with code {services[name].process.returncode}; see its log.")
                break
    except KeyboardInterrupt:
        pass
    finally:
        rest_service.stop()
        grpc_service.stop()
        mongo.stop()


if __name__ == "__main__":
    main()

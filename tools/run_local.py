"""Run the service on its embedded default: SecantusDB with data in .local/, then the gRPC server.

No external server is needed. Stop with Ctrl-C; data is kept for the next run.
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
    args = parser.parse_args()

    state_dir = Path(args.state_dir)
    password_file = state_dir / "db-password"
    state_dir.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(24))
        password_file.chmod(0o600)

    mongo = stack.MongoServer(state_dir / "mongo", password_file.read_text().strip()).start()
    config_path = stack.write_config(state_dir / "config.yml", mongo)
    grpc_service = stack.GRPCService(config_path, port=args.grpc_port, log_path=state_dir / "grpc-server.log")

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        grpc_service.start()
        print(f"SecantusDB (MongoDB wire) on {mongo.uri} with data in {mongo.storage_path}")
        print(f"gRPC server on {grpc_service.address}, log in {grpc_service.log_path}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping.wait(1):
            if grpc_service.process.poll() is not None:
                print(f"The gRPC server exited with code {grpc_service.process.returncode}; see its log.")
                break
    except KeyboardInterrupt:
        pass
    finally:
        grpc_service.stop()
        mongo.stop()


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Install everything, then run the service on its embedded default: a SecantusDB
# server with its data in .local/, and the gRPC server on 127.0.0.1:50051.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/bootstrap.sh"
exec "$top/.venv/bin/python" "$top/tools/run_local.py" "$@"

#!/usr/bin/env bash
# Install everything, then run the whole test suite against real servers that
# the tests start on loopback. Extra arguments go to pytest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/bootstrap.sh"
cd "$top"
exec .venv/bin/python -m pytest test "$@"

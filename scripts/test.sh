#!/usr/bin/env bash
# Install everything, then run the test suite against real servers that the
# tests start on loopback. Arguments go to pytest; without a path it runs the
# whole suite (testpaths in pytest.ini).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/bootstrap.sh"
cd "$top"
exec .venv/bin/python -m pytest "$@"

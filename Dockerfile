# syntax=docker/dockerfile:1
#
# One image for both servers of spaceone-api-key:
#   docker run IMAGE grpc   gRPC server on port 50051 (the default command)
#   docker run IMAGE rest   REST server on port 8000
# Mount the configuration template at /etc/spaceone/config.yml and pass its
# ${NAME} placeholders (passwords, SYSTEM_TOKEN) as environment variables.
# docs/deploy.md describes the configuration and the Helm chart.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build

# The pinned runtime requirements are installed first, so that a change of the
# source alone reuses this layer. requirements-dev.txt (SecantusDB, pytest)
# never enters the image.
COPY pkg/pip_requirements.txt pkg/pip_requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --requirement pkg/pip_requirements.txt

COPY setup.py ./
COPY src/ src/
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
    && /opt/venv/bin/pip check


FROM ${PYTHON_IMAGE}

ARG APP_UID=10001
ARG APP_GID=10001

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SPACEONE_CONFIG_TEMPLATE=/etc/spaceone/config.yml \
    SPACEONE_RENDERED_CONFIG=/run/spaceone/config.yml

RUN groupadd --system --gid "${APP_GID}" spaceone \
    && useradd --system --uid "${APP_UID}" --gid spaceone --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin spaceone \
    && mkdir -p /etc/spaceone /run/spaceone \
    && chown "${APP_UID}:${APP_GID}" /run/spaceone \
    && chmod 0700 /run/spaceone

COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/lib/spaceone-api-key/entrypoint.sh
COPY --chmod=0644 deploy/docker/render_config.py deploy/docker/healthcheck.py /usr/local/lib/spaceone-api-key/

# spaceone puts the working directory on sys.path, so it is an empty directory.
WORKDIR /opt/spaceone-api-key
USER ${APP_UID}:${APP_GID}

EXPOSE 50051 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/lib/spaceone-api-key/healthcheck.py"]

ENTRYPOINT ["/usr/local/lib/spaceone-api-key/entrypoint.sh"]
CMD ["grpc"]

"""Tests of the image's scripts in deploy/docker and of the Dockerfile's text.

No Docker engine is needed: the entrypoint runs on this machine with the test
environment's Python and spaceone command, and every server listens on
127.0.0.1 only.
"""

import http.server
import importlib.util
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "deploy" / "docker"
ENTRYPOINT = DOCKER / "entrypoint.sh"
LOOPBACK = "127.0.0.1"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, DOCKER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_config = load_script("render_config")
healthcheck = load_script("healthcheck")


def write_template(path: Path, global_section: dict) -> Path:
    path.write_text(yaml.safe_dump({"GLOBAL": global_section}))
    return path


def minimal_global(**overrides) -> dict:
    section = {
        "HOST": LOOPBACK,
        "DATABASES": {
            "default": {
                "db": "identity",
                "host": "mongodb://127.0.0.1:27017/",
                "username": "api_key",
                "password": "${MONGODB_PASSWORD}",
            }
        },
        "SYSTEM_TOKEN": "${SYSTEM_TOKEN}",
    }
    section.update(overrides)
    return section


# render_config.py


def test_render_substitutes_placeholders():
    template = {"a": "${ONE}", "b": ["x-${TWO}-y", 3, True], "c": {"d": None}}

    rendered = render_config.render(template, {"ONE": "1", "TWO": "2"})

    assert rendered == {"a": "1", "b": ["x-2-y", 3, True], "c": {"d": None}}


def test_render_keeps_yaml_special_characters(tmp_path):
    password = "p: a\"s's #not-a-comment\n- [list] {map} ${NOT_EXPANDED}"
    template = write_template(tmp_path / "config.yml", minimal_global())
    output = tmp_path / "rendered.yml"

    render_config.render_file(str(template), str(output), {"MONGODB_PASSWORD": password, "SYSTEM_TOKEN": "t"})
    reloaded = yaml.safe_load(output.read_text())

    assert reloaded["GLOBAL"]["DATABASES"]["default"]["password"] == password
    assert reloaded["GLOBAL"]["SYSTEM_TOKEN"] == "t"


def test_render_output_is_private(tmp_path):
    template = write_template(tmp_path / "config.yml", minimal_global())
    output = tmp_path / "rendered.yml"
    (tmp_path / "rendered.yml.tmp").write_text("leftover")
    (tmp_path / "rendered.yml.tmp").chmod(0o644)

    render_config.render_file(str(template), str(output), {"MONGODB_PASSWORD": "m", "SYSTEM_TOKEN": "t"})

    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert not (tmp_path / "rendered.yml.tmp").exists()


def test_render_missing_variable_names_key(tmp_path):
    template = write_template(tmp_path / "config.yml", minimal_global())

    with pytest.raises(render_config.RenderError) as raised:
        render_config.render_file(str(template), str(tmp_path / "out.yml"), {"SYSTEM_TOKEN": "token-value"})

    message = str(raised.value)
    assert "GLOBAL.DATABASES.default.password" in message
    assert "MONGODB_PASSWORD" in message
    assert "token-value" not in message


def test_render_missing_template(tmp_path):
    with pytest.raises(render_config.RenderError) as raised:
        render_config.render_file(str(tmp_path / "absent.yml"), str(tmp_path / "out.yml"), {})

    assert "Cannot read the configuration template" in str(raised.value)


def test_render_invalid_yaml(tmp_path):
    template = tmp_path / "config.yml"
    template.write_text("GLOBAL: [unclosed\n")

    with pytest.raises(render_config.RenderError) as raised:
        render_config.render_file(str(template), str(tmp_path / "out.yml"), {})

    assert "Invalid YAML" in str(raised.value)


def test_render_global_not_mapping(tmp_path):
    template = tmp_path / "config.yml"
    template.write_text("GLOBAL: [1, 2]\n")

    with pytest.raises(render_config.RenderError) as raised:
        render_config.render_file(str(template), str(tmp_path / "out.yml"), {})

    assert "GLOBAL in the configuration template" in str(raised.value)


def test_render_main_rejects_invalid_config(tmp_path, monkeypatch, capsys):
    template = write_template(tmp_path / "config.yml", minimal_global(API_KEY_MAX_TTL_DAYS="abc"))
    monkeypatch.setenv("MONGODB_PASSWORD", "mongo-password-value")
    monkeypatch.setenv("SYSTEM_TOKEN", "token-value")

    status = render_config.main(["render_config.py", str(template), str(tmp_path / "out.yml")])
    error_output = capsys.readouterr().err

    assert status == 2
    assert "API_KEY_MAX_TTL_DAYS must be an integer between 1 and 365, got 'abc'" in error_output
    assert "mongo-password-value" not in error_output
    assert "token-value" not in error_output


def test_render_main_succeeds(tmp_path, monkeypatch, capsys):
    template = write_template(tmp_path / "config.yml", minimal_global())
    monkeypatch.setenv("MONGODB_PASSWORD", "mongo-password-value")
    monkeypatch.setenv("SYSTEM_TOKEN", "token-value")

    status = render_config.main(["render_config.py", str(template), str(tmp_path / "out.yml")])
    error_output = capsys.readouterr().err

    assert status == 0
    assert "rendered" in error_output
    assert "mongo-password-value" not in error_output


def test_render_main_warns_about_ignored_keys(tmp_path, monkeypatch, capsys):
    template = write_template(tmp_path / "config.yml", minimal_global(API_KEY_MAX_TTL_DAY=30))
    monkeypatch.setenv("MONGODB_PASSWORD", "mongo-password-value")
    monkeypatch.setenv("SYSTEM_TOKEN", "token-value")

    status = render_config.main(["render_config.py", str(template), str(tmp_path / "out.yml")])
    error_output = capsys.readouterr().err

    assert status == 0
    assert "warning: GLOBAL.API_KEY_MAX_TTL_DAY is ignored" in error_output
    assert "GLOBAL.DATABASES is ignored" not in error_output
    assert "GLOBAL.HOST is ignored" not in error_output


def test_find_ignored_keys_accepts_known_keys():
    known = {"HOST": "x", "DATABASES": {}, "CACHES": {}, "HANDLERS": {}, "API_KEY_MAX_TTL_DAYS": 1}

    assert render_config.find_ignored_keys(known) == []
    assert render_config.find_ignored_keys({**known, "TYPO_KEY": 1}) == ["TYPO_KEY"]


# entrypoint.sh


@pytest.fixture
def fake_spaceone(tmp_path):
    """Return a bin folder whose spaceone command prints its arguments and the rendered file.

    The folder comes first on PATH, ahead of the test environment's own bin folder,
    which provides python.
    """
    bin_path = tmp_path / "bin"
    bin_path.mkdir()
    script = bin_path / "spaceone"
    script.write_text(
        '#!/bin/sh\n'
        'printf "%s\\n" "$@"\n'
        'for argument; do case "$previous" in -c) cat "$argument";; esac; previous=$argument; done\n'
    )
    script.chmod(0o755)
    return bin_path


def run_entrypoint(tmp_path, bin_path, arguments, template=True, extra_env=None):
    if template:
        write_template(tmp_path / "config.yml", minimal_global())
    env = {
        "PATH": f"{bin_path}:{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "src"),
        "SPACEONE_CONFIG_TEMPLATE": str(tmp_path / "config.yml"),
        "SPACEONE_RENDERED_CONFIG": str(tmp_path / "run" / "config.yml"),
        "MONGODB_PASSWORD": "mongo-password-value",
        "SYSTEM_TOKEN": "token-value",
        **(extra_env or {}),
    }
    return subprocess.run(
        [str(ENTRYPOINT), *arguments], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_entrypoint_grpc_command(tmp_path, fake_spaceone):
    result = run_entrypoint(tmp_path, fake_spaceone, ["grpc", "-w", "4"])
    lines = result.stdout.splitlines()

    assert result.returncode == 0, result.stderr
    assert lines[:9] == [
        "run", "grpc-server", "spaceone.api_key", "-c", str(tmp_path / "run" / "config.yml"), "-p", "50051", "-w", "4",
    ]
    assert "password: mongo-password-value" in result.stdout
    assert "mongo-password-value" not in result.stderr


def test_entrypoint_rest_command(tmp_path, fake_spaceone):
    result = run_entrypoint(tmp_path, fake_spaceone, ["rest"], extra_env={"SPACEONE_PORT": "8081"})
    lines = result.stdout.splitlines()

    assert result.returncode == 0, result.stderr
    assert lines[:9] == [
        "run", "rest-server", "spaceone.api_key", "-c", str(tmp_path / "run" / "config.yml"), "-p", "8081",
        "-h", "0.0.0.0",
    ]


def test_entrypoint_defaults_to_grpc(tmp_path, fake_spaceone):
    result = run_entrypoint(tmp_path, fake_spaceone, [])

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["run", "grpc-server"]


def test_entrypoint_missing_template(tmp_path, fake_spaceone):
    result = run_entrypoint(tmp_path, fake_spaceone, ["grpc"], template=False)

    assert result.returncode == 2
    assert "configuration template" in result.stderr
    assert "not found" in result.stderr
    assert result.stdout == ""


def test_entrypoint_unset_secret_stops(tmp_path, fake_spaceone):
    write_template(tmp_path / "config.yml", minimal_global())
    env_without_token = {key: value for key, value in os.environ.items() if key != "SYSTEM_TOKEN"}
    env_without_token.update(
        PATH=f"{fake_spaceone}:{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        PYTHONPATH=str(REPO / "src"),
        SPACEONE_CONFIG_TEMPLATE=str(tmp_path / "config.yml"),
        SPACEONE_RENDERED_CONFIG=str(tmp_path / "run" / "config.yml"),
        MONGODB_PASSWORD="mongo-password-value",
    )
    result = subprocess.run([str(ENTRYPOINT), "grpc"], env=env_without_token, capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode == 2
    assert "GLOBAL.SYSTEM_TOKEN refers to the environment variable SYSTEM_TOKEN, which is not set" in result.stderr
    assert "mongo-password-value" not in result.stderr
    assert result.stdout == ""


def test_entrypoint_runs_other_command(tmp_path, fake_spaceone):
    result = run_entrypoint(tmp_path, fake_spaceone, ["echo", "hello"], template=False)

    assert result.returncode == 0
    assert result.stdout == "hello\n"


# healthcheck.py


@pytest.mark.parametrize(
    "cmdline, environment, expected",
    [
        (["python", "spaceone", "run", "grpc-server", "spaceone.api_key", "-c", "x", "-p", "6000"], {}, ("grpc", 6000)),
        (["python", "spaceone", "run", "rest-server", "spaceone.api_key", "-p", "8001", "-h", "0.0.0.0"], {}, ("rest", 8001)),
        (["python", "spaceone", "run", "rest-server", "spaceone.api_key"], {}, ("rest", 8000)),
        (["tini", "--", "entrypoint.sh", "grpc"], {"SPACEONE_PORT": "7000"}, ("grpc", 7000)),
        (["tini", "--", "entrypoint.sh", "rest"], {"SPACEONE_HEALTHCHECK_KIND": "rest"}, ("rest", 8000)),
        (["spaceone", "-p", "1", "-p", "2"], {}, ("grpc", 2)),
    ],
)
def test_healthcheck_detects_server(cmdline, environment, expected):
    assert healthcheck.detect_server(cmdline, environment) == expected


@pytest.fixture
def health_server():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port(f"{LOOPBACK}:0")
    server.start()
    yield servicer, port
    server.stop(None)


def test_healthcheck_grpc_serving(health_server):
    servicer, port = health_server
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)

    assert healthcheck.check_grpc(port) is True


def test_healthcheck_grpc_not_serving(health_server, capsys):
    servicer, port = health_server
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)

    assert healthcheck.check_grpc(port) is False
    assert "NOT_SERVING" in capsys.readouterr().err


def test_healthcheck_grpc_no_server(capsys):
    # A port that was free a moment ago: nothing listens on it.
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        closed_port = sock.getsockname()[1]

    assert healthcheck.check_grpc(closed_port) is False
    assert "UNAVAILABLE" in capsys.readouterr().err


@pytest.fixture
def rest_server():
    statuses = {"/check": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(statuses.get(self.path, 404))
            self.end_headers()
            self.wfile.write(b'{"status": "SERVING"}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield statuses, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthcheck_rest_serving(rest_server):
    _statuses, port = rest_server

    assert healthcheck.check_rest(port) is True


def test_healthcheck_rest_error_status(rest_server):
    statuses, port = rest_server
    statuses["/check"] = 503

    assert healthcheck.check_rest(port) is False


# The entrypoint against the real gRPC server and a MongoDB-wire server.

sys.path.insert(0, str(REPO / "tools"))
try:
    import stack
except ImportError:
    stack = None


@pytest.mark.skipif(
    stack is None or shutil.which("secantusd-py", path=os.path.dirname(sys.executable)) is None,
    reason="SecantusDB (requirements-dev.txt) is not installed",
)
def test_entrypoint_serves_and_stops(tmp_path):
    mongo = stack.MongoServer(tmp_path / "mongo", "mongo-password-value").start()
    port = stack.free_port()
    template = write_template(
        tmp_path / "config.yml",
        {
            "HOST": LOOPBACK,
            "DATABASES": stack.database_config(mongo) | {
                "default": {**stack.database_config(mongo)["default"], "password": "${MONGODB_PASSWORD}"}
            },
            "CACHES": {"default": {}},
            "GRPC_SHUTDOWN_GRACE_SECONDS": 2,
        },
    )
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "src"),
        "SPACEONE_CONFIG_TEMPLATE": str(template),
        "SPACEONE_RENDERED_CONFIG": str(tmp_path / "run" / "config.yml"),
        "SPACEONE_PORT": str(port),
        "MONGODB_PASSWORD": "mongo-password-value",
    }
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ENTRYPOINT), "grpc"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=tmp_path)
    try:
        stack.wait_for_port(port, process, 60, "the gRPC server")

        assert healthcheck.check_grpc(port) is True
        assert stat.S_IMODE((tmp_path / "run" / "config.yml").stat().st_mode) == 0o600

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        mongo.stop()

    assert "mongo-password-value" not in log_path.read_text()


# Dockerfile


def test_dockerfile_installs_runtime_requirements_only():
    text = (REPO / "Dockerfile").read_text()

    assert "--requirement pkg/pip_requirements.txt" in text
    assert "requirements-dev" not in text.replace("requirements-dev.txt (SecantusDB, pytest)", "")
    assert "[dev]" not in text
    assert text.index("pkg/pip_requirements.txt") < text.index("COPY src/ src/")


def test_dockerfile_runs_as_non_root():
    lines = (REPO / "Dockerfile").read_text().splitlines()
    user_lines = [line for line in lines if line.startswith("USER ")]

    assert user_lines == ["USER ${APP_UID}:${APP_GID}"]
    assert "ARG APP_UID=10001" in lines


def test_dockerfile_has_healthcheck_and_entrypoint():
    text = (REPO / "Dockerfile").read_text()

    assert "HEALTHCHECK" in text
    assert "/usr/local/lib/spaceone-api-key/healthcheck.py" in text
    assert 'ENTRYPOINT ["/usr/local/lib/spaceone-api-key/entrypoint.sh"]' in text
    assert 'CMD ["grpc"]' in text

"""The authentication setting at server start: on by default, off only with a loud warning, never silently."""

import subprocess
import sys

import grpc
import pytest

import stack
from auth_matrix import OK, UNAUTHENTICATED, grpc_outcome
from helpers import Secret
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc

WARNING_TEXT = "AUTHENTICATION AND AUTHORIZATION ARE OFF"


def start(tmp_path, mongo, name: str, **settings) -> stack.GRPCService:
    config_path = stack.write_config(tmp_path / f"{name}.yml", mongo, **settings)
    return stack.GRPCService(config_path, log_path=tmp_path / f"{name}.log").start()


def start_failure(tmp_path, mongo, name: str, **settings) -> str:
    """Start a server that must exit before it listens; return its log."""
    with pytest.raises(RuntimeError, match="exited"):
        start(tmp_path, mongo, name, **settings)
    return (tmp_path / f"{name}.log").read_text()


def list_codes(service: stack.GRPCService, domain_id: str, tokens: list) -> list[str]:
    """Call list once per token (None: no token) and return the status code names."""
    request = pb.APIKeySearchQuery(domain_id=domain_id)
    with grpc.insecure_channel(service.address) as channel:
        stub = api_key_pb2_grpc.APIKeyStub(channel)
        return [grpc_outcome(stub, "list", request, token)[0] for token in tokens]


def test_default_config_requires_token(tmp_path, mongo, domain_id):
    service = start(tmp_path, mongo, "default")
    try:
        codes = list_codes(service, domain_id, [None])
    finally:
        service.stop()

    assert codes == [UNAUTHENTICATED]
    assert WARNING_TEXT not in (tmp_path / "default.log").read_text()


def test_development_setting_warns_at_each_start(tmp_path, mongo, domain_id):
    codes = []
    for _start in range(2):
        service = start(tmp_path, mongo, "development", AUTH_DISABLED_FOR_DEVELOPMENT=True)
        try:
            codes.extend(list_codes(service, domain_id, [None, None, None]))
        finally:
            service.stop()
    log = (tmp_path / "development.log").read_text()

    assert codes == [OK] * 6
    assert log.count(WARNING_TEXT) == 2
    assert "[WARNING]" in log


def test_handlers_removed_without_setting_refuses_start(tmp_path, mongo):
    handlers = {"authentication": [], "authorization": [], "mutation": [], "event": []}

    log = start_failure(tmp_path, mongo, "no-handlers", HANDLERS=handlers)

    assert "HANDLERS lacks this service's handlers" in log
    assert "AUTH_DISABLED_FOR_DEVELOPMENT" in log


def test_setting_as_text_refuses_start(tmp_path, mongo):
    log = start_failure(tmp_path, mongo, "text-setting", AUTH_DISABLED_FOR_DEVELOPMENT="true")

    # spaceone-core rejects a value whose type differs from the default's, before this service's own check.
    assert "AUTH_DISABLED_FOR_DEVELOPMENT" in log
    assert WARNING_TEXT not in log


def test_short_system_token_refuses_start(tmp_path, mongo):
    log = start_failure(tmp_path, mongo, "short-token", SYSTEM_TOKEN="change-me")

    assert "SYSTEM_TOKEN must be at least 32 characters" in log
    assert "change-me" not in log


def test_missing_system_token_warns_and_grants_nothing(tmp_path, mongo, domain_id):
    service = start(tmp_path, mongo, "no-system-token", SYSTEM_TOKEN="")
    try:
        codes = list_codes(service, domain_id, [Secret(""), Secret("x" * 64)])
    finally:
        service.stop()
    log = (tmp_path / "no-system-token.log").read_text()

    assert codes == [UNAUTHENTICATED, UNAUTHENTICATED]
    assert "SYSTEM_TOKEN is not set" in log


SERVICE_CHECK_SCRIPT = """
import logging, sys
from spaceone.core import config
from spaceone.api_key.handler.startup import AuthConfigurationError, ensure_auth_setting_applied

logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(levelname)s %(message)s")
config.init_conf(package="spaceone.api_key")
config.set_service_config()
config.set_file_conf(sys.argv[1])
for _call in range(3):
    try:
        ensure_auth_setting_applied()
        print("applied")
    except AuthConfigurationError as error:
        print("rejected:", error)
"""


def run_service_check(tmp_path, mongo, name: str, **settings) -> list[str]:
    """Call ensure_auth_setting_applied three times in a fresh process, as APIKeyService does per call."""
    config_path = stack.write_config(tmp_path / f"{name}.yml", mongo, **settings)
    completed = subprocess.run(
        [sys.executable, "-c", SERVICE_CHECK_SCRIPT, str(config_path)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def test_service_check_rejects_every_call_without_handlers(tmp_path, mongo):
    handlers = {"authentication": [], "authorization": [], "mutation": [], "event": []}

    lines = run_service_check(tmp_path, mongo, "service-no-handlers", HANDLERS=handlers)

    assert len(lines) == 3
    assert all(line.startswith("rejected: HANDLERS lacks") for line in lines)


def test_service_check_warns_once_per_process(tmp_path, mongo):
    lines = run_service_check(tmp_path, mongo, "service-development", AUTH_DISABLED_FOR_DEVELOPMENT=True)

    assert lines.count("applied") == 3
    assert sum(WARNING_TEXT in line for line in lines) == 1

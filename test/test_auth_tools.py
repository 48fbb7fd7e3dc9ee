"""The local credentials: tools/mint_token.py and the system token of tools/run_local.py."""

import os
import signal
import stat
import subprocess
import sys
import time
import uuid

import grpc
import yaml

import stack
from auth_matrix import OK, REPO, grpc_outcome, mint_with_cli
from helpers import Secret, jwt_claims
from spaceone.api_key.proto import api_key_pb2 as pb
from spaceone.api_key.proto import api_key_pb2_grpc


def test_mint_token_prints_only_token(grpc_service, db, bare_channel):
    domain_id = f"domain-mint-{uuid.uuid4().hex[:12]}"

    minted = mint_with_cli(grpc_service.config_path, domain_id, "dana", "WORKSPACE_OWNER", "--ttl-seconds", "120")
    token = Secret(minted.stdout.strip())
    claims = jwt_claims(token)
    stub = api_key_pb2_grpc.APIKeyStub(bare_channel)
    code, details, _response = grpc_outcome(stub, "list", pb.APIKeySearchQuery(domain_id=domain_id), token)

    assert minted.returncode == 0, minted.stderr
    assert minted.stderr == ""
    assert len(minted.stdout.splitlines()) == 1
    assert token.count(".") == 2
    assert (claims["did"], claims["aud"], claims["rol"]) == (domain_id, "dana", "WORKSPACE_OWNER")
    assert (claims["iss"], claims["typ"], claims["own"], claims["ver"]) == ("spaceone.identity", "ACCESS_TOKEN", "USER", "2.0")
    assert claims["exp"] - claims["iat"] == 120
    assert db.domain_secret.count_documents({"domain_id": domain_id}) == 1
    assert code == OK, details


def test_mint_token_reuses_key_pair(grpc_service, db):
    domain_id = f"domain-mint-{uuid.uuid4().hex[:12]}"

    first = mint_with_cli(grpc_service.config_path, domain_id, "dana", "USER")
    second = mint_with_cli(grpc_service.config_path, domain_id, "erin", "DOMAIN_ADMIN")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert db.domain_secret.count_documents({"domain_id": domain_id}) == 1


def test_mint_token_rejects_bad_arguments(grpc_service, tmp_path):
    cases = [
        ("--role", ("domain-x", "dana", "SYSTEM")),
        ("--ttl-seconds", ("domain-x", "dana", "USER", "--ttl-seconds", "0")),
        ("--user-id", ("domain-x", " ", "USER")),
    ]
    for option, arguments in cases:
        result = mint_with_cli(grpc_service.config_path, *arguments)
        assert result.returncode == 2, option
        assert result.stdout == "", option
        assert option in result.stderr, option

    missing = mint_with_cli(tmp_path / "missing.yml", "domain-x", "dana", "USER")
    assert missing.returncode == 2
    assert "config file not found" in missing.stderr


def read_lines_until(process: subprocess.Popen, marker: str, timeout: float) -> list[str]:
    """Read the process's output lines until one contains marker; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"run_local printed no {marker!r} within {timeout} s: {lines}")


def run_local_once(state_dir) -> tuple[list[str], str]:
    """Start tools/run_local.py, call list with its system token, stop it; return its output and the call's code."""
    port = stack.free_port()
    command = [sys.executable, str(REPO / "tools" / "run_local.py"), "--state-dir", str(state_dir),
               "--grpc-port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    try:
        lines = read_lines_until(process, "Press Ctrl-C", timeout=120)
        token = Secret((state_dir / "system-token").read_text().strip())
        with grpc.insecure_channel(f"{stack.HOST}:{port}") as channel:
            stub = api_key_pb2_grpc.APIKeyStub(channel)
            code, _details, _response = grpc_outcome(stub, "list", pb.APIKeySearchQuery(domain_id="domain-local"), token)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    return lines, code


def test_run_local_keeps_system_token(tmp_path):
    state_dir = tmp_path / "local"

    first_lines, first_code = run_local_once(state_dir)
    first_token = Secret((state_dir / "system-token").read_text().strip())
    second_lines, second_code = run_local_once(state_dir)
    second_token = Secret((state_dir / "system-token").read_text().strip())
    config = yaml.safe_load((state_dir / "config.yml").read_text())
    printed = "\n".join(first_lines + second_lines)

    assert first_code == OK
    assert second_code == OK
    assert first_token.digest() == second_token.digest()
    assert len(first_token) >= 32
    assert Secret(config["GLOBAL"]["SYSTEM_TOKEN"]).digest() == first_token.digest()
    assert stat.S_IMODE(os.stat(state_dir / "system-token").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state_dir / "config.yml").st_mode) == 0o600
    assert str(state_dir / "system-token") in printed
    leaked = first_token in printed
    assert not leaked

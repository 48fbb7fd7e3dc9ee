"""The committed stubs are what the committed proto generates."""

import filecmp
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STUBS = REPO / "src" / "spaceone" / "api_key" / "proto"


def test_stubs_match_proto(tmp_path):
    subprocess.run(
        ["bash", str(REPO / "scripts" / "generate_stubs.sh"), str(tmp_path)],
        check=True, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHON": sys.executable},
        capture_output=True, timeout=600,
    )

    for name in ("api_key_pb2.py", "api_key_pb2_grpc.py"):
        assert filecmp.cmp(tmp_path / name, STUBS / name, shallow=False), f"{name} differs: run scripts/generate_stubs.sh"


def test_stubs_declare_platform_method_paths():
    from spaceone.api_key.proto import api_key_pb2

    service = api_key_pb2.DESCRIPTOR.services_by_name["APIKey"]

    assert api_key_pb2.DESCRIPTOR.name == "spaceone/api/identity/v2/api_key.proto"
    assert service.full_name == "spaceone.api.identity.v2.APIKey"
    assert [method.name for method in service.methods] == [
        "create", "update", "enable", "disable", "delete", "verify", "get", "list", "stat"
    ]


def test_stubs_field_numbers_match_contract():
    from spaceone.api_key.proto import api_key_pb2 as pb

    def numbers(message) -> dict:
        return {field.name: field.number for field in message.DESCRIPTOR.fields}

    assert numbers(pb.CreateAPIKeyRequest) == {"user_id": 1, "name": 2, "expired_at": 3, "domain_id": 21}
    assert numbers(pb.UpdateAPIKeyRequest) == {"api_key_id": 1, "name": 2, "domain_id": 21}
    assert numbers(pb.VerifyAPIKeyRequest) == {
        "api_key_id": 1, "api_key_type": 2, "domain_id": 21, "app_id": 22, "user_id": 23
    }
    assert numbers(pb.APIKeyRequest) == {"api_key_id": 1, "domain_id": 21}
    assert numbers(pb.APIKeyInfo) == {
        "api_key_id": 1, "api_key": 2, "name": 3, "state": 4, "domain_id": 21, "user_id": 22,
        "created_at": 31, "last_accessed_at": 32, "expired_at": 33,
    }
    assert numbers(pb.APIKeySearchQuery) == {"query": 1, "api_key_id": 2, "state": 3, "domain_id": 21, "user_id": 22}
    assert numbers(pb.APIKeysInfo) == {"results": 1, "total_count": 2}
    assert numbers(pb.APIKeyStatQuery) == {"query": 1, "domain_id": 21}
    assert dict(pb.VerifyAPIKeyRequest.API_KEY_TYPE.items()) == {"NONE": 0, "APP": 1, "USER": 2}
    assert dict(pb.APIKeyInfo.State.items()) == {"NONE_STATE": 0, "ENABLED": 1, "DISABLED": 2}
    assert pb.VerifyAPIKeyRequest.DESCRIPTOR.oneofs_by_name["api_key_info"].fields[0].name == "app_id"

"""Tests of the Helm chart in deploy/helm/spaceone-api-key that need no cluster.

The static tests read the chart's files with PyYAML. The rendering tests run
Helm's own template engine through helm-python-sdk (a test-only package that
bundles Helm's Go SDK as a shared library) and are skipped when it is not
installed.
"""

import base64
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from spaceone.api_key.conf.validation import validate_global_config

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "spaceone-api-key"
TEMPLATES = CHART / "templates"

# .Values.a.b or $.Values.a.b in a template action.
VALUES_REFERENCE_PATTERN = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
PLACEHOLDER_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_ENV_PATTERN = re.compile(r"- name: (\w+)\n\s+valueFrom:\n\s+secretKeyRef:")

# Keys of config that carry a credential and so must be a placeholder.
CREDENTIAL_KEYS = (
    ("DATABASES", "default", "password"),
    ("CACHES", "default", "password"),
    ("SYSTEM_TOKEN",),
)
FAKE_CREDENTIALS = {
    "MONGODB_PASSWORD": 'mongo:pa"ss #1',
    "REDIS_PASSWORD": "redis-pass-{x}",
    "SYSTEM_TOKEN": "system.token.value",
}


def load_render_config():
    spec = importlib.util.spec_from_file_location("render_config", DEPLOY / "docker" / "render_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_values() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def template_files() -> list[Path]:
    return sorted(path for path in TEMPLATES.iterdir() if path.is_file())


def template_value_paths() -> set[str]:
    paths = set()
    for path in template_files():
        for match in VALUES_REFERENCE_PATTERN.finditer(path.read_text()):
            paths.add(match.group(1).lstrip("."))
    return paths


def leaf_paths(node, prefix: str = "") -> list[str]:
    """Return the dotted paths of the scalars, lists and empty mappings of a values tree."""
    if isinstance(node, dict) and node:
        paths = []
        for key, value in node.items():
            paths.extend(leaf_paths(value, f"{prefix}.{key}" if prefix else str(key)))
        return paths
    return [prefix]


def resolve(values: dict, dotted_path: str):
    node = values
    for key in dotted_path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(dotted_path)
        node = node[key]
    return node


def render_config_document(values: dict) -> dict:
    """Emulate templates/configmap.yaml: the config block under GLOBAL."""
    return {"GLOBAL": values["config"]}


def test_deploy_yaml_files_parse():
    yaml_files = [
        path
        for path in DEPLOY.rglob("*")
        if path.suffix in (".yaml", ".yml") and TEMPLATES not in path.parents
    ]

    assert CHART / "values.yaml" in yaml_files
    assert CHART / "Chart.yaml" in yaml_files
    for path in yaml_files:
        documents = list(yaml.safe_load_all(path.read_text()))
        assert documents, f"{path} is empty"


def test_chart_metadata_valid():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())

    assert chart["apiVersion"] == "v2"
    assert chart["name"] == CHART.name
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"]


def test_templates_use_no_dynamic_values_access():
    """Keep every values path literal, so that the path checks below see all of them."""
    for path in template_files():
        text = path.read_text()
        assert "index .Values" not in text, path.name
        assert "index $.Values" not in text, path.name


def test_template_values_paths_exist():
    values = load_values()
    paths = template_value_paths()

    assert "grpc.port" in paths
    for dotted_path in sorted(paths):
        try:
            resolve(values, dotted_path)
        except KeyError:
            pytest.fail(f"a template uses .Values.{dotted_path}, which values.yaml does not define")


def test_values_leaves_used_by_templates():
    used_paths = template_value_paths()

    for leaf in leaf_paths(load_values()):
        covered = any(leaf == used or leaf.startswith(f"{used}.") for used in used_paths)
        assert covered, f"values.yaml defines {leaf}, which no template uses"


def test_readme_documents_every_value():
    """Each leaf value, or a mapping above it, has a row of its own in a README table."""
    readme = (CHART / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Za-z_][\w.]*)` \|", readme, flags=re.MULTILINE))

    for leaf in leaf_paths(load_values()):
        segments = leaf.split(".")
        candidates = {".".join(segments[:length]) for length in range(1, len(segments) + 1)}
        assert candidates & documented, f"README.md does not document {leaf}"


def test_configmap_emits_config_block():
    text = (TEMPLATES / "configmap.yaml").read_text()

    assert re.search(
        r"\n  config\.yml: \|\n    GLOBAL:\n      \{\{- toYaml \.Values\.config \| nindent 6 \}\}\n", text
    ), "configmap.yaml no longer emits .Values.config under GLOBAL as the tests assume"


def test_config_credentials_are_placeholders():
    config = load_values()["config"]

    for key_path in CREDENTIAL_KEYS:
        value = config
        for key in key_path:
            value = value[key]
        assert PLACEHOLDER_PATTERN.fullmatch(value), f"config.{'.'.join(key_path)} must be a ${{NAME}} placeholder"


def test_config_placeholders_come_from_secrets():
    config_text = yaml.safe_dump(load_values()["config"])
    placeholders = set(PLACEHOLDER_PATTERN.findall(config_text))
    helpers = (TEMPLATES / "_helpers.tpl").read_text()
    secret_env = set(SECRET_ENV_PATTERN.findall(helpers))

    assert placeholders == set(FAKE_CREDENTIALS)
    assert placeholders <= secret_env


def test_default_values_contain_no_credentials():
    secrets = load_values()["secrets"]

    assert secrets["mongodbPassword"] == ""
    assert secrets["redisPassword"] == ""
    assert secrets["systemToken"] == ""


def test_default_config_passes_validation(tmp_path):
    render_config = load_render_config()
    template = tmp_path / "config.yml"
    template.write_text(yaml.safe_dump(render_config_document(load_values())))

    rendered = render_config.render_file(str(template), str(tmp_path / "rendered.yml"), FAKE_CREDENTIALS)

    assert rendered["GLOBAL"]["DATABASES"]["default"]["password"] == FAKE_CREDENTIALS["MONGODB_PASSWORD"]
    validate_global_config(rendered["GLOBAL"])


def test_grace_period_covers_shutdown():
    values = load_values()

    assert values["terminationGracePeriodSeconds"] > (
        values["preStopSleepSeconds"] + values["config"]["GRPC_SHUTDOWN_GRACE_SECONDS"]
    )


# Rendering with Helm's template engine.

try:
    import helm_python
except ImportError:
    helm_python = None

requires_helm = pytest.mark.skipif(helm_python is None, reason="helm-python-sdk is not installed")

EXISTING_SECRET_VALUES = {"secrets": {"existingSecret": "api-key-credentials"}}
CHART_SECRET_VALUES = {
    "secrets": {
        "mongodbPassword": FAKE_CREDENTIALS["MONGODB_PASSWORD"],
        "redisPassword": FAKE_CREDENTIALS["REDIS_PASSWORD"],
        "systemToken": FAKE_CREDENTIALS["SYSTEM_TOKEN"],
    }
}


def render_chart(values: dict) -> dict[tuple[str, str], dict]:
    """Render the chart and return its objects keyed by (kind, name)."""
    chart = helm_python.Chart.load(str(CHART))
    manifests = chart.render(values, name="test", namespace="spaceone")
    objects = {}
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                objects[(document["kind"], document["metadata"]["name"])] = document
    return objects


def render_error(values: dict) -> str:
    chart = helm_python.Chart.load(str(CHART))
    with pytest.raises(Exception) as raised:
        chart.render(values, name="test", namespace="spaceone")
    return str(raised.value)


@requires_helm
def test_render_requires_credentials():
    message = render_error({})

    assert "secrets.mongodbPassword is required" in message


@requires_helm
def test_render_default_objects():
    objects = render_chart(EXISTING_SECRET_VALUES)

    assert set(objects) == {
        ("ConfigMap", "test-spaceone-api-key-config"),
        ("Deployment", "test-spaceone-api-key-grpc"),
        ("Service", "test-spaceone-api-key-grpc"),
        ("PodDisruptionBudget", "test-spaceone-api-key-grpc"),
        ("ServiceAccount", "test-spaceone-api-key"),
    }


@requires_helm
def test_render_configmap_passes_validation(tmp_path):
    render_config = load_render_config()
    configmap = render_chart(EXISTING_SECRET_VALUES)[("ConfigMap", "test-spaceone-api-key-config")]
    template = tmp_path / "config.yml"
    template.write_text(configmap["data"]["config.yml"])

    rendered = render_config.render_file(str(template), str(tmp_path / "rendered.yml"), FAKE_CREDENTIALS)

    assert rendered == render_config.render(render_config_document(load_values()), FAKE_CREDENTIALS)
    validate_global_config(rendered["GLOBAL"])


@requires_helm
def test_render_grpc_deployment():
    deployment = render_chart(EXISTING_SECRET_VALUES)[("Deployment", "test-spaceone-api-key-grpc")]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    environment = {variable["name"]: variable for variable in container["env"]}

    assert deployment["spec"]["replicas"] == 2
    assert container["args"] == ["grpc"]
    assert container["readinessProbe"]["grpc"] == {"port": 50051, "service": ""}
    assert container["livenessProbe"]["grpc"] == {"port": 50051, "service": ""}
    assert container["startupProbe"]["grpc"] == {"port": 50051, "service": ""}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["terminationGracePeriodSeconds"] == 30
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
    assert environment["SPACEONE_PORT"]["value"] == "50051"
    for name in FAKE_CREDENTIALS:
        assert environment[name]["valueFrom"]["secretKeyRef"]["name"] == "api-key-credentials"


@requires_helm
def test_render_rest_deployment():
    values = {**EXISTING_SECRET_VALUES, "rest": {"enabled": True}}
    objects = render_chart(values)
    container = objects[("Deployment", "test-spaceone-api-key-rest")]["spec"]["template"]["spec"]["containers"][0]

    assert container["args"] == ["rest"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/check", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/check", "port": "http"}
    assert ("Service", "test-spaceone-api-key-rest") in objects
    assert ("PodDisruptionBudget", "test-spaceone-api-key-rest") in objects


@requires_helm
def test_render_chart_secret_stays_out_of_configmap():
    objects = render_chart(CHART_SECRET_VALUES)
    secret = objects[("Secret", "test-spaceone-api-key-credentials")]
    decoded = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}

    assert decoded == {
        "mongodb-password": FAKE_CREDENTIALS["MONGODB_PASSWORD"],
        "redis-password": FAKE_CREDENTIALS["REDIS_PASSWORD"],
        "system-token": FAKE_CREDENTIALS["SYSTEM_TOKEN"],
    }
    for (kind, name), document in objects.items():
        if kind == "Secret":
            continue
        text = yaml.safe_dump(document)
        for credential in FAKE_CREDENTIALS.values():
            assert credential not in text, f"{kind} {name} contains a credential"


@requires_helm
def test_render_autoscaling_drops_replicas():
    values = {**EXISTING_SECRET_VALUES, "grpc": {"autoscaling": {"enabled": True}}}
    objects = render_chart(values)
    autoscaler = objects[("HorizontalPodAutoscaler", "test-spaceone-api-key-grpc")]

    assert "replicas" not in objects[("Deployment", "test-spaceone-api-key-grpc")]["spec"]
    assert autoscaler["spec"]["minReplicas"] == 2
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "test-spaceone-api-key-grpc"


@requires_helm
def test_render_headless_grpc_service():
    values = {**EXISTING_SECRET_VALUES, "grpc": {"service": {"headless": True}}}
    service = render_chart(values)[("Service", "test-spaceone-api-key-grpc-headless")]

    assert service["spec"]["clusterIP"] == "None"


@requires_helm
def test_render_rejects_short_grace_period():
    values = {**EXISTING_SECRET_VALUES, "terminationGracePeriodSeconds": 12}

    message = render_error(values)

    assert "terminationGracePeriodSeconds (12) must be greater than" in message


@requires_helm
def test_helm_lint_strict_passes():
    report = helm_python.lint(str(CHART), CHART_SECRET_VALUES, strict=True)
    findings = [message for message in report["messages"] if message["severity"] >= 2]

    assert report["errors"] == []
    assert findings == []

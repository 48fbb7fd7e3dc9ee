"""Render the service's config.yml from a template and environment variables, then validate it.

spaceone-core reads its configuration from one YAML file only, but credentials
arrive as environment variables from Kubernetes Secrets. The template (the
ConfigMap) therefore contains placeholders such as ``password: ${MONGODB_PASSWORD}``,
and this script replaces each ``${NAME}`` inside a string value with the
variable's value.

Substitution happens after the YAML is parsed, so a value containing quotes,
colons or ``#`` needs no escaping and cannot change the document's structure.
A substituted value is always a string. There is no escape for a literal
``${NAME}`` in the template.

Usage: render_config.py TEMPLATE OUTPUT
Exit status: 0 on success, 2 on an invalid template or configuration.
"""

import os
import re
import sys
from collections.abc import Mapping

import yaml

PLACEHOLDER_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RenderError(ValueError):
    """Template that cannot be rendered: unreadable, malformed or referring to an unset variable."""


def render(template: object, environment: Mapping[str, str], path: str = "") -> object:
    """Return a copy of the parsed template with every ``${NAME}`` replaced from environment."""
    if isinstance(template, Mapping):
        return {key: render(value, environment, _join(path, key)) for key, value in template.items()}

    if isinstance(template, list):
        return [render(value, environment, f"{path}[{index}]") for index, value in enumerate(template)]

    if isinstance(template, str):
        return PLACEHOLDER_PATTERN.sub(lambda match: _lookup(match.group(1), environment, path), template)

    return template


def render_file(template_path: str, output_path: str, environment: Mapping[str, str]) -> dict:
    """Render template_path into output_path (mode 0600) and return the rendered document."""
    try:
        with open(template_path, encoding="utf-8") as stream:
            document = yaml.safe_load(stream)
    except OSError as error:
        raise RenderError(f"Cannot read the configuration template {template_path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise RenderError(f"Invalid YAML in the configuration template {template_path}: {error}") from None

    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise RenderError(f"The configuration template {template_path} must be a mapping with a GLOBAL key")
    if not isinstance(document.get("GLOBAL", {}), Mapping):
        raise RenderError(f"GLOBAL in the configuration template {template_path} must be a mapping")

    rendered = render(document, environment)
    try:
        _write_private(output_path, yaml.safe_dump(rendered, default_flow_style=False, sort_keys=False))
    except OSError as error:
        raise RenderError(f"Cannot write the rendered configuration {output_path}: {error.strerror}") from None
    return rendered


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("Usage: render_config.py TEMPLATE OUTPUT", file=sys.stderr)
        return 2

    template_path, output_path = argv[1], argv[2]
    try:
        rendered = render_file(template_path, output_path, os.environ)
    except RenderError as error:
        print(f"render_config: {error}", file=sys.stderr)
        return 2

    # Imported here so that a broken package installation reports itself as such,
    # after the template problems, which are the more common mistake.
    from spaceone.api_key.conf.validation import ConfigurationError, validate_global_config

    try:
        validate_global_config(rendered.get("GLOBAL", {}))
    except ConfigurationError as error:
        print(f"render_config: {template_path}: {error}", file=sys.stderr)
        return 2

    for key in find_ignored_keys(rendered.get("GLOBAL", {})):
        print(
            f"render_config: warning: GLOBAL.{key} is ignored, because spaceone-core applies only keys "
            f"that its defaults or spaceone.api_key.conf.global_conf define",
            file=sys.stderr,
        )

    print(f"render_config: rendered {template_path} into {output_path}", file=sys.stderr)
    return 0


def find_ignored_keys(global_section: Mapping) -> list[str]:
    """Return the keys of global_section that spaceone-core's set_global would drop.

    spaceone-core 2.0's set_global skips, without a message, every key that is
    not already in its merged defaults (spaceone.core.config.default_conf and
    the package's global_conf.py).
    """
    from spaceone.api_key.conf import global_conf
    from spaceone.core.config import default_conf

    known_keys = {key for module in (default_conf, global_conf) for key in vars(module) if not key.startswith("__")}
    return [key for key in global_section if key not in known_keys]


def _lookup(name: str, environment: Mapping[str, str], path: str) -> str:
    if name not in environment:
        raise RenderError(
            f"{path} refers to the environment variable {name}, which is not set; "
            f"set it (from a Secret) or remove the placeholder"
        )
    return environment[name]


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _write_private(output_path: str, text: str) -> None:
    """Write text to output_path, readable by the owner only, replacing any old file atomically."""
    temporary_path = f"{output_path}.tmp"
    # O_CREAT applies the mode only to a new file, so a leftover one is removed first.
    if os.path.lexists(temporary_path):
        os.remove(temporary_path)
    descriptor = os.open(temporary_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary_path, output_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

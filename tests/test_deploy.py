"""deploy/ is valid and safe: the compose file against the Compose Specification, the image and
the systemd unit as the issue asks (multi-stage, non-root, hardened).

The compose file is checked against the specification's JSON schema (tests/data/compose-spec.json,
see its README) everywhere, and also with `docker compose config` where the client has the
compose plugin. No Docker engine is needed for either.
"""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
NEWSBOT_SERVICES = ("migrate", "bot", "worker", "sender")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def has_compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    found = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return found.returncode == 0


def assert_valid_newsbot_command(args: list[str]) -> None:
    """A command the image runs must be one `newsbot` accepts."""
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:  # argparse's way of saying no
        pytest.fail(f"`newsbot {' '.join(args)}` is not a valid command (exit {exc.code})")


def test_the_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)
    if has_compose_plugin():
        # Compose wants the env_file to exist: a copy beside the file, from the example.
        copy = tmp_path / "deploy"
        copy.mkdir()
        shutil.copy(COMPOSE, copy / "docker-compose.yml")
        shutil.copy(DEPLOY / ".env.example", copy / ".env")
        subprocess.run(
            ["docker", "compose", "-f", str(copy / "docker-compose.yml"), "config", "--quiet"],
            check=True,
            capture_output=True,
        )


def test_the_schema_catches_a_broken_compose_file() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # Through JSON: YAML's merge keys share one depends_on between the roles.
    broken = json.loads(json.dumps(compose()))
    broken["services"]["worker"]["depends_on"]["migrate"]["condition"] = "when_ready"
    broken["services"]["sender"]["restart_policy"] = "always"  # not a service key
    errors = jsonschema.Draft7Validator(schema).iter_errors(broken)
    assert sorted("/".join(map(str, e.absolute_path)) for e in errors) == [
        "services/sender",
        "services/worker/depends_on",
    ]


def test_compose_runs_migrations_once_before_the_roles_start() -> None:
    services = compose()["services"]
    assert set(NEWSBOT_SERVICES) | {"postgres"} <= set(services)
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in NEWSBOT_SERVICES:
        service = services[name]
        assert_valid_newsbot_command(service["command"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        environment = service["environment"]
        assert environment["NEWSBOT_DATABASE_URL"].startswith("postgresql")
        assert "@postgres:5432/" in environment["NEWSBOT_DATABASE_URL"]
    for name in ("bot", "worker", "sender"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    # `--scale worker=N` needs a worker without a fixed name or host port.
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]


def dockerfile_stages() -> list[list[str]]:
    """Return the Dockerfile's instructions (continuation lines joined) grouped by stage."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        assert stages, f"instruction before FROM: {line}"
        stages[-1].append(line)
    return stages


def test_the_image_is_multi_stage_and_runs_as_a_non_root_user() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    final = stages[-1]
    assert any(line.startswith("COPY --from=") for line in final)
    users = [line.split(None, 1)[1].strip() for line in final if line.upper().startswith("USER ")]
    assert users, "the final stage never switches away from root"
    assert users[-1].split(":")[0] not in ("root", "0")
    entrypoint = next(line for line in final if line.upper().startswith("ENTRYPOINT"))
    assert json.loads(entrypoint.split(None, 1)[1]) == ["newsbot"]
    command = next(line for line in final if line.upper().startswith("CMD"))
    assert_valid_newsbot_command(json.loads(command.split(None, 1)[1]))


def test_the_systemd_unit_is_hardened_and_keeps_state_in_its_state_directory() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((DEPLOY / "newsbot.service").read_text(encoding="utf-8"))
    service = unit["Service"]
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"]
    assert service.get("User") not in (None, "root")
    state = f"/var/lib/{service['StateDirectory']}"
    assert service["WorkingDirectory"] == state
    start = shlex.split(service["ExecStart"])
    assert start[0].endswith("/newsbot")
    assert_valid_newsbot_command(start[1:])

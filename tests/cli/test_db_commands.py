"""The `registry` command, run as a real process."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REGISTRY = str(Path(sys.executable).with_name("registry"))


def run(*args: str, database_url: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    if database_url:
        environment["REGISTRY_DATABASE_URL"] = database_url
    return subprocess.run([REGISTRY, *args], capture_output=True, text=True, env=environment, timeout=120)


def test_every_command_has_help():
    for command in (["--help"], ["db", "--help"], ["db", "upgrade", "--help"], ["db", "downgrade", "--help"],
                    ["db", "current", "--help"], ["db", "check", "--help"], ["seed", "--help"],
                    ["serve", "--help"]):
        result = run(*command)
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout


def test_upgrade_current_check_downgrade(empty_database):
    assert "not migrated" in run("db", "current", database_url=empty_database).stdout
    assert run("db", "upgrade", database_url=empty_database).returncode == 0
    assert "(head)" in run("db", "current", database_url=empty_database).stdout
    check = run("db", "check", database_url=empty_database)
    assert check.returncode == 0, check.stderr
    assert run("db", "downgrade", "base", database_url=empty_database).returncode == 0
    assert "not migrated" in run("db", "current", database_url=empty_database).stdout


def test_downgrade_minus_one_goes_one_revision_down(empty_database):
    assert run("db", "upgrade", database_url=empty_database).returncode == 0
    result = run("db", "downgrade", "-1", database_url=empty_database)  # as the README writes it
    assert result.returncode == 0, result.stderr
    assert "behind" in run("db", "current", database_url=empty_database).stdout


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_database_url_is_one_clear_line():
    line = _one_line_error(run("db", "current", database_url="mysql://nowhere/db"))
    assert "REGISTRY_DATABASE_URL" in line


def test_unreachable_database_is_one_clear_line():
    line = _one_line_error(run("db", "upgrade", database_url="postgresql+asyncpg://postgres@127.0.0.1:1/x"))
    assert "cannot reach the database" in line


def test_database_that_never_answers_fails_within_the_connect_timeout():
    """A listening socket nobody accepts on: the connection is never answered."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{silent.getsockname()[1]}/x"
        line = _one_line_error(run("db", "current", database_url=url, REGISTRY_DATABASE_CONNECT_TIMEOUT="1"))
    assert "cannot reach the database" in line and "REGISTRY_DATABASE_CONNECT_TIMEOUT" in line


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_bad_timeout_is_one_clear_line(value):
    line = _one_line_error(run("db", "current", REGISTRY_DATABASE_COMMAND_TIMEOUT=value))
    assert "REGISTRY_DATABASE_COMMAND_TIMEOUT" in line


def test_bad_revision_is_one_clear_line(empty_database):
    line = _one_line_error(run("db", "upgrade", "nonsense", database_url=empty_database))
    assert "nonsense" in line


def test_container_runs_in_production_as_an_unprivileged_user():
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")  # continued lines joined
    lines = [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    instructions = [(word.upper(), rest) for word, rest in lines]
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    assert "REGISTRY_ENV=production" in env.split()
    users = [rest.strip() for word, rest in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    # nothing runs as root after the switch, and the server is started after it
    switch = max(i for i, (word, _) in enumerate(instructions) if word == "USER")
    assert not [rest for word, rest in instructions[switch:] if word == "RUN"]
    assert any(word == "CMD" for word, _ in instructions[switch:])


def test_container_files_describe_a_migrating_app_on_a_healthy_database(empty_database):
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["db"]["image"].startswith("postgres:16")
    assert "healthcheck" in compose["services"]["db"]
    assert compose["services"]["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert compose["services"]["app"]["environment"]["REGISTRY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    # the container's command, outside the container: every step but serving
    command = next(line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    steps = [step.strip() for step in yaml.safe_load(command[3:])[2].split("&&")]
    assert steps[-1].startswith("registry serve")
    for step in steps[:-1]:
        result = run(*step.split()[1:], database_url=empty_database)
        assert result.returncode == 0, (step, result.stderr)

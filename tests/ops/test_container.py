"""The container without Docker: what the Dockerfile runs, run here the way the container would
(its ENTRYPOINT and CMD, only its ENV plus an operator's env file, the /data volume a folder),
answering its own HEALTHCHECK; and compose.yaml checked against the settings it feeds.

(`.ci/run` builds the image too when `docker info` succeeds.)"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.adapters.slack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
VOLUME = "/data"
START_SECONDS = 60


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def final_stage(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last = max(i for i, (word, _) in enumerate(found) if word == "FROM")
    return found[last:]


def image_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in stage:
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(stage: list[tuple[str, str]], word: str) -> list[str]:
    [value] = [rest for w, rest in stage if w == word]
    parsed = json.loads(value)
    assert isinstance(parsed, list), f"{word} must be in exec form (a JSON list): {value}"
    return [str(part) for part in parsed]


def healthcheck(stage: list[tuple[str, str]]) -> list[str]:
    [value] = [rest for w, rest in stage if w == "HEALTHCHECK"]
    _, _, command = value.partition("CMD ")
    return [str(part) for part in json.loads(command)]


@pytest.fixture(scope="module")
def image() -> list[tuple[str, str]]:
    return final_stage(instructions(ROOT / "Dockerfile"))


def test_the_image_is_slim_non_root_with_the_entry_point_and_data_in_a_volume(
    image: list[tuple[str, str]],
) -> None:
    every = instructions(ROOT / "Dockerfile")
    assert {rest.split()[0] for word, rest in every if word == "FROM"} == {"python:3.11-slim"}
    [user] = [rest for word, rest in image if word == "USER"]
    assert user not in {"root", "0"}
    assert user in next(rest for word, rest in image if word == "RUN")  # the user is made
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert exec_form(image, "ENTRYPOINT") == ["setget-bot"]
    assert "setget-bot" in scripts
    assert exec_form(image, "CMD")[:3] == ["serve", "slack", "--http"]
    assert json.loads(next(rest for word, rest in image if word == "VOLUME")) == [VOLUME]
    env = image_env(image)
    assert env["SETGET_DATABASE_URL"] == f"sqlite:///{VOLUME}/setget.db"  # SQLite by default
    assert env["XDG_DATA_HOME"] == VOLUME
    copied = [rest.split()[0] for word, rest in every if word == "COPY" and "--from" not in rest]
    assert copied == ["pyproject.toml", "core", "adapters", "bot"]
    assert all((ROOT / name).exists() for name in copied)


def test_dockerignore_keeps_secrets_databases_and_the_venv_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "**"  # everything is out unless admitted
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert admitted == {"pyproject.toml", "README.md", "core", "adapters", "bot"}
    assert {"**/.env", "**/*.db", "**/*.db-wal", "**/__pycache__"} <= set(rules)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def container_env(image: list[tuple[str, str]], volume: Path, **env_file: str) -> dict[str, str]:
    """The image's ENV (the volume a folder here, its PATH this venv) plus the operator's
    `--env-file`: nothing inherited from this test process."""
    env = {k: v.replace(VOLUME, str(volume)) for k, v in image_env(image).items()}
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return {**env, **env_file}


def with_port(args: list[str], port: int) -> list[str]:
    """The container's port published as a free one on this machine."""
    i = args.index("--port")
    return [*args[: i + 1], str(port), *args[i + 2 :]]


def runs_healthcheck(command: list[str], env: dict[str, str], url: str) -> bool:
    done = subprocess.run(
        command, env={**env, "HEALTHCHECK_URL": url}, capture_output=True, timeout=10, check=False
    )
    return done.returncode == 0


@contextmanager
def container(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    log = cwd / "container.log"
    with (
        log.open("w") as out,
        subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True
        ) as proc,
    ):
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@dataclass(frozen=True)
class Stopped:
    """A run of the image's command: its log once it answered, its exit on SIGTERM."""

    started_log: str
    returncode: int
    log: str


async def run_the_image(image: list[tuple[str, str]], tmp_path: Path) -> Stopped:
    """`db upgrade`, then the image's command until it answers its HEALTHCHECK on /healthz
    and /readyz; then `docker stop` (the STOPSIGNAL, SIGTERM)."""
    volume = tmp_path / "data"
    volume.mkdir()
    async with FakeSlack() as slack:
        env = container_env(
            image,
            volume,
            SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN="xoxb-container-test",
            SLACK_SIGNING_SECRET="container-signing-secret",
        )
        entry = exec_form(image, "ENTRYPOINT")
        upgrade = await asyncio.to_thread(
            subprocess.run,
            [*entry, "db", "upgrade"],
            env=env,
            cwd=volume,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        assert (volume / "setget.db").exists()  # the database is in the volume
        port = free_port()
        probe = healthcheck(image)
        with container([*entry, *with_port(exec_form(image, "CMD"), port)], env, volume) as proc:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_SECONDS
            while not await asyncio.to_thread(runs_healthcheck, probe, env, f"{base}/healthz"):
                assert proc.poll() is None, (volume / "container.log").read_text()
                assert time.monotonic() < deadline, "no answer on /healthz"
                await asyncio.sleep(0.2)
            assert await asyncio.to_thread(runs_healthcheck, probe, env, f"{base}/readyz")
            assert not await asyncio.to_thread(runs_healthcheck, probe, env, f"{base}/nowhere")
            assert proc.poll() is None
            started = (volume / "container.log").read_text()
            assert started.startswith(f"SetGet AI is answering Slack on http://0.0.0.0:{port}/")
    return Stopped(started, proc.returncode, (volume / "container.log").read_text())


async def test_the_image_command_starts_answers_its_health_checks_and_stops(
    image: list[tuple[str, str]], tmp_path: Path
) -> None:
    run = await run_the_image(image, tmp_path)
    assert "Traceback" not in run.started_log
    assert "xoxb-container-test" not in run.log
    assert "container-signing-secret" not in run.log
    assert run.returncode == 0, run.log  # `docker stop`: exit 0


async def test_docker_stop_logs_no_traceback(image: list[tuple[str, str]], tmp_path: Path) -> None:
    run = await run_the_image(image, tmp_path)
    assert "Traceback" not in run.log


# --- compose.yaml ---------------------------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[?-])(?P<arg>[^}]*))?\}")
NOT_SETTINGS = {"HEALTHCHECK_URL"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def setting_names() -> dict[str, str]:
    """Environment variable -> Settings field."""
    from pydantic import AliasChoices

    from bot.settings import Settings

    names = {}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({str(choice): field for choice in alias.choices})
        else:
            names[f"SETGET_{field.upper()}"] = field
    return names


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's `${VAR:?message}` / `${VAR:-default}`, with `given` as the operator's .env."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in given:
            return given[name]
        assert op == "-", f"${{{name}}} is required but the test gave no value"
        return str(arg)

    return INTERPOLATION.sub(one, value)


OPERATOR_ENV = {
    "POSTGRES_PASSWORD": "pg-password",
    "SETGET_SECRET_KEY": "a-long-enough-operator-secret-key-123",
    "SETGET_LLM_API_KEY": "sk-operator",
    "SLACK_BOT_TOKEN": "xoxb-operator",
    "SLACK_SIGNING_SECRET": "operator-signing-secret",
    "DISCORD_BOT_TOKEN": "operator-discord-token",
}


def service_settings(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, str], Any]:
    from bot.settings import load_settings

    env = {
        k: interpolate(str(v), OPERATOR_ENV)
        for k, v in compose["services"][name]["environment"].items()
    }
    for key in setting_names():
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT / "tests")  # no .env of this checkout
    return env, load_settings()


def test_compose_runs_postgresql_a_migration_two_slack_replicas_and_discord(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "migrate", "slack", "discord", "balancer"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("slack", "discord"):
        waits = services[name]["depends_on"]["migrate"]["condition"]
        assert waits == "service_completed_successfully"
        assert services[name]["image"] == services["migrate"]["image"]
    assert services["slack"]["deploy"]["replicas"] == 2
    assert services["slack"]["command"][:3] == ["serve", "slack", "--http"]
    assert services["discord"]["command"] == ["serve", "discord"]
    assert services["discord"]["deploy"]["replicas"] == 1  # shards live in one process
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_every_variable_compose_sets_is_a_setting_and_every_secret_comes_from_outside(
    compose: dict[str, Any],
) -> None:
    from bot.settings import Settings

    names = setting_names()
    secret = {
        env
        for env, field in names.items()
        if "SecretStr" in str(Settings.model_fields[field].annotation)
    }
    for name in ("migrate", "slack", "discord"):
        for key, value in compose["services"][name]["environment"].items():
            assert key in names or key in NOT_SETTINGS, f"{name}: {key} is no setting"
            if key in secret:
                match = INTERPOLATION.fullmatch(str(value))
                assert match, f"{name}: {key} is written in compose.yaml"
                assert match["op"] == "?", f"{name}: {key} must be required"
    database = str(compose["services"]["slack"]["environment"]["SETGET_DATABASE_URL"])
    assert "${POSTGRES_PASSWORD:?" in database  # the password is never in the file


@pytest.mark.parametrize("name", ["slack", "discord"])
def test_each_service_loads_valid_settings_and_its_health_check_asks_its_port(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.storage.database import normalize_url
    from bot.discord import discord_shards

    service = compose["services"][name]
    env, settings = service_settings(compose, name, monkeypatch)
    url = normalize_url(settings.database_url)
    postgres = compose["services"]["postgres"]["environment"]
    assert (url.get_backend_name(), url.host, url.port) == ("postgresql", "postgres", 5432)
    assert (url.username, url.database) == (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"])
    assert url.password == OPERATOR_ENV["POSTGRES_PASSWORD"]
    assert settings.secret_key is not None
    probe = urlsplit(env["HEALTHCHECK_URL"])
    assert probe.path in {"/healthz", "/readyz"}
    if name == "slack":
        command = service["command"]
        port = int(command[command.index("--port") + 1])
        assert settings.slack_bot_token is not None
        assert settings.slack_signing_secret is not None
    else:
        assert settings.health_port is not None
        port = settings.health_port
        assert settings.discord_bot_token is not None
        assert discord_shards(settings) == "auto"
    assert probe.port == port
    assert [str(port)] == [str(p) for p in service["expose"]]
    test = service["healthcheck"]["test"]
    assert test == ["CMD", *healthcheck(final_stage(instructions(ROOT / "Dockerfile")))]


def test_the_balancer_sends_slack_events_to_the_slack_replicas(compose: dict[str, Any]) -> None:
    balancer = compose["services"]["balancer"]
    assert balancer["depends_on"]["slack"]["condition"] == "service_healthy"
    config = compose["configs"][balancer["configs"][0]["source"]]["content"]
    port = compose["services"]["slack"]["command"][-1]
    assert f"http://slack:{port}" in config
    assert "location /slack/" in config
    assert os.path.basename(balancer["configs"][0]["target"]) == "default.conf"


async def test_the_compose_discord_service_connects_its_shards_and_answers_its_health_check(
    compose: dict[str, Any], image: list[tuple[str, str]], tmp_path: Path
) -> None:
    """The `discord` service's command and environment (SETGET_DISCORD_SHARDS=auto, the
    health port), with SQLite for the database and its port published as a free one."""
    from tests.adapters.discord.fake_discord import FakeDiscord

    service = compose["services"]["discord"]
    port = free_port()
    volume = tmp_path / "data"
    volume.mkdir()
    async with FakeDiscord() as fake:
        owner = fake.add_user("olivia")
        fake.add_guild("Fake Guild", owner=owner)
        given = {**OPERATOR_ENV, "DISCORD_BOT_TOKEN": fake.token}
        env = {k: interpolate(str(v), given) for k, v in service["environment"].items()}
        env = container_env(
            image,
            volume,
            **{
                **env,
                "SETGET_DATABASE_URL": f"sqlite:///{volume / 'setget.db'}",
                "SETGET_HEALTH_PORT": str(port),
                "HEALTHCHECK_URL": env["HEALTHCHECK_URL"].replace(
                    f":{env['SETGET_HEALTH_PORT']}/", f":{port}/"
                ),
                "DISCORD_API_URL": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
            },
        )
        entry = exec_form(image, "ENTRYPOINT")
        upgrade = await asyncio.to_thread(
            subprocess.run, [*entry, "db", "upgrade"], env=env, capture_output=True, check=False
        )
        assert upgrade.returncode == 0, upgrade.stderr
        probe = service["healthcheck"]["test"][1:]
        with container([*entry, *service["command"]], env, volume) as proc:
            deadline = time.monotonic() + START_SECONDS
            while not await asyncio.to_thread(runs_healthcheck, probe, env, env["HEALTHCHECK_URL"]):
                assert proc.poll() is None, (volume / "container.log").read_text()
                assert time.monotonic() < deadline, (volume / "container.log").read_text()
                await asyncio.sleep(0.2)
            log = volume / "container.log"
            while "SetGet AI is answering Discord" not in (started := log.read_text()):
                assert proc.poll() is None, started
                assert time.monotonic() < deadline, started
                await asyncio.sleep(0.2)
            assert "/gateway/bot" in {call.path.removeprefix("/api/v10") for call in fake.calls}
            assert fake.gateway.frames(2), "no IDENTIFY: the shards never connected"
            shown = [name for name, value in given.items() if value in started]
            assert not shown, f"the container's log shows {shown}"
            assert "Traceback" not in started
    assert proc.returncode == 0, (volume / "container.log").read_text()

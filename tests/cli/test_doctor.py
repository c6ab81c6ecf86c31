"""`setget-bot doctor`: one verdict per check with what to do, against fakes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.discord.fake_discord import DEFAULT_TOKEN, FakeDiscord
from tests.adapters.llm.fake_servers import Failure, FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.fake_slack import FakeSlack
from tests.cli.conftest import Cli

SECRET = "a-long-enough-test-secret-key-123"


@contextmanager
def serving(fake: Any) -> Iterator[Any]:
    """A started fake on its own loop in a thread, since the CLI runs `asyncio.run`."""
    loop = asyncio.new_event_loop()
    loop.run_until_complete(fake.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def verdicts(cli: Cli, *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    code, out, err = cli("doctor", "--json", *args)
    assert "Traceback" not in out + err
    checks = json.loads(out)["checks"]
    return code, {c["check"]: c for c in checks}


def configure_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-doctor-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "doctor-signing-secret")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", DEFAULT_TOKEN)


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
def test_a_fresh_database_is_ready_with_warnings_for_what_is_not_configured(cli: Cli) -> None:
    code, out, _ = cli("doctor")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "ok       settings: loaded (mode cloud)"
    assert any(
        line.startswith("ok       database: ") and "cli.db answers" in line for line in lines
    )
    assert "ok       schema: at revision 0010" in lines
    assert (
        "warning  slack: not configured -> set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
        "to serve Slack" in lines
    )
    assert "warning  discord: not configured -> set DISCORD_BOT_TOKEN to serve Discord" in lines
    assert any(line.startswith("warning  llm: none configured") for line in lines)
    assert "ok       secret key: not set; no workspace stores an API key" in lines


def test_a_missing_database_and_a_bad_setting_are_problems(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SETGET_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    code, found = verdicts(cli)
    assert code == 1
    assert found["database"]["verdict"] == "problem"
    assert "setget-bot db upgrade" in found["database"]["fix"]
    assert not (tmp_path / "none.db").exists()  # doctor creates nothing
    monkeypatch.setenv("SETGET_PRICING_DIVISOR", "zero")
    code, found = verdicts(cli)
    assert code == 1
    assert found["settings"]["verdict"] == "problem"
    assert "SETGET_PRICING_DIVISOR" in found["settings"]["detail"]


def test_an_unreachable_postgres_is_named_without_its_password(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETGET_DATABASE_URL", "postgresql://bob:hunter2@127.0.0.1:9/nowhere")
    code, out, err = cli("doctor")
    assert code == 1
    assert "hunter2" not in out + err
    [line] = [line for line in out.splitlines() if " database: " in line]
    assert line.startswith("problem  database: ")
    assert "127.0.0.1:9" in line


def test_an_old_schema_is_a_problem(cli: Cli, tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "cli.db")) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '0008'")
    code, found = verdicts(cli)
    assert code == 1
    assert found["schema"]["verdict"] == "problem"
    assert "out of date" in found["schema"]["detail"]


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
@pytest.mark.parametrize(
    ("settings", "detail"),
    [
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "shh"},
            "OAuth installs need SETGET_SECRET_KEY",
        ),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "shh", "SETGET_SECRET_KEY": "k" * 40},
            "SLACK_SIGNING_SECRET missing",
        ),
    ],
)
def test_an_oauth_distribution_needs_the_secret_key_and_the_signing_secret(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], detail: str
) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    code, found = verdicts(cli)
    assert code == 1
    assert (found["slack"]["verdict"], found["slack"]["detail"]) == ("problem", detail)


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
def test_half_a_slack_configuration_is_a_problem(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-doctor-test-token")
    code, found = verdicts(cli)
    assert code == 1
    assert found["slack"]["verdict"] == "problem"
    assert found["slack"]["detail"] == "SLACK_SIGNING_SECRET missing"


def test_online_checks_call_slack_discord_and_the_llm(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_platforms(monkeypatch)
    monkeypatch.setenv("SETGET_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SETGET_LLM_MODEL", "tiny")
    openai = FakeOpenAI()
    openai.script(Reply(text=chunks("pong"), usage=Usage(12, 1)))
    with serving(FakeSlack()) as slack, serving(FakeDiscord()) as discord, serving(openai):
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.setenv("DISCORD_API_URL", discord.api_base)
        monkeypatch.setenv("SETGET_LLM_BASE_URL", openai.url)
        offline_code, offline = verdicts(cli)
        assert not slack.calls_to("auth.test")  # without --online nothing is called
        code, found = verdicts(cli, "--online")
        assert [c.token for c in slack.calls_to("auth.test")] == ["xoxb-doctor-test-token"]
        assert discord.calls_to("get_me")
    assert (offline_code, code) == (0, 0)
    assert offline["slack"]["detail"] == "bot token and signing secret set (not checked online)"
    assert found["slack"] == {
        "check": "slack",
        "verdict": "ok",
        "detail": "token works for team 'Fake Team'",
        "fix": "",
    }
    assert found["discord"]["verdict"] == "ok"
    assert found["discord"]["detail"] == "token works for bot 'setget'"
    assert found["llm"]["verdict"] == "ok"
    assert "answered (1 output tokens)" in found["llm"]["detail"]


def test_refused_tokens_and_a_failing_llm_are_problems_with_what_to_do(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_platforms(monkeypatch)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "not-the-token")
    monkeypatch.setenv("SETGET_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SETGET_LLM_MODEL", "tiny")
    monkeypatch.setenv("SETGET_LLM_API_KEY", "sk-doctor-secret-key-0123456789")
    openai = FakeOpenAI(fallback=Failure(401, "invalid api key"))
    with serving(FakeSlack()) as slack, serving(FakeDiscord()) as discord, serving(openai):
        slack.answer("auth.test", {"ok": False, "error": "invalid_auth"})
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.setenv("DISCORD_API_URL", discord.api_base)
        monkeypatch.setenv("SETGET_LLM_BASE_URL", openai.url)
        code, out, err = cli("doctor", "--online")
    assert code == 1
    lines = {line.split(":")[0].split()[-1]: line for line in out.splitlines()}
    assert lines["slack"].startswith("problem  slack: auth.test refused: invalid_auth -> ")
    assert lines["discord"].startswith("problem  discord: the token was refused: 401")
    assert lines["llm"].startswith("problem  llm: ")
    assert "SETGET_LLM_API_KEY" in lines["llm"]
    assert "sk-doctor-secret-key" not in out + err
    assert "not-the-token" not in out + err


def test_unreachable_apis_are_problems(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_platforms(monkeypatch)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:9/api/v10")
    code, found = verdicts(cli, "--online")
    assert code == 1
    assert found["slack"]["detail"].startswith("cannot reach http://127.0.0.1:9/api/")
    assert found["discord"]["fix"] == "check DISCORD_API_URL"


def test_a_stored_api_key_needs_the_secret_key(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETGET_SECRET_KEY", SECRET)
    cli.ok("workspace", "create", "home", "--plan", "free", "--mode", "self-hosted")
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-home-0123456789abcdef\n"))
    cli.ok("llm", "set", "home", "--provider", "openai", "--model", "m", "--api-key-stdin")
    assert verdicts(cli)[1]["secret key"]["verdict"] == "ok"
    monkeypatch.delenv("SETGET_SECRET_KEY")
    code, found = verdicts(cli)
    assert code == 1
    assert found["secret key"] == {
        "check": "secret key",
        "verdict": "problem",
        "detail": "not set, but 1 workspace(s) store an encrypted API key",
        "fix": "set SETGET_SECRET_KEY to the key those API keys were stored with",
    }
    monkeypatch.setenv("SETGET_SECRET_KEY", "short")
    assert verdicts(cli)[1]["secret key"]["verdict"] == "problem"

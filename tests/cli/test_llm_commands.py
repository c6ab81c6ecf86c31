"""`setget-bot llm set|show|test`: a self-hosted workspace's own model, masked and checked live."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.adapters.llm.fake_servers import Failure, FakeOpenAI, Reply, Step, Usage, chunks
from tests.cli.conftest import Cli
from tests.cli.test_console_commands import pipe

KEY = "sk-test-0123456789abcdefWXYZ"
SECRET = "a-long-enough-test-secret-key-123"


@contextmanager
def fake_openai(*steps: Step) -> Iterator[FakeOpenAI]:
    """A started `FakeOpenAI` on its own loop in a thread, since the CLI runs `asyncio.run`."""
    loop = asyncio.new_event_loop()
    fake = FakeOpenAI()
    fake.script(*steps)
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


@pytest.fixture
def home(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A self-hosted workspace `home`, with a secret key for stored API keys."""
    monkeypatch.setenv("SETGET_SECRET_KEY", SECRET)
    cli.ok("workspace", "create", "home", "--plan", "free", "--mode", "self-hosted")
    return cli


def set_openai(cli: Cli, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    pipe(monkeypatch, KEY)
    args = ("--provider", "openai", "--model", "gpt-4o-mini", "--api-key-stdin", *extra)
    return cli.ok("llm", "set", "home", *args)


def test_set_and_show_round_trip_with_the_key_masked_and_encrypted(
    home: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = set_openai(home, monkeypatch)
    assert "openai gpt-4o-mini" in out
    assert "***…WXYZ" in out
    shown = home.json("llm", "show", "home")
    assert shown == {
        "workspace": "home",
        "mode": "self-hosted",
        "answers": "workspace",
        "label": "openai gpt-4o-mini",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "base_url": None,
        "azure_deployment": None,
        "api_version": None,
        "api_key": "***…WXYZ",
    }
    code, text, err = home("llm", "show", "home")
    assert code == 0
    assert "the workspace's own model" in text
    assert "api key: ***…WXYZ" in text
    assert KEY not in out + text + err
    with closing(sqlite3.connect(tmp_path / "cli.db")) as db:
        (stored,) = db.execute("SELECT api_key_encrypted FROM workspace_llm").fetchone()
    assert stored
    assert KEY not in stored
    assert "WXYZ" not in stored


def test_a_cloud_workspace_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    pipe(monkeypatch, KEY)
    line = cli.error(
        "llm", "set", "acme", "--provider", "openai", "--model", "m", "--api-key-stdin"
    )
    assert "cloud workspace" in line
    assert "deployment's model" in line


def test_missing_azure_fields_are_named(home: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    pipe(monkeypatch, KEY)
    line = home.error(
        "llm", "set", "home", "--provider", "azure", "--base-url", "https://x.openai.azure.com",
        "--api-key-stdin",
    )  # fmt: skip
    assert "azure_deployment is required" in line
    assert "api_version is required" in line
    assert KEY not in line


def test_an_unknown_provider_and_an_empty_key_are_refused(
    home: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = home.error("llm", "set", "home", "--provider", "gemini", "--model", "m")
    assert "provider must be one of" in line
    pipe(monkeypatch, "   ")
    line = home.error(
        "llm", "set", "home", "--provider", "openai", "--model", "m", "--api-key-stdin"
    )
    assert "no API key" in line


def test_storing_a_key_needs_the_secret_key(home: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SETGET_SECRET_KEY")
    pipe(monkeypatch, KEY)
    line = home.error(
        "llm", "set", "home", "--provider", "openai", "--model", "m", "--api-key-stdin"
    )
    assert "SETGET_SECRET_KEY" in line
    assert KEY not in line
    assert home.json("llm", "show", "home")["answers"] == "offline"  # type: ignore[index]


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
def test_show_names_the_deployment_model_for_a_cloud_workspace(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    assert cli.json("llm", "show", "acme")["answers"] == "offline"  # type: ignore[index]
    monkeypatch.setenv("SETGET_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SETGET_LLM_MODEL", "llama3")
    monkeypatch.setenv("SETGET_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    shown = cli.json("llm", "show", "acme")
    assert isinstance(shown, dict)
    assert (shown["answers"], shown["label"], shown["api_key"]) == (
        "deployment",
        "openai-compatible llama3",
        "none",
    )
    assert "deployment's model (SETGET_LLM_*)" in cli.ok("llm", "show", "acme")


def test_llm_test_reports_the_answer_and_its_tokens(
    home: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_openai(Reply(text=chunks("pong"), usage=Usage(5, 1))) as fake:
        home.ok(
            "llm", "set", "home", "--provider", "openai-compatible", "--model", "tiny",
            "--base-url", fake.url,
        )  # fmt: skip
        out = home.ok("llm", "test", "home")
    assert out.startswith("ok: openai-compatible tiny answered in ")
    assert out.rstrip().endswith("ms (5 input / 1 output tokens)")
    (request,) = fake.requests
    assert [m["role"] for m in request.body["messages"]] == ["user"]
    assert "pong" in request.body["messages"][0]["content"]
    assert "tools" not in request.body


def test_llm_test_says_when_the_key_is_rejected(home: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_openai(Failure(401, "Incorrect API key provided")) as fake:
        set_openai(home, monkeypatch, "--base-url", fake.url)
        code, out, err = home("llm", "test", "home")
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "rejected the API key" in lines[0]
    assert KEY not in err
    assert len(fake.requests) == 1  # a rejected key is not retried


def test_llm_test_with_nothing_configured_names_the_offline_model(home: Cli) -> None:
    out = home.ok("llm", "test", "home")
    assert "no LLM is configured" in out
    assert "offline demo model answers" in out
    assert "`setget-bot llm set home --provider ...`" in out
    assert "offline demo model" in home.ok("llm", "show", "home")


def test_llm_test_on_a_cloud_workspace_suggests_what_configures_it(cli: Cli) -> None:
    cli.ok("workspace", "create", "acme", "--plan", "pro")
    out = cli.ok("llm", "test", "acme")
    assert "cloud workspaces use the deployment's model" in out
    assert "SETGET_LLM_PROVIDER" in out
    assert "llm set" not in out  # which refuses cloud workspaces


def test_llm_test_reports_an_unavailable_server_in_one_line(home: Cli) -> None:
    with fake_openai(*[Failure(503)] * 3) as fake:
        home.ok(
            "llm", "set", "home", "--provider", "openai-compatible", "--model", "tiny",
            "--base-url", fake.url,
        )  # fmt: skip
        line = home.error("llm", "test", "home")
    assert "unavailable" in line
    assert "after 3 attempts" in line
    assert len(fake.requests) == 3

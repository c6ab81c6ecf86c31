"""No secret in clear anywhere a person or an operator looks: the main flows run with the
suite's recognisable API keys, bot tokens and secret key (tests/conftest.py), and a
workspace's own API key stored with `llm set`, and then every reply, log record, export,
error message and database column is searched for them.

Flows: the CLI (console answers, `llm test` against a provider that echoes the key it got,
`audit export`, `doctor`, `credits status`, `usage`) as separate processes the way an
operator runs them; a Slack answer and a Slack provider failure against the fake Slack; a
Discord answer and a Discord provider failure against the fake Discord. The fake LLM answers
the failures with HTTP 401 and the Authorization header it received in its error text."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import inspect, text

from adapters.storage import open_database, upgrade_schema
from bot.app import App, build_app
from bot.settings import Settings
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform
from tests.adapters.discord.fake_discord import FakeDiscord, pointed_at
from tests.adapters.discord.test_bot_support import COUNT, running
from tests.adapters.llm.fake_servers import Failure, FakeOpenAI, RecordedRequest, Reply, Usage
from tests.adapters.llm.fake_servers import chunks as words
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event
from tests.conftest import SUITE_SECRETS, SecretWatch, core_of
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[2]
OWN_KEY = "sk-own-workspace-key-B8nM4cX2zL6qP0wE"  # a self-hosted workspace's, via `llm set`
ANSWER = "There are 7 open work items in WEB."
QUESTION = "How many open items are in the WEB project?"
REJECTED = "rejected the API key (HTTP 401)"
DB_PASSWORD = "pg-password-E9rT3yU7iO1pA5sD"


def secrets() -> dict[str, str]:
    return {
        **SUITE_SECRETS,
        "workspace API key (llm set)": OWN_KEY,
        "a rejected Discord token": "suite-discordtoken-rejected-C5vB9nM3xZ7aS1dF",
        "the database password": DB_PASSWORD,
    }


def shown(text: str) -> list[str]:
    """Which secrets `text` shows (each found by its distinctive part)."""
    return [name for name, value in secrets().items() if core_of(value) in text]


def assert_nowhere(texts: dict[str, str]) -> None:
    """No secret in any of `texts`; a database dump's leaks are named by table."""
    leaks = {where: shown(text) for where, text in texts.items() if shown(text)}
    if "database" in leaks:
        leaks["database"] = [
            f"{name} in table {line.split(':')[0]}"
            for line in texts["database"].splitlines()
            for name in shown(line)
        ]
    assert not leaks, f"secrets in clear: {leaks}"


def echo_the_key(request: RecordedRequest) -> Failure:
    """What a careless provider or proxy does: say which key it refused."""
    given = request.headers.get("authorization", "") or request.headers.get("x-api-key", "")
    return Failure(401, f"Incorrect API key provided: {given}. You can find your key at ...")


def answer() -> Reply:
    return Reply(text=words(ANSWER), usage=Usage(900, 12))


@contextmanager
def watching() -> Iterator[SecretWatch]:
    """Every log record of the test, our loggers at DEBUG, checked as the session check does."""
    watch = SecretWatch(secrets())
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)


async def database_dump(url: str) -> str:
    """Every row of every table, every column, as text."""
    db = open_database(url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            lines = []
            for name in names:
                result = await conn.execute(text(f'SELECT * FROM "{name}"'))
                columns = list(result.keys())
                lines += [f"{name}: {dict(zip(columns, row, strict=True))!r}" for row in result]
        assert lines, "the database holds nothing: the flows did not run"
        return "\n".join(lines)
    finally:
        await db.dispose()


def log_files(folder: Path) -> dict[str, str]:
    return {str(p): p.read_text() for p in folder.rglob("*.log")}


# --- the CLI, process by process --------------------------------------------------------------


@dataclass
class Operator:
    env: dict[str, str]
    outputs: dict[str, str]

    async def run(self, *args: str, stdin: str = "", code: int | None = 0) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            env=self.env,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=120)
        text = out.decode() + err.decode()
        self.outputs[" ".join(args)] = text
        assert "Traceback" not in text, text
        if code is not None:
            assert proc.returncode == code, text
        return text


async def test_the_cli_shows_no_secret_in_answers_errors_exports_doctor_or_the_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'setget.db'}"
    async with FakeOpenAI() as llm, FakeSlack(team_id=TEAM) as slack, FakeDiscord() as discord:
        env = {
            **os.environ,  # the suite's secrets among them
            "SETGET_DATABASE_URL": url,
            "SETGET_LLM_PROVIDER": "openai",
            "SETGET_LLM_BASE_URL": llm.url,
            "SETGET_LLM_MODEL": "gpt-test",
            "SETGET_OFFLINE_PACE_MS": "0",
            "SLACK_API_URL": slack.api_url,
            "DISCORD_API_URL": discord.api_base,
        }
        cli = Operator(env=env, outputs={})
        await cli.run("db", "upgrade")
        await cli.run("workspace", "create", "acme", "--plan", "pro")
        await cli.run("workspace", "create", "homelab", "--plan", "free", "--mode", "self-hosted")
        await cli.run(
            "llm", "set", "homelab", "--provider", "openai", "--base-url", llm.url,
            "--model", "gpt-own", "--api-key-stdin", stdin=OWN_KEY + "\n",
        )  # fmt: skip
        await cli.run("llm", "show", "homelab", "--json")

        llm.script(answer(), echo_the_key, echo_the_key, echo_the_key, echo_the_key)
        said = await cli.run(
            "console", "--workspace", "acme", "--user", "alice", "--no-stream",
            stdin=f"{QUESTION}\n{QUESTION}\n",
        )  # fmt: skip
        assert ANSWER in said  # the first answered, the second failed
        sent = [r.headers.get("authorization", "") for r in llm.requests]
        assert sent[0] == f"Bearer {SUITE_SECRETS['SETGET_LLM_API_KEY']}"  # the key was used
        assert REJECTED in said
        llm.script(*[echo_the_key] * 8)
        assert REJECTED in await cli.run("llm", "test", "homelab", code=1)
        assert llm.requests[-1].headers["authorization"] == f"Bearer {OWN_KEY}"
        owned = await cli.run(
            "console", "--workspace", "homelab", "--user", "bob", "--no-stream",
            stdin=f"{QUESTION}\n",
        )  # fmt: skip
        assert REJECTED in owned  # the workspace's own key, refused and echoed

        await cli.run("audit", "export", "acme", "--format", "jsonl")
        await cli.run("audit", "export", "acme", "--format", "csv")
        await cli.run("audit", "export", "homelab", "--format", "jsonl")
        await cli.run("credits", "status", "acme", "--json")
        await cli.run("usage", "acme", "--json")
        await cli.run("doctor")
        await cli.run("doctor", "--json")
        llm.script(*[echo_the_key] * 4)
        slack.add_user("U0ALICE", "alice", admin=True)
        online = await cli.run("doctor", "--online", code=1)  # the LLM refuses the key
        assert "Discord" in online or "discord" in online
        wrong = {**env, "DISCORD_BOT_TOKEN": "suite-discordtoken-rejected-C5vB9nM3xZ7aS1dF"}
        await Operator(env=wrong, outputs=cli.outputs).run("doctor", "--online", code=1)
        await cli.run("--version")
        await cli.run("ledger", "verify", "--all")
        # A bad setting's message names the setting, never the values around it.
        bad = {**env, "SETGET_DATABASE_POOL_SIZE": "many"}
        await Operator(env=bad, outputs=cli.outputs).run("credits", "status", "acme", code=1)
        # A PostgreSQL server that does not answer: its password is in no message.
        down = Operator(
            env={**env, "SETGET_DATABASE_URL": f"postgresql://setget:{DB_PASSWORD}@127.0.0.1:9/x"},
            outputs=cli.outputs,
        )
        for args in (("credits", "status", "acme"), ("doctor",), ("db", "backup", "x.dump")):
            await down.run(*args, code=1)
        await down.run("--version")

        assert_nowhere(cli.outputs)
        files = log_files(Path(env["XDG_DATA_HOME"]))
        assert any(p.endswith("console.log") and "(HTTP 401)" in t for p, t in files.items())
        assert_nowhere(files)  # the console's log file
        dump = await database_dump(url)
        assert_nowhere({"database": dump})
        assert "gpt-own" in dump  # the workspace's settings are stored, their key sealed


# --- Slack and Discord, in this process (every log record checked) -----------------------------


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def deployed(database_url: str, clock: FakeClock, llm: FakeOpenAI) -> AsyncIterator[App]:
    """The app as `serve` builds it from the environment (the suite's keys and tokens), its
    model the deployment's OpenAI model at the fake LLM."""
    settings = Settings(
        database_url=database_url,
        hold_wait_seconds=0.5,
        llm_provider="openai",
        llm_base_url=llm.url,
        llm_model="gpt-test",
    )
    assert settings.llm_api_key is not None  # from the environment, as deployed
    db = open_database(database_url, pool_size=5)
    try:
        await upgrade_schema(db)
        yield build_app(settings, db=db, clock=clock)
    finally:
        await db.dispose()


def calls_as_text(calls: Iterable[Any]) -> str:
    """What the bot sent the platform; the `token` it authenticated with is left out (the one
    place the token belongs)."""
    return "\n".join(
        json.dumps({k: v for k, v in vars(c).items() if k != "token"}, default=str) for c in calls
    )


async def test_slack_answers_and_failures_show_no_secret(
    deployed: App, llm: FakeOpenAI, database_url: str
) -> None:
    app = deployed
    token = SUITE_SECRETS["SLACK_BOT_TOKEN"]
    signing = SUITE_SECRETS["SLACK_SIGNING_SECRET"]
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("acme", Platform.SLACK, TEAM)
    llm.script(answer(), *[echo_the_key] * 4)
    with watching() as watch:
        async with (
            FakeSlack(team_id=TEAM) as slack,
            serve(app, slack, bot_token=token, signing_secret=signing) as url,
            aiohttp.ClientSession() as http,
        ):
            slack.add_user("U0ALICE", "alice", admin=True)
            bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)
            first = event_body(mention_event(QUESTION, ts="1700000000.1"), event_id="Ev1")
            assert (await bot.post(first, secret=signing)).status == 200
            (final,) = await bot.answered()
            assert final.args["text"] == ANSWER
            second = event_body(mention_event(QUESTION, ts="1700000000.2"), event_id="Ev2")
            assert (await bot.post(second, secret=signing)).status == 200
            while not any(REJECTED in str(c.args) for c in slack.calls_to("chat.update")):
                await slack.wait_for("chat.update", count=len(slack.calls_to("chat.update")) + 1)
            assert await bot.command("balance", user="U0ALICE") == 401  # signed with another
        assert {c.token for c in slack.calls} == {token}  # the token was in use
        assert len(llm.requests) >= 2
        texts = {"slack calls": calls_as_text(slack.calls)}
    texts["logs"] = "\n".join(watch.report())
    assert not watch.sightings, watch.report()
    assert_nowhere({**texts, "database": await database_dump(database_url)})


async def test_discord_answers_and_failures_show_no_secret(
    deployed: App, llm: FakeOpenAI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = deployed
    token = SUITE_SECRETS["DISCORD_BOT_TOKEN"]
    llm.script(answer(), *[echo_the_key] * 4)
    with watching() as watch:
        async with FakeDiscord(token=token) as fake:
            olivia, alice = fake.add_user("olivia"), fake.add_user("alice")
            guild = fake.add_guild("Fake Guild", owner=olivia)
            fake.add_member(guild, alice)
            workspace = await app.admin.create("acme", plan=Plan.PRO)
            await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
            await app.admin.link("acme", Platform.DISCORD, guild.id)
            with pointed_at(fake):
                async with running(app, fake, workspace) as bot:
                    await bot.mention(COUNT)
                    (final,) = await bot.answered()
                    assert ANSWER in final.json["content"]
                    edits = len(fake.calls_to("edit_message"))
                    await bot.mention(COUNT)
                    await fake.wait_for("edit_message", count=edits + 1)
                    assert REJECTED in fake.calls_to("edit_message")[-1].json["content"]
            assert {c.token for c in fake.calls if c.token} == {token}  # the token was in use
            texts = {"discord calls": calls_as_text(fake.calls)}
    texts["logs"] = "\n".join(watch.report())
    assert not watch.sightings, watch.report()
    assert_nowhere({**texts, "database": await database_dump(database_url)})


INSTALLED_TOKEN = "xoxb-installed-over-oauth-D4fG8hJ2kL6zX0cV"


async def test_a_slack_install_over_oauth_keeps_no_token_in_clear_in_the_database(
    deployed: App, database_url: str
) -> None:
    from tests.adapters.slack.test_oauth import CLIENT_ID, Distributed, oauth_settings

    async with FakeSlack(team_id=TEAM) as slack:
        slack.oauth_bot_token = INSTALLED_TOKEN
        app = oauth_settings(deployed, slack)
        workspace = await app.admin.create("acme", plan=Plan.PRO)
        await app.admin.link("acme", Platform.SLACK, TEAM)
        overrides: dict[str, Any] = {
            "bot_token": None,
            "client_id": CLIENT_ID,
            "client_secret": SUITE_SECRETS["SLACK_CLIENT_SECRET"],
        }
        async with serve(app, slack, **overrides) as url, aiohttp.ClientSession() as http:
            bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)
            installing = Distributed(bot=bot, http=http)
            _, _, state = await installing.install_page()
            assert await installing.redirect(state=state, cookie=state) == 200
            assert await installing.installed_token() == INSTALLED_TOKEN
    dump = await database_dump(database_url)
    tables = sorted(
        {line.split(":")[0] for line in dump.splitlines() if "D4fG8hJ2kL6zX0cV" in line}
    )
    assert not tables, f"an installed Slack bot token is stored in clear in {tables}"

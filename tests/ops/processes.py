"""Running `setget-bot` as a real process in the ops and fault tests: the deployment it serves
(database, fakes, settings), start it with an environment, wait until it serves, send it
SIGTERM, and run `ledger verify --all` on its database."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from adapters.storage import Database, open_database, upgrade_schema
from bot.app import build_app
from bot.settings import Settings
from core.plans import Plan
from core.workspaces import Platform, Workspace
from tests.adapters.llm.fake_servers import FakeOpenAI
from tests.adapters.slack.conftest import SECRET, TEAM
from tests.adapters.slack.fake_slack import FakeSlack
from tests.conftest import SUITE_SECRETS

ROOT_DIR = Path(__file__).resolve().parents[2]
# Recognisable secrets: no log line may hold one.
LLM_KEY = "sk-ops-test-key-0123456789abcdef"
SECRET_KEY = "ops-test-secret-key-for-the-box-0123456789"


@dataclass
class Deployment:
    """The database, fakes and settings a bot process (and its restart) serve."""

    settings: Settings
    env: dict[str, str]
    db: Database
    slack: FakeSlack
    llm: FakeOpenAI
    workspace: Workspace


@asynccontextmanager
async def slack_deployment(
    database_url: str,
    slack: FakeSlack,
    llm: FakeOpenAI,
    *,
    token: str,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Deployment]:
    """Workspace acme (Pro) linked to the fake Slack team on an upgraded database; `env` is
    the bot process's environment, with `env` added."""
    served = {
        "SETGET_DATABASE_URL": database_url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": token,
        "SETGET_LLM_PROVIDER": "openai-compatible",
        "SETGET_LLM_BASE_URL": llm.url,
        "SETGET_LLM_MODEL": "local",
        **(env or {}),
    }
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            **{k: v for k, v in served.items() if k.startswith("SLACK_")},
            "llm_provider": "openai-compatible",
            "llm_base_url": llm.url,
            "llm_model": "local",
        }
    )
    db = open_database(database_url, pool_size=5)
    try:
        await upgrade_schema(db)
        setup = build_app(settings, db=db)
        workspace = await setup.admin.create("acme", plan=Plan.PRO)
        await setup.admin.link("acme", Platform.SLACK, TEAM)
        yield Deployment(settings, served, db, slack, llm, workspace)
    finally:
        await db.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bot_process(
    args: Sequence[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`setget-bot ARGS` with stdout and stderr in `log`; killed if still running after."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env={**os.environ, **env},
            cwd=ROOT_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


async def until_serving(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Until `url/healthz` answers 200."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(30):
        while True:
            assert proc.poll() is None, "the bot exited at start (see its log)"
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)


async def until_logged(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    """Until the process has written `text` (its start-up line, say)."""
    async with asyncio.timeout(30):
        while text not in await asyncio.to_thread(log.read_text, errors="replace"):
            assert proc.poll() is None, "the bot exited (see its log)"
            await asyncio.sleep(0.05)


async def readiness(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as resp:
        return resp.status, await resp.json()


async def until_not_ready(url: str) -> Any:
    """Until `/readyz` answers 503; its body."""
    async with asyncio.timeout(20):
        while True:
            status, body = await readiness(url)
            if status == 503:
                return body
            await asyncio.sleep(0.02)


async def scrape(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


async def exit_code(proc: subprocess.Popen[bytes], *, within: float = 30) -> int:
    async with asyncio.timeout(within):
        while proc.poll() is None:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.05)
    return int(proc.returncode)


def ledger_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ledger", "verify", "--all"],
        env={**os.environ, **env},
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The log's JSON records (each line that is not one of the command's own prints must
    be one JSON object)."""
    records = []
    for line in log.read_text().splitlines():
        if line.startswith("SetGet AI is "):
            continue
        records.append(json.loads(line))
    return records


def assert_no_secret(log: Path, secrets: Sequence[str]) -> None:
    """Neither `secrets` nor any of the suite's own (in the process's environment too)."""
    text = log.read_text()
    for secret in [*secrets, *SUITE_SECRETS.values()]:
        assert secret not in text


def samples(text: str) -> dict[str, float]:
    """A scrape as `name{label=value,...}` -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found

"""One workspace on a Slack team and a Discord guild: one credit pool. An answer charged
through the Discord bot and one charged through the Slack app draw from the same balance,
and `setget-bot credits status` shows what is left."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.cli.main import main
from core.workspaces import Platform
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_support import COUNT, linked_workspace, running
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import mention_event

ROOT = "1700000000.000100"


PoolStatus = Callable[[str], Awaitable[dict[str, object]]]


@pytest.fixture
def pool_status(
    app: App,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> PoolStatus:
    """`setget-bot credits status NAME --json` on the test's database, as an operator runs it
    (in a thread: the CLI runs its own event loop)."""
    monkeypatch.setenv("SETGET_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    # the operator runs it on the day of the answers (the CLI's app would read the system clock)
    monkeypatch.setattr("bot.app.SystemClock", lambda: app.clock)

    def status(name: str) -> dict[str, object]:
        capsys.readouterr()
        code = main(["credits", "status", name, "--json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        return dict(json.loads(out))

    async def in_thread(name: str) -> dict[str, object]:
        return await asyncio.to_thread(status, name)

    return in_thread


async def test_answers_on_discord_and_on_slack_draw_from_one_pool(
    app: App, discord_fake: FakeDiscord, pool_status: PoolStatus
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    await app.admin.link("acme", Platform.SLACK, TEAM)
    before = await pool_status("acme")
    assert before["remaining"] == 500

    async with running(app, discord_fake, workspace) as discord_bot:
        await discord_bot.mention(COUNT, author="bob")
        [on_discord] = await discord_bot.answered()
    assert (
        on_discord.json["content"]
        .rsplit("\n-# ", 1)[1]
        .startswith("simple question · 1 credit · 499 ")
    )

    async with FakeSlack(team_id=TEAM) as slack:
        slack.add_user("U0ALICE", "alice", admin=True)
        slack.add_user("U0BOB", "bob")
        async with serve(app, slack) as url, aiohttp.ClientSession() as http:
            slack_bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)
            assert await slack_bot.event(mention_event(COUNT, ts=ROOT)) == 200
            [on_slack] = await slack_bot.answered()
    footer = on_slack.args["blocks"][-1]["elements"][0]["text"]
    assert footer.startswith("simple question · 1 credit · 498 ")

    assert (await app.pool.status(workspace)).balance.remaining == 498
    after = await pool_status("acme")
    assert after["workspace"] == "acme"
    assert after["remaining"] == 498
    assert after["monthly_used"] == 2
    assert after["reserved"] == 0

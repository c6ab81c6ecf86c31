"""Discord failing while an answer is made: the gateway dropped mid-answer (the RESUME
delivering the mention again) or down for the whole answer, REST 500s, 429s and dropped
connections on the answer's edits, and on alert delivery. The answer or alert arrives once,
charged once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.app import App
from bot.discord import discord_runtime
from bot.scheduler import alert_dispatcher, deliver_alerts
from core.credits.delivery import DeliveryReport
from core.credits.pricing import InteractionType, TokenUsage
from core.work.model import ItemFilter
from core.workspaces import Workspace
from tests.adapters.discord.conftest import discord_fake as discord_fake  # noqa: PLC0414
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import (
    COUNT,
    READY_WAIT,
    DiscordBot,
    linked_workspace,
)
from tests.faults.ledger import assert_ledger_clean, charges
from tests.faults.llm_fakes import CountingModel, chat_with


@asynccontextmanager
async def running(
    app: App, fake: FakeDiscord, workspace: Workspace, model: CountingModel
) -> AsyncIterator[DiscordBot]:
    async with (
        discord_runtime(app, chat=chat_with(app, model), guild_ready_timeout=READY_WAIT) as runtime,
        fake.connected(runtime.bot.client),
    ):
        yield DiscordBot(app=app, fake=fake, runtime=runtime, workspace=workspace)


def finals(fake: FakeDiscord) -> list[DiscordCall]:
    """Answers shown (their footer), by edit or new message, that Discord took."""
    return [
        c
        for c in fake.calls
        if c.name in {"edit_message", "send_message"}
        and not c.failed
        and "\n-# " in (c.json or {}).get("content", "")
    ]


async def shown(bot: DiscordBot, *, within: float = 5.0) -> bool:
    """Whether an answer Discord took appears within `within` seconds (discord.py retries
    a 500 after 1 s, a 429 after its `retry_after`)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while not finals(bot.fake):  # noqa: ASYNC110 - the bot's tasks make the calls
                await asyncio.sleep(0.02)
    return bool(finals(bot.fake))


async def answered_once(bot: DiscordBot, event: dict[str, object]) -> None:
    [final] = finals(bot.fake)
    assert "open work items in WEB" in final.json["content"]
    [thread] = [c for c in bot.fake.calls_to("start_thread_with_message") if not c.failed]
    assert thread.params["message_id"] == event["id"]
    assert len(await charges(bot.app)) == 1
    assert await bot.remaining() == 499
    await assert_ledger_clean(bot.app)


@pytest.mark.parametrize("abrupt", [False, True], ids=["close frame", "TCP dropped"])
async def test_a_gateway_disconnect_mid_answer_delivers_it_once(
    app: App, discord_fake: FakeDiscord, abrupt: bool
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    model = CountingModel(gated=True)
    async with running(app, discord_fake, workspace, model) as bot:
        event = await bot.mention(COUNT)
        await model.until(1)  # credits held, the answer on its way
        await discord_fake.drop_connection(redeliver=1, abrupt=abrupt)  # and sent again
        await discord_fake.gateway.wait_for_resume()
        model.gate.set()
        assert await shown(bot)
        await answered_once(bot, event)
        marker = await bot.mention("and the API project?")  # handled after the copy
        await bot.answered(2)
        assert marker["id"] != event["id"]
        assert len(await charges(app)) == 2


async def test_the_gateway_down_for_the_whole_answer_still_delivers_it_once(
    app: App, discord_fake: FakeDiscord
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    model = CountingModel(gated=True)
    async with running(app, discord_fake, workspace, model) as bot:
        event = await bot.mention(COUNT)
        await model.until(1)
        async with discord_fake.outage():  # REST still answers: the answer goes through
            model.gate.set()
            assert await shown(bot)
        await discord_fake.gateway.wait_for_resume()
        await answered_once(bot, event)


@pytest.mark.parametrize("fault", ["500", "429", "503", "dropped"])
async def test_failed_edits_of_the_answer_show_it_once_charged_once(
    app: App, discord_fake: FakeDiscord, fault: str
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    model = CountingModel(gated=True)
    async with running(app, discord_fake, workspace, model) as bot:
        event = await bot.mention(COUNT)
        await model.until(1)
        if fault == "429":
            discord_fake.rate_limit("edit_message", retry_after=0.3, times=2)
        elif fault == "dropped":
            discord_fake.drop("edit_message")
        else:
            discord_fake.fail("edit_message", status=int(fault), times=2)
        model.gate.set()
        if not await shown(bot):  # the answer failed for good: the recovery job's turn
            assert fault == "dropped"  # discord.py retries 5xx and 429 itself
            app.clock.advance(minutes=6)  # type: ignore[attr-defined]
            assert await bot.runtime.recover() == 1
            assert await shown(bot)
        await answered_once(bot, event)


async def use(bot: DiscordBot, credits: int, key: str) -> None:
    await bot.app.pool.reserve(bot.workspace, key=key, member=None)
    await bot.app.pool.settle(
        bot.workspace,
        key=key,
        usage=TokenUsage(4000 * credits, 0),
        interaction_type=InteractionType.DATA_ANALYSIS,
    )


@pytest.mark.parametrize("fault", ["429", "dropped", "503"])
async def test_an_alert_discord_refused_is_delivered_later_once(
    app: App, discord_fake: FakeDiscord, fault: str
) -> None:
    workspace = await linked_workspace(app, discord_fake, allocation=20)
    async with running(app, discord_fake, workspace, CountingModel()) as bot:
        await discord_fake.dispatch(
            "INTERACTION_CREATE", discord_fake.slash_command("setget alerts-channel", user="alice")
        )
        await discord_fake.wait_for("send_followup")
        for n, credits in enumerate((6, 6, 3)):  # 75 %
            await use(bot, credits, f"ev-{n}")
        if fault == "429":
            discord_fake.rate_limit("send_message", retry_after=0.2, times=9)
        elif fault == "dropped":
            discord_fake.drop("send_message")
        else:
            discord_fake.fail("send_message", status=503)
        dispatcher = alert_dispatcher(app, bot.runtime.notifier)
        first = await deliver_alerts(dispatcher)
        app.clock.advance(minutes=5)  # type: ignore[attr-defined]
        second = await deliver_alerts(dispatcher)
        # discord.py gave up (a 429 beyond its own retries, a 503, a dropped connection):
        # the outbox tries again after its backoff
        assert (first, second) == (DeliveryReport(retried=1), DeliveryReport(delivered=1))
        sent = [c for c in discord_fake.calls_to("send_message") if not c.failed]
        assert len(sent) == 1
        assert "75% of monthly AI credits used" in sent[0].json["embeds"][0]["title"]
        app.clock.advance(hours=1)  # type: ignore[attr-defined]
        assert await deliver_alerts(dispatcher) == DeliveryReport()
    await assert_ledger_clean(app)


CREATE = "Create a work item titled 'Fix header layout' in the WEB project"


async def proposal(bot: DiscordBot) -> dict[str, Any]:
    await bot.mention(CREATE, author="bob")
    async with asyncio.timeout(10):
        while True:
            posted = [m for m in bot.fake.world.messages.values() if m.get("embeds")]
            if posted:
                return posted[0]
            await bot.fake.wait_for(
                "send_message", count=len(bot.fake.calls_to("send_message")) + 1
            )


async def click(bot: DiscordBot, offer: dict[str, Any]) -> None:
    confirm = offer["components"][0]["components"][0]["custom_id"]
    payload = bot.fake.button_click(confirm, message_id=offer["id"], user="bob")
    await bot.fake.dispatch("INTERACTION_CREATE", payload)


def responses(fake: FakeDiscord) -> list[DiscordCall]:
    return [c for c in fake.calls_to("create_interaction_response") if not c.failed]


@pytest.mark.parametrize("fault", ["500", "429", "dropped"])
async def test_a_confirm_whose_answer_discord_refused_applies_once(
    app: App, discord_fake: FakeDiscord, fault: str
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    async with running(app, discord_fake, workspace, CountingModel()) as bot:
        offer = await proposal(bot)
        charged = await charges(app)
        name = "create_interaction_response"
        if fault == "429":
            discord_fake.rate_limit(name, retry_after=0.2)
        elif fault == "dropped":
            discord_fake.drop(name)
        else:
            discord_fake.fail(name, status=500)
        await click(bot, offer)
        await discord_fake.wait_for(name, count=1 if fault == "dropped" else 2)
        if fault == "dropped":  # nothing reached the person: they click again
            await click(bot, offer)
            await discord_fake.wait_for(name, count=2)
        page = await app.work_items.find(workspace.id, ItemFilter(text="Fix header"), limit=5)
        assert [i.title for i in page.items] == ["Fix header layout"]  # applied once
        [shown] = responses(discord_fake)
        content = str(shown.json)
        if fault == "dropped":  # the second click learns it was applied (privately)
            assert "already applied" in content
        else:  # discord.py retried the callback: the decision replaces the buttons
            assert "Confirmed by" in content
        assert await charges(app) == charged  # deciding costs nothing
    await assert_ledger_clean(app)

"""Slack's Web API failing while an answer streams: 500s, 429s with Retry-After, edits that
never go through, Slack unreachable once the answer is ready, connections dropped over and
over. The answer is shown once (Slack's client retries, a new message replaces an edit that
cannot be made, the recovery job delivers what Slack could not take), charged once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CONFIRM
from bot.app import App
from bot.scheduler import release_expired_holds
from core.work.model import ItemFilter
from core.workspaces import Workspace
from tests.adapters.slack.conftest import SlackBot
from tests.adapters.slack.conftest import slack as slack  # noqa: PLC0414  (the fixture)
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import mention_event
from tests.faults.ledger import assert_ledger_clean, charges
from tests.faults.llm_fakes import CountingModel, slack_bot
from tests.faults.slack_answers import ROOT, is_final, placeholder_ts, process
from tests.faults.tcp_proxy import TcpProxy

COUNT = "How many open items are in the WEB project?"


async def recover(app: App, slack: FakeSlack, api_url: str) -> int:
    """The same process's recovery jobs, once the claim's lease and the hold ran out."""
    app.clock.advance(minutes=6)  # type: ignore[attr-defined]
    client = AsyncWebClient(token="xoxb-test-token", base_url=api_url)

    async def client_for(_team: str) -> AsyncWebClient:
        return client

    answered = await process(app).answer_unfinished(client_for)
    await release_expired_holds(app)
    return answered


def finals(slack: FakeSlack) -> list[SlackCall]:
    return [c for c in slack.calls_to("chat.update") if is_final(c) and not c.failed]


async def answered_once(app: App, slack: FakeSlack) -> None:
    """One answer shown, in the placeholder, one charge, the ledger clean."""
    [answer] = finals(slack)
    assert "open work items in WEB" in answer.args["text"]
    assert answer.args["ts"] == placeholder_ts(slack)
    placeholders = [c for c in slack.calls_to("chat.postMessage") if not c.failed]
    assert len(placeholders) == 1
    assert len(await charges(app)) == 1
    await assert_ledger_clean(app)


@pytest.mark.parametrize(
    ("status", "times"),
    [(500, 1), (500, 2), (503, 2), (429, 1), (429, 2)],
    ids=["one 500", "two 500s", "two 503s", "one 429", "two 429s"],
)
async def test_failed_edits_while_streaming_are_retried_and_the_answer_shown_once(
    app: App, acme: Workspace, slack: FakeSlack, status: int, times: int
) -> None:
    retry_after = 1 if status == 429 else None
    slack.fail("chat.update", status=status, times=times, after=1, retry_after=retry_after)
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200
    assert len([c for c in slack.calls_to("chat.update") if c.failed]) == times
    await answered_once(app, slack)


async def test_edits_failing_for_the_whole_answer_post_it_as_a_new_message_once(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    slack.fail("chat.update", status=500, times=100)  # the placeholder cannot be edited
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        assert await bot.event(mention_event(COUNT, ts=ROOT)) == 200

    placeholder, answer = [c for c in slack.calls_to("chat.postMessage") if not c.failed]
    assert placeholder.args["thread_ts"] == answer.args["thread_ts"] == ROOT
    assert is_final(answer)
    assert "open work items in WEB" in answer.args["text"]
    assert finals(slack) == []
    assert len(await charges(app)) == 1
    await assert_ledger_clean(app)


@asynccontextmanager
async def through_proxy(
    app: App, slack: FakeSlack, acme: Workspace, model: CountingModel
) -> AsyncIterator[tuple[SlackBot, TcpProxy, str]]:
    """The served bot reaching the fake Slack through a proxy the test can cut."""
    api = urlsplit(slack.api_url)
    async with TcpProxy(api.hostname or "127.0.0.1", api.port or 80) as proxy:
        api_url = f"http://127.0.0.1:{proxy.port}{api.path}"
        async with slack_bot(app, slack, acme, model, api_url=api_url) as bot:
            yield bot, proxy, api_url


async def test_an_answer_slack_could_not_take_is_delivered_later_by_the_recovery_job_once(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    model = CountingModel(gated=True)
    async with through_proxy(app, slack, acme, model) as (bot, proxy, api_url):
        asking = asyncio.create_task(bot.event(mention_event(COUNT, ts=ROOT)))
        await model.until(1)  # the placeholder is up, the answer on its way
        await proxy.refuse()  # Slack unreachable from here on
        model.gate.set()
        assert await asking == 200
        assert finals(slack) == []
        assert len(await charges(app)) == 1  # answered: charged, not yet shown
        await proxy.start()  # Slack is back
        assert await recover(app, slack, api_url) == 1
        assert await recover(app, slack, api_url) == 0

    await answered_once(app, slack)


async def test_connections_dropped_while_streaming_show_the_answer_once(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    model = CountingModel(gated=True)
    async with through_proxy(app, slack, acme, model) as (bot, proxy, api_url):
        asking = asyncio.create_task(bot.event(mention_event(COUNT, ts=ROOT)))
        await model.until(1)
        stop = asyncio.Event()

        async def cutting() -> None:
            while not stop.is_set():
                await proxy.cut()  # every open connection dropped, new ones taken
                await asyncio.sleep(0.005)

        cutter = asyncio.create_task(cutting())
        model.gate.set()
        assert await asking == 200
        stop.set()
        await cutter
        await recover(app, slack, api_url)
    shown = [c for c in slack.calls if is_final(c) and not c.failed]
    # one answer in one message: an edit whose response the cut connection lost is sent again
    # by the client, the same edit of the same message (what the person sees does not change)
    assert len({(c.method, c.args.get("ts")) for c in shown}) == 1, shown
    assert len({str(c.args["text"]) for c in shown}) == 1
    assert len(await charges(app)) == 1
    await assert_ledger_clean(app)


CREATE = "Create a work item titled 'Fix header layout' in the WEB project"
REFUSED = re.compile(r":no_entry: action #\d+ was already (applied|applying)\.$")


async def proposal(bot: SlackBot) -> SlackCall:
    assert await bot.event(mention_event(CREATE, user="U0BOB", ts=ROOT)) == 200
    posts = [c for c in bot.slack.calls_to("chat.postMessage") if not c.failed]
    return next(c for c in posts if str(c.args["text"]).startswith("Proposed action"))


async def confirm(bot: SlackBot, post: SlackCall) -> int:
    actions = next(b for b in post.args["blocks"] if b["type"] == "actions")
    value = next(e["value"] for e in actions["elements"] if e["action_id"] == CONFIRM)
    message = {"ts": "1700000500.000100", "text": post.args["text"], "blocks": post.args["blocks"]}
    return await bot.click(CONFIRM, value, user="U0BOB", message=message, message_ts=message["ts"])


async def created(bot: SlackBot) -> list[str]:
    page = await bot.app.work_items.find(
        bot.workspace.id, ItemFilter(text="Fix header layout"), limit=10
    )
    return [i.key for i in page.items]


@pytest.mark.parametrize(("status", "times"), [(500, 2), (429, 1)], ids=["two 500s", "a 429"])
async def test_a_confirm_while_slack_fails_applies_once_and_a_retried_click_is_refused(
    app: App, acme: Workspace, slack: FakeSlack, status: int, times: int
) -> None:
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        post = await proposal(bot)
        charged = await charges(app)
        retry_after = 1 if status == 429 else None
        slack.fail("chat.update", status=status, times=times, retry_after=retry_after)
        clicks = await asyncio.gather(confirm(bot, post), confirm(bot, post))  # a double click
        assert clicks == [200, 200]
        assert await confirm(bot, post) == 200  # Slack's retry of the click, later

        [item] = await created(bot)
        told = [str(c.args["text"]) for c in slack.calls_to("response_url")]
        assert len([c for c in decided(slack) if f"{item} created" in c.args["text"]]) == 1
        assert len([t for t in told if REFUSED.match(t)]) == 2  # applied, or being applied
        assert await charges(app) == charged  # deciding costs nothing
    await assert_ledger_clean(app)


def decided(slack: FakeSlack) -> list[SlackCall]:
    """The edits Slack took of the clicked proposal message."""
    return [
        c
        for c in slack.calls_to("chat.update")
        if not c.failed and c.args["ts"] == "1700000500.000100"
    ]


async def test_a_confirm_while_slack_is_down_applies_once(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        post = await proposal(bot)
        slack.fail("chat.update", status=500, times=50)  # the decision cannot be shown
        assert await asyncio.gather(confirm(bot, post), confirm(bot, post)) == [200, 200]
        assert await confirm(bot, post) == 200
        [_item] = await created(bot)
        told = [str(c.args["text"]) for c in slack.calls_to("response_url")]
        assert decided(slack) == []
        assert len([t for t in told if REFUSED.match(t)]) == 2  # applied, or being applied
        assert "Traceback" not in str(told)
    await assert_ledger_clean(app)


async def test_a_confirm_slack_cannot_show_tells_the_clicker_what_was_done(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        post = await proposal(bot)
        slack.fail("chat.update", status=500, times=50)
        assert await confirm(bot, post) == 200
        [item] = await created(bot)
        told = [str(c.args["text"]) for c in slack.calls_to("response_url")]
        assert any(f"{item} created" in t for t in told), told


async def test_a_stale_click_leaves_the_decided_message_saying_who_confirmed(
    app: App, acme: Workspace, slack: FakeSlack
) -> None:
    async with slack_bot(app, slack, acme, CountingModel()) as bot:
        post = await proposal(bot)
        assert await confirm(bot, post) == 200
        assert await confirm(bot, post) == 200  # Slack's retry, or a stale client
        [item] = await created(bot)
        assert f"{item} created" in decided(slack)[-1].args["text"]

"""Answers stream into Slack: the ack comes first, edits at most once per interval, long
answers split to Slack's limits with the usage footer on the last piece."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.llm.factory import LLMConfig, build_chat_model
from adapters.slack.mrkdwn import SECTION_LIMIT, split, to_mrkdwn
from adapters.slack.streaming import StreamedReply
from bot.app import App
from bot.conversation import Conversations, conversations_with
from core.workspaces import Workspace
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks
from tests.adapters.slack.conftest import SECRET, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import event_body, mention_event, signed_headers


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_progress_edits_come_at_most_once_per_interval(slack: FakeSlack) -> None:
    ticks = Ticks()
    client = AsyncWebClient(token="xoxb-t", base_url=slack.api_url)
    reply = StreamedReply(client=client, channel="C1", thread_ts="1.0", interval=1.0, now=ticks)
    await reply.start()
    for at, delta in [(0.2, "Sprint "), (0.6, "12 is "), (1.1, "half "), (1.5, "done"), (2.3, ".")]:
        ticks.now = at
        await reply.on_text(delta)
        await reply.settled()  # the edit in flight, if one started, has landed
    await reply.finish("Sprint 12 is half done.", footer="summarization · 3 credits · 97 left")

    shown = [c.args["text"] for c in slack.calls_to("chat.update")]
    assert shown == ["Sprint 12 is half ", "Sprint 12 is half done.", "Sprint 12 is half done."]
    final = slack.calls_to("chat.update")[-1].args["blocks"]
    assert final[-1]["elements"][0]["text"] == "summarization · 3 credits · 97 left"


async def test_a_long_answer_is_split_and_only_the_last_piece_has_the_footer(
    slack: FakeSlack,
) -> None:
    client = AsyncWebClient(token="xoxb-t", base_url=slack.api_url)
    reply = StreamedReply(client=client, channel="C1", thread_ts="1.0", interval=0)
    await reply.start()
    text = "\n".join(f"• API-{n} a line of a long retrospective answer" for n in range(400))

    sent = await reply.finish(text, footer="summarization · 5 credits · 90 left")

    pieces = split(to_mrkdwn(text))
    assert len(pieces) == len(sent) >= 3
    assert all(len(p) <= SECTION_LIMIT for p in pieces)
    assert "\n".join(pieces) == to_mrkdwn(text)  # nothing lost at the cuts
    (update,) = slack.calls_to("chat.update")
    later = slack.calls_to("chat.postMessage")[1:]
    assert [c.args["thread_ts"] for c in later] == ["1.0"] * (len(pieces) - 1)
    assert [len(c.args["blocks"]) for c in [update, *later]] == [1] * (len(pieces) - 1) + [2]


def test_markdown_becomes_slack_mrkdwn_and_cannot_ping_everyone() -> None:
    assert to_mrkdwn("## Summary\n**Done**: see [docs](https://x.io/a)") == (
        "*Summary*\n*Done*: see <https://x.io/a|docs>"
    )
    assert to_mrkdwn("<!channel> a < b & c") == "&lt;!channel&gt; a &lt; b &amp; c"


@asynccontextmanager
async def llm_at(app: App, fake: FakeOpenAI) -> AsyncIterator[object]:
    model = build_chat_model(
        LLMConfig("openai-compatible", "local-model", base_url=f"{fake.root}/v1")
    )

    @asynccontextmanager
    async def chat(_workspace: Workspace) -> AsyncIterator[Conversations]:
        yield conversations_with(app, model)

    try:
        yield chat
    finally:
        await model.aclose()


async def test_slack_gets_its_ack_before_the_answer_which_then_streams_in(
    bot: SlackBot,
) -> None:
    gate = asyncio.Event()
    async with FakeOpenAI() as fake, llm_at(bot.app, fake) as chat:
        fake.script(Reply(text=chunks("WEB has 14 open items."), usage=Usage(900, 8), gate=gate))
        async with serve(bot.app, bot.slack, chat=chat, process_before_response=False) as url:
            body = event_body(mention_event("How many open items in WEB?", ts="1700000000.1"))
            headers = signed_headers(body, secret=SECRET)
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{url}/slack/events", data=body, headers=headers) as resp,
            ):
                assert resp.status == 200  # acknowledged while the model still writes
            await bot.slack.wait_for("chat.postMessage")  # the placeholder shows progress
            assert bot.slack.calls_to("chat.update") == []
            gate.set()
            (final_call,) = await bot.answered()
    final = final_call.args
    assert final["text"] == "WEB has 14 open items."
    assert final["blocks"][-1]["elements"][0]["text"] == "simple question · 1 credit · 499 left"

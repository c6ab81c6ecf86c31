"""Answer threads in discord.py's cache: only the ones used last stay; a follow-up in one
dropped from it is answered in its thread, with the conversation's context, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.llm.factory import LLMConfig, build_chat_model
from adapters.storage.channels import SqlChannelSettings
from bot.app import App
from bot.conversation import Conversations, conversations_with
from bot.discord import discord_runtime
from core.workspaces import Platform, Workspace
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_support import READY_WAIT, DiscordBot, linked_workspace
from tests.adapters.llm.fake_servers import FakeOpenAI, Reply, Usage, chunks

FIRST, SECOND, FOLLOW_UP = "How many open items in WEB?", "And in API?", "Which are bugs?"


@asynccontextmanager
async def caching(
    app: App, fake: FakeDiscord, workspace: Workspace, llm: FakeOpenAI, *, threads: int
) -> AsyncIterator[DiscordBot]:
    """The bot answering from `llm`, keeping at most `threads` answer threads cached."""
    model = build_chat_model(LLMConfig("openai-compatible", "local", base_url=f"{llm.root}/v1"))

    @asynccontextmanager
    async def chat(_workspace: Workspace) -> AsyncIterator[Conversations]:
        yield conversations_with(app, model)

    try:
        async with (
            discord_runtime(
                app, chat=chat, guild_ready_timeout=READY_WAIT, answer_threads_cached=threads
            ) as runtime,
            fake.connected(runtime.bot.client),
        ):
            yield DiscordBot(app=app, fake=fake, runtime=runtime, workspace=workspace)
    finally:
        await model.aclose()


def reply(text: str) -> Reply:
    return Reply(text=chunks(text), usage=Usage(900, 12))


def cached_threads(bot: DiscordBot) -> set[str]:
    """The threads discord.py holds for the guild now."""
    guild = bot.runtime.bot.client.get_guild(int(bot.fake.guild.id))
    assert guild is not None
    return {str(thread.id) for thread in guild.threads}


def buckets_of(bot: DiscordBot, channel: str) -> list[str]:
    """discord.py's rate-limit entries for routes on `channel`."""
    return [key for key in bot.runtime.bot.client.http._buckets if key.endswith(f":{channel}")]


def said(request: Any) -> list[tuple[str, str]]:
    """(role, text) of each message the model was sent."""
    return [(m["role"], str(m.get("content") or "")) for m in request.body["messages"]]


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


async def test_a_follow_up_in_a_thread_dropped_from_the_cache_is_answered_in_it_with_context(
    app: App, discord_fake: FakeDiscord, llm: FakeOpenAI
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    general = discord_fake.channel("general").id
    await SqlChannelSettings(app.db).bind_project(workspace.id, Platform.DISCORD, general, "WEB")
    llm.script(reply("Answer one."), reply("Answer two."), reply("Answer three."))
    async with caching(app, discord_fake, workspace, llm, threads=1) as bot:
        first = await bot.mention(FIRST)
        await bot.answered()
        second = await bot.mention(SECOND)
        await bot.answered(2)
        assert cached_threads(bot) == {second["id"]}  # the first thread left the cache

        sent_before = len(discord_fake.calls)
        follow_up = discord_fake.thread_message(first["id"], FOLLOW_UP)  # no mention
        await discord_fake.dispatch("MESSAGE_CREATE", follow_up)
        finals = await bot.answered(3)
        assert cached_threads(bot) == {first["id"]}  # read again, and the newest now

    answer = discord_fake.calls[sent_before:]
    assert {c.params["channel_id"] for c in answer if "channel_id" in c.params} == {first["id"]}
    assert [c.params["channel_id"] for c in answer if c.name == "get_channel"] == [first["id"]]
    assert finals[-1].params["channel_id"] == first["id"]
    assert finals[-1].json["content"].startswith("Answer three.")
    assert len(discord_fake.calls_to("start_thread_with_message")) == 2
    system, *turns = said(llm.requests[2])
    assert "This conversation is about project WEB" in system[1]  # #general's project
    assert turns == [("user", FIRST), ("assistant", "Answer one."), ("user", FOLLOW_UP)]
    assert said(llm.requests[2])[0] == said(llm.requests[0])[0]
    assert await bot.remaining() == 497


async def test_the_cache_holds_only_the_answer_threads_used_last(
    app: App, discord_fake: FakeDiscord, llm: FakeOpenAI
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    people = discord_fake.world.add_thread(
        discord_fake.channel("general"), "lunch", owner=discord_fake.user("bob")
    )
    llm.fallback = reply("An answer.")
    async with caching(app, discord_fake, workspace, llm, threads=3) as bot:
        threads = []
        for n in range(8):
            threads.append((await bot.mention(f"Question {n}?"))["id"])
            await bot.answered(n + 1)
        assert cached_threads(bot) == {*threads[5:], people.id}
        # a follow-up in a cached thread makes it the last to leave
        await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.thread_message(threads[5], FOLLOW_UP)
        )
        await bot.answered(9)
        threads.append((await bot.mention("One more?"))["id"])
        await bot.answered(10)
        assert cached_threads(bot) == {threads[5], threads[7], threads[8], people.id}
    # (the bot stopped: every answer's handler has ended) and discord.py's rate-limit state
    # (post, edit, typing) of a thread whose answer is done is dropped, cached or not: the
    # thread's next message starts it afresh
    assert [len(buckets_of(bot, thread)) for thread in threads] == [0] * 9
    assert discord_fake.calls_to("get_channel") == []  # no follow-up needed a read


async def test_ordinary_messages_cost_no_discord_call(
    app: App, discord_fake: FakeDiscord, llm: FakeOpenAI
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    llm.fallback = reply("An answer.")
    async with caching(app, discord_fake, workspace, llm, threads=1) as bot:
        never_seen = discord_fake.world.add_thread(  # discord.py never heard of it
            discord_fake.channel("general"), "lunch", owner=discord_fake.user("bob")
        )
        assert never_seen.id not in cached_threads(bot)
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("lunch?"))
        await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.thread_message(never_seen, "pizza?", author="bob")
        )
        await bot.mention(FIRST)  # handled after the others
        await bot.answered()
    assert discord_fake.calls_to("get_channel") == []
    assert len(discord_fake.calls_to("start_thread_with_message")) == 1
    assert len(llm.requests) == 1


async def test_a_new_gateway_session_drops_the_bots_old_threads_which_still_answer(
    app: App, discord_fake: FakeDiscord, llm: FakeOpenAI
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    llm.script(reply("Answer one."), reply("Answer two."))
    async with caching(app, discord_fake, workspace, llm, threads=5) as before:
        first = await before.mention(FIRST)
        await before.answered()
        assert first["id"] in cached_threads(before)

    async with caching(app, discord_fake, workspace, llm, threads=5) as after:  # restarted
        assert cached_threads(after) == set()  # the guild brought it; the bot dropped it
        await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.thread_message(first["id"], FOLLOW_UP)
        )
        finals = await after.answered(2)
    assert finals[-1].params["channel_id"] == first["id"]
    assert said(llm.requests[1])[1:] == [
        ("user", FIRST),
        ("assistant", "Answer one."),
        ("user", FOLLOW_UP),
    ]


async def test_a_mention_in_a_thread_discord_py_does_not_hold_is_answered_in_it(
    app: App, discord_fake: FakeDiscord, llm: FakeOpenAI
) -> None:
    workspace = await linked_workspace(app, discord_fake)
    llm.fallback = reply("An answer.")
    async with caching(app, discord_fake, workspace, llm, threads=1) as bot:
        theirs = discord_fake.world.add_thread(  # discord.py never heard of it
            discord_fake.channel("general"), "lunch", owner=discord_fake.user("bob")
        )
        mention = discord_fake.events.message(
            theirs, discord_fake.user("bob"), FIRST, mention_bot=True
        )
        await discord_fake.dispatch("MESSAGE_CREATE", mention)
        [final] = await bot.answered()
        assert theirs.id in cached_threads(bot)
    assert final.params["channel_id"] == theirs.id
    assert [c.params["channel_id"] for c in discord_fake.calls_to("get_channel")] == [theirs.id]
    assert discord_fake.calls_to("start_thread_with_message") == []

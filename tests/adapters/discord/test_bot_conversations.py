"""Mentions, threads, follow-ups, DMs and duplicate deliveries through the real bot."""

from __future__ import annotations

from adapters.discord.surface import PLACEHOLDER
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform
from tests.adapters.discord.test_bot_support import COUNT, DiscordBot, bot

__all__ = ["bot"]

BUGS = "List all high-priority bugs assigned to me"


async def test_a_mention_starts_a_thread_streams_the_answer_and_charges_once(
    bot: DiscordBot,
) -> None:
    before = await bot.remaining()
    event = await bot.mention(COUNT)
    [final] = await bot.answered()

    [start] = bot.fake.calls_to("start_thread_with_message")
    assert start.params["message_id"] == event["id"]
    assert start.json["name"] == COUNT
    placeholder = bot.fake.calls_to("send_message")[0]
    assert placeholder.params["channel_id"] == event["id"]  # the thread has the message's id
    assert placeholder.json["content"] == PLACEHOLDER
    assert placeholder.json["allowed_mentions"] == {"parse": []}
    assert [c.params["channel_id"] for c in bot.fake.calls_to("send_typing")] == [event["id"]]
    text, footer = final.json["content"].rsplit("\n-# ", 1)
    assert "open work items in WEB" in text
    assert footer.startswith("simple question · 1 credit · ")
    assert final.json["allowed_mentions"] == {"parse": []}
    assert await bot.remaining() == before - 1


async def test_a_follow_up_in_the_thread_needs_no_mention(bot: DiscordBot) -> None:
    event = await bot.mention(COUNT)
    await bot.answered()
    await bot.fake.dispatch("MESSAGE_CREATE", bot.fake.thread_message(event["id"], BUGS))
    await bot.answered(2)

    posts = bot.fake.calls_to("send_message")
    assert {p.params["channel_id"] for p in posts} == {event["id"]}
    assert len(bot.fake.calls_to("start_thread_with_message")) == 1
    assert await bot.remaining() == 498


async def test_plain_channel_messages_and_other_bots_are_left_alone(bot: DiscordBot) -> None:
    robot = bot.fake.add_user("robot", bot=True)
    bot.fake.add_member(bot.fake.guild, robot)
    await bot.fake.dispatch("MESSAGE_CREATE", bot.fake.guild_message("lunch?"))
    await bot.fake.dispatch(
        "MESSAGE_CREATE", bot.fake.guild_message(COUNT, author="robot", mention_bot=True)
    )
    await bot.mention(COUNT)  # the last: once it is answered the others were seen
    await bot.answered()
    assert len(bot.fake.calls_to("start_thread_with_message")) == 1
    assert await bot.remaining() == 499


async def test_the_same_message_delivered_twice_is_answered_and_charged_once(
    bot: DiscordBot,
) -> None:
    event = await bot.mention(COUNT)
    await bot.answered()
    await bot.fake.drop_connection(redeliver=1)  # the RESUME sends the mention again
    await bot.fake.gateway.wait_for_resume()
    await bot.fake.dispatch("MESSAGE_CREATE", event)  # and a second copy, as a replica sees it
    marker = await bot.mention("and the API project?")  # handled after the copies
    await bot.answered(2)

    threads = bot.fake.calls_to("start_thread_with_message")
    assert [t.params["message_id"] for t in threads] == [event["id"], marker["id"]]
    assert await bot.remaining() == 498


async def test_a_dm_is_answered_for_the_linked_guild(bot: DiscordBot) -> None:
    dm = bot.fake.dm_message(COUNT, author="bob")
    await bot.fake.dispatch("MESSAGE_CREATE", dm)
    [final] = await bot.answered()

    assert final.params["channel_id"] == dm["channel_id"]
    assert "open work items in WEB" in final.json["content"]
    assert await bot.remaining() == 499


async def test_a_dm_from_someone_in_two_linked_guilds_goes_to_the_one_they_used_last(
    bot: DiscordBot,
) -> None:
    other = bot.fake.add_guild("Other Guild", owner=bot.fake.user("olivia"))
    bot.fake.add_member(other, bot.fake.user("alice"))
    beta = await bot.app.admin.create("beta", plan=Plan.PRO)
    await bot.app.work_items.replace_all(beta.id, demo_dataset(bot.app.clock.now().date()))
    await bot.app.admin.link("beta", Platform.DISCORD, other.id)
    await bot.fake.dispatch("GUILD_CREATE", other.create_payload())

    async def beta_remaining() -> int:
        return (await bot.app.pool.status(beta)).balance.remaining

    # never used either: the first linked guild, and the note says why
    await bot.fake.dispatch("MESSAGE_CREATE", bot.fake.dm_message(COUNT, author="alice"))
    await bot.answered()
    named = bot.fake.calls_to("send_message")[0]  # before the answer's placeholder
    assert named.json["content"] == (
        "Answering for **Fake Guild** (SetGet workspace acme): of the 2 linked Discord "
        "servers we share, the first of them."
    )
    assert (await bot.remaining(), await beta_remaining()) == (499, 500)

    # alice asks in the other guild; her next DM is for that one
    await bot.mention(COUNT, channel=other.channel("general"))
    await bot.answered(2)
    assert await beta_remaining() == 499
    await bot.fake.dispatch("MESSAGE_CREATE", bot.fake.dm_message(COUNT, author="alice"))
    await bot.answered(3)

    notes = [c for c in bot.fake.calls_to("send_message") if "Answering for" in c.json["content"]]
    assert notes[-1].json["content"] == (
        "Answering for **Other Guild** (SetGet workspace beta): of the 2 linked Discord "
        "servers we share, the one you used last."
    )
    assert (await bot.remaining(), await beta_remaining()) == (499, 498)

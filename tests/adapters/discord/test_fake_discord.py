"""The fake Discord against the real discord.py: login, gateway, messages, threads, faults."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import discord
import pytest

from tests.adapters.discord.fake_discord import FakeDiscord, default_intents
from tests.adapters.discord.gateway_wire import IDENTIFY, REQUEST_GUILD_MEMBERS, RESUME
from tests.adapters.discord.waiting import Seen

READY_WAIT = 0.05  # discord.py waits this long after the last GUILD_CREATE before on_ready


def new_client(intents: discord.Intents | None = None) -> discord.Client:
    return discord.Client(intents=intents or default_intents(), guild_ready_timeout=READY_WAIT)


class NoWaitClient(discord.Client):
    """discord.py sleeps 5 s before every IDENTIFY but the first (shard or re-identify)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def record_messages(client: discord.Client, seen: Seen[discord.Message]) -> None:
    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            seen.add(message)


# -- login and the gateway ---------------------------------------------------------------------


async def test_client_connects_and_is_ready_with_the_guild(discord_fake: FakeDiscord) -> None:
    client = new_client()
    ready_with: list[list[str]] = []

    @client.event
    async def on_ready() -> None:
        ready_with.append([guild.name for guild in client.guilds])

    async with discord_fake.connected(client):
        guild = client.get_guild(int(discord_fake.guild.id))
        assert guild is not None
        assert ready_with == [["Fake Guild"]]
        assert [channel.name for channel in guild.text_channels] == ["general"]
        assert client.user is not None
        assert client.user.id == int(discord_fake.bot.id)
        assert client.application_id == int(discord_fake.world.application_id)
        alice = await guild.fetch_member(int(discord_fake.user("alice").id))
        bob = await guild.fetch_member(int(discord_fake.user("bob").id))
        olivia = await guild.fetch_member(int(discord_fake.user("olivia").id))
        assert [m.guild_permissions.manage_guild for m in (alice, bob, olivia)] == [
            True,
            False,
            True,  # the owner
        ]
        assert [role.name for role in alice.roles] == ["@everyone", "Admins"]
        assert client.latency < 1.0  # the first heartbeat was ACKed
        fetched = await client.fetch_guild(guild.id)
        assert fetched.owner_id == int(discord_fake.user("olivia").id)
        roles = {role.name: role.permissions.manage_guild for role in await guild.fetch_roles()}
        assert roles == {"@everyone": False, "setget": False, "Admins": True}
        channel = await client.fetch_channel(int(discord_fake.guild.channel("general").id))
        assert isinstance(channel, discord.TextChannel)

    [identify] = discord_fake.gateway.frames(IDENTIFY)
    assert identify.d["intents"] == default_intents().value
    assert identify.d["token"] == discord_fake.token
    # zlib-stream; zstd-stream where discord.py can import zstandard (or compression.zstd)
    asked = "zstd-stream" if discord.utils._ZSTD_SOURCE else "zlib-stream"
    assert [c.compress for c in discord_fake.gateway.connections] == [asked]
    assert [call.name for call in discord_fake.calls[:2]] == ["get_me", "application_info"]
    assert {call.token for call in discord_fake.calls} == {discord_fake.token}


async def test_a_rejected_token_fails_the_login(discord_fake: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with discord_fake.connected(new_client(), token="wrong"):
            pass
    assert [call.name for call in discord_fake.calls] == ["get_me"]


async def test_privileged_intents_not_enabled_are_refused(discord_fake: FakeDiscord) -> None:
    discord_fake.gateway.privileged_intents = 0  # message content not enabled in the portal

    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with discord_fake.connected(new_client()):
            pass


async def test_without_message_content_only_mentions_and_dms_have_text(
    discord_fake: FakeDiscord,
) -> None:
    intents = default_intents()
    intents.message_content = False
    client = new_client(intents)
    seen: Seen[discord.Message] = Seen()
    record_messages(client, seen)

    async with discord_fake.connected(client):
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("plain"))
        await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.guild_message("asked", mention_bot=True)
        )
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.dm_message("direct"))
        messages = await seen.at_least(3)

    assert [m.content.split()[-1] if m.content else "" for m in messages] == [
        "",
        "asked",
        "direct",
    ]


async def test_with_the_members_intent_the_guild_is_chunked_at_start(
    discord_fake: FakeDiscord,
) -> None:
    intents = default_intents()
    intents.members = True

    async with discord_fake.connected(new_client(intents)) as client:
        guild = client.get_guild(int(discord_fake.guild.id))
        assert guild is not None
        names = sorted(member.name for member in guild.members)
        alice = guild.get_member(int(discord_fake.user("alice").id))
        queried = await guild.query_members("bo")

    assert names == ["alice", "bob", "olivia", "setget"]
    assert alice is not None
    assert alice.guild_permissions.manage_guild
    assert [member.name for member in queried] == ["bob"]
    [request] = discord_fake.gateway.frames(REQUEST_GUILD_MEMBERS)
    assert request.d["query"] == "bo"


async def test_an_auto_sharded_client_asks_for_the_gateway_and_gets_its_guilds(
    discord_fake: FakeDiscord,
) -> None:
    second = discord_fake.add_guild("Second Guild", owner=discord_fake.user("olivia"))
    discord_fake.add_member(second, discord_fake.user("alice"))
    discord_fake.gateway.shard_count = 2

    class Sharded(discord.AutoShardedClient):
        async def before_identify_hook(
            self, shard_id: int | None, *, initial: bool = False
        ) -> None:
            return None

    client = Sharded(intents=default_intents(), guild_ready_timeout=READY_WAIT)
    seen: Seen[discord.Message] = Seen()
    record_messages(client, seen)
    async with discord_fake.connected(client):
        shard_of = {guild.name: guild.shard_id for guild in client.guilds}
        message = discord_fake.guild_message("hi", channel=second.channel("general"))
        await discord_fake.dispatch("MESSAGE_CREATE", message)
        [received] = await seen.at_least(1)

    assert sorted(shard_of.values()) == [0, 1]
    assert received.guild is not None
    assert received.guild.name == "Second Guild"
    assert len(discord_fake.calls_to("get_bot_gateway")) == 1
    shards = [frame.d["shard"] for frame in discord_fake.gateway.frames(IDENTIFY)]
    assert sorted(shards) == [[0, 2], [1, 2]]


# -- resume and replay -------------------------------------------------------------------------


async def test_after_an_outage_the_client_resumes_and_gets_missed_events_once(
    discord_fake: FakeDiscord,
) -> None:
    client = new_client()
    seen: Seen[discord.Message] = Seen()
    record_messages(client, seen)
    resumed: Seen[None] = Seen()

    @client.event
    async def on_resumed() -> None:
        resumed.add(None)

    async with discord_fake.connected(client):
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("before"))
        await seen.at_least(1)
        async with discord_fake.outage():
            await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("missed"))
        await resumed.at_least(1)
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("after"))
        await seen.at_least(3)

    assert [message.content for message in seen.items] == ["before", "missed", "after"]
    assert len(discord_fake.gateway.frames(IDENTIFY)) == 1
    [resume] = discord_fake.gateway.frames(RESUME)
    assert resume.d["session_id"] == discord_fake.gateway.sessions[0].id
    assert resume.connection == 2


async def test_a_redelivering_resume_sends_a_seen_event_again(discord_fake: FakeDiscord) -> None:
    client = new_client()
    seen: Seen[discord.Message] = Seen()
    record_messages(client, seen)

    async with discord_fake.connected(client):
        event = discord_fake.guild_message("only once, please", mention_bot=True)
        await discord_fake.dispatch("MESSAGE_CREATE", event)
        await seen.at_least(1)
        await discord_fake.drop_connection(redeliver=1)
        await seen.at_least(2)

    assert [message.id for message in seen.items] == [int(event["id"])] * 2
    assert len(discord_fake.gateway.frames(IDENTIFY)) == 1


async def test_an_abrupt_drop_is_resumed(discord_fake: FakeDiscord) -> None:
    client = new_client()
    seen: Seen[discord.Message] = Seen()
    record_messages(client, seen)

    async with discord_fake.connected(client):
        await discord_fake.drop_connection(abrupt=True)
        await discord_fake.gateway.wait_for_resume()
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.guild_message("still here"))
        [message] = await seen.at_least(1)

    assert message.content == "still here"
    assert len(discord_fake.gateway.frames(IDENTIFY)) == 1


async def test_reconnect_and_invalid_session_are_followed(discord_fake: FakeDiscord) -> None:
    client = NoWaitClient(intents=default_intents(), guild_ready_timeout=READY_WAIT)
    readies: Seen[None] = Seen()

    @client.event
    async def on_ready() -> None:
        readies.add(None)

    async with discord_fake.connected(client):
        await discord_fake.gateway.request_reconnect()
        await discord_fake.gateway.wait_for_resume()
        await discord_fake.gateway.invalidate_sessions(resumable=False)
        await readies.at_least(2)

    assert len(discord_fake.gateway.frames(IDENTIFY)) == 2
    assert len(discord_fake.gateway.frames(RESUME)) == 1


# -- messages, threads, DMs --------------------------------------------------------------------


async def test_a_mention_is_answered_in_a_new_thread_and_edited(
    discord_fake: FakeDiscord,
) -> None:
    client = new_client()
    seen: Seen[discord.Message] = Seen()
    answered: Seen[discord.Message] = Seen()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author == client.user:
            return
        seen.add(message)
        if isinstance(message.channel, discord.Thread):
            return
        try:
            thread = await message.create_thread(name="SetGet answer")
            none = discord.AllowedMentions.none()
            reply = await thread.send("thinking… @everyone", allowed_mentions=none)
            answered.add(await reply.edit(content="The answer."))
        finally:
            answered.add(message)

    general = discord_fake.guild.channel("general")
    async with discord_fake.connected(client):
        event = discord_fake.guild_message("what is our balance?", mention_bot=True)
        await discord_fake.dispatch("MESSAGE_CREATE", event)
        edited, _ = await answered.at_least(2)
        thread = client.get_channel(int(event["id"]))
        await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.thread_message(event["id"], "and last month?")
        )
        _, followup = await seen.at_least(2)

    [start] = discord_fake.calls_to("start_thread_with_message")
    assert start.params == {"channel_id": general.id, "message_id": event["id"]}
    assert start.json["name"] == "SetGet answer"
    [send] = discord_fake.calls_to("send_message")
    assert send.params["channel_id"] == event["id"]  # a thread has its starter message's id
    assert send.json["allowed_mentions"] == {"parse": []}
    [edit] = discord_fake.calls_to("edit_message")
    assert edit.json["content"] == "The answer."
    assert edited.content == "The answer."
    stored = discord_fake.message(edit.params["message_id"])
    assert stored["content"] == "The answer."
    assert stored["mention_everyone"] is False
    assert isinstance(thread, discord.Thread)  # THREAD_CREATE came back on the gateway
    assert thread.parent_id == int(general.id)
    assert thread.owner_id == int(discord_fake.bot.id)
    mention = seen.items[0]
    assert isinstance(mention.author, discord.Member)  # MESSAGE_CREATE carries the member
    assert mention.author.guild_permissions.manage_guild  # alice is an admin
    assert isinstance(followup.channel, discord.Thread)
    assert followup.channel.id == thread.id
    assert followup.content == "and last month?"


async def test_a_dm_is_answered_with_typing_and_the_bot_can_dm_first(
    discord_fake: FakeDiscord,
) -> None:
    client = new_client()
    answered: Seen[discord.Message] = Seen()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author == client.user:
            return
        async with message.channel.typing():
            answered.add(await message.channel.send(f"you said {message.content}"))

    async with discord_fake.connected(client):
        event = discord_fake.dm_message("hello")
        await discord_fake.dispatch("MESSAGE_CREATE", event)
        [reply] = await answered.at_least(1)
        bob = await client.fetch_user(int(discord_fake.user("bob").id))
        alert = await bob.send("Credits are running low")
        await alert.delete()

    assert isinstance(reply.channel, discord.DMChannel)
    assert reply.channel.id == int(event["channel_id"])
    assert [c.params["channel_id"] for c in discord_fake.calls_to("send_typing")] == [
        event["channel_id"]
    ]
    [opened] = discord_fake.calls_to("start_private_message")
    assert opened.json == {"recipient_id": int(discord_fake.user("bob").id)}  # an int
    assert alert.channel.id == int(discord_fake.world.dm_channel(discord_fake.user("bob")).id)
    assert [c.json["content"] for c in discord_fake.calls_to("send_message")] == [
        "you said hello",
        "Credits are running low",
    ]
    [deleted] = discord_fake.calls_to("delete_message")
    assert deleted.params["message_id"] == str(alert.id)
    assert str(alert.id) not in discord_fake.world.messages


async def test_two_clients_of_one_bot_both_get_each_event(discord_fake: FakeDiscord) -> None:
    first, second = new_client(), new_client()
    seen: Seen[tuple[str, str]] = Seen()
    for name, client in (("first", first), ("second", second)):

        def record(name: str, client: discord.Client) -> None:
            @client.event
            async def on_message(message: discord.Message) -> None:
                if message.author != client.user:
                    seen.add((name, message.content))

        record(name, client)

    async with discord_fake.connected(first), discord_fake.connected(second):
        delivered = await discord_fake.dispatch(
            "MESSAGE_CREATE", discord_fake.guild_message("hi", mention_bot=True)
        )
        await seen.at_least(2)

    assert delivered == 2
    assert sorted(name for name, _ in seen.items) == ["first", "second"]


# -- REST faults -------------------------------------------------------------------------------


async def test_a_429_is_retried_and_other_faults_raise(discord_fake: FakeDiscord) -> None:
    client = new_client()
    async with discord_fake.connected(client):
        channel = client.get_channel(int(discord_fake.guild.channel("general").id))
        assert isinstance(channel, discord.TextChannel)

        discord_fake.rate_limit("send_message", retry_after=0.0)
        chart = discord.File(io.BytesIO(b"png bytes"), filename="usage.png")
        sent = await channel.send("after a rate limit", file=chart)
        downloaded = await sent.attachments[0].read()
        discord_fake.rate_limit("send_message", via=False)
        with pytest.raises(discord.HTTPException) as banned:
            await channel.send("banned")
        discord_fake.fail("send_message", status=503)
        with pytest.raises(discord.DiscordServerError):
            await channel.send("unavailable")
        discord_fake.drop("send_message")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await channel.send("dropped")
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        with pytest.raises(discord.NotFound):
            await client.http.request(discord.http.Route("GET", "/not/a/route"))

    assert sent.content == "after a rate limit"
    assert downloaded == b"png bytes"  # the file was sent again on the retry
    assert banned.value.status == 429
    assert too_long.value.status == 400
    assert too_long.value.code == 50035
    attempts: list[Any] = [
        (c.json["content"][:6], c.failed) for c in discord_fake.calls_to("send_message")
    ]
    assert attempts == [
        ("after ", True),
        ("after ", False),
        ("banned", True),
        ("unavai", True),
        ("droppe", True),
        ("xxxxxx", False),
    ]
    assert discord_fake.calls[-1].name == "unknown"
    assert discord_fake.calls[-1].path == "/api/v10/not/a/route"

"""A local fake Discord on 127.0.0.1 that real discord.py 2.7.1 objects talk to: REST and gateway.

    async with FakeDiscord() as fake, pointed_at(fake):    # or the `discord_fake` fixture
        alice = fake.add_user("alice")
        fake.add_guild("Acme", owner=alice)
        client = discord.Client(intents=default_intents(), guild_ready_timeout=0.05)
        async with fake.connected(client):                 # login, gateway, on_ready
            await fake.dispatch("MESSAGE_CREATE", fake.guild_message("hi", mention_bot=True))
            [call] = await fake.wait_for("send_message")
            assert call.json["allowed_mentions"] == {"parse": []}

Pointing discord.py here: REST goes to `Route.BASE` (= `fake.api_base`,
`http://127.0.0.1:PORT/api/v10`, used by the webhook and interaction adapter too); a plain
`Client` connects to the class attribute `DiscordWebSocket.DEFAULT_GATEWAY` (= `fake.gateway_url`)
and never asks REST, while an `AutoShardedClient` without `shard_count` takes the URL from
GET /gateway/bot. `pointed_at(fake)` sets both attributes and puts them back.

REST: every call is recorded (`calls`, `calls_to(name)`, `wait_for(name)`; names in
`route_names()`); faults: `fail`, `rate_limit`, `drop` (see rest_calls.py for what discord.py
does with each). The world (users, guilds, roles, channels, messages) is `fake.world`;
payloads of what people do come from `guild_message`, `dm_message`, `thread_message`,
`slash_command`, `button_click`, `modal_submit`. The gateway (`fake.gateway`) numbers events
per session and replays missed ones on RESUME: `dispatch`, `drop_connection`, `outage`.

discord.py facts that tests must mind: on_ready comes `guild_ready_timeout` (2 s by default)
after the last GUILD_CREATE, so pass a small one; every IDENTIFY but the first (a second
shard, a re-identify after INVALID_SESSION) sleeps 5 s in `before_identify_hook` unless a
subclass overrides it; importing discord warns that audioop is deprecated (handled below).
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import yarl
from aiohttp import web

from tests.adapters.discord.discord_events import EventBuilder, FakeInteraction
from tests.adapters.discord.discord_models import FakeChannel, FakeGuild, FakeRole, FakeUser
from tests.adapters.discord.discord_world import DiscordWorld
from tests.adapters.discord.fake_gateway import FakeGateway
from tests.adapters.discord.rest_account import AccountRoutes
from tests.adapters.discord.rest_calls import RestCalls
from tests.adapters.discord.rest_interactions import InteractionRoutes
from tests.adapters.discord.rest_messages import MessageOps, MessageRoutes
from tests.local_server import LocalServer, Served

with warnings.catch_warnings():
    # discord.py 2.7.1 imports audioop (for voice), deprecated since Python 3.11: pytest's
    # filterwarnings=error would make the import itself fail
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

DEFAULT_TOKEN = "fake-bot-token"


def default_intents() -> discord.Intents:
    """What the SetGet bot asks for: guilds, guild and DM messages, message content."""
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.dm_messages = True
    intents.message_content = True
    return intents


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connections to `fake`; restored afterwards."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


class FakeDiscord(Served):
    """The fake Discord; `async with FakeDiscord() as fake:` starts and stops it."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, bot_name: str = "setget") -> None:
        self.token = token  # the bot token REST and IDENTIFY accept
        self.world = DiscordWorld(bot_name=bot_name)
        self.events = EventBuilder(self.world)
        self.gateway = FakeGateway(self.world, token_ok=lambda given: given == self.token)
        self.uploads: dict[str, bytes] = {}  # attachment id -> bytes, served at their url
        self.root = ""
        self._server = LocalServer()
        ops = MessageOps(self)
        specs = [
            *AccountRoutes(self).routes(),
            *MessageRoutes(self, ops).routes(),
            *InteractionRoutes(self, ops).routes(),
        ]
        self.rest = RestCalls(specs, token_ok=lambda given: given == self.token)
        # the recorded calls and the faults, at the top for brevity (see RestCalls)
        self.calls = self.rest.calls
        self.calls_to = self.rest.calls_to
        self.wait_for = self.rest.wait_for
        self.fail = self.rest.fail
        self.rate_limit = self.rest.rate_limit
        self.drop = self.rest.drop
        self.answer = self.rest.answer
        self.route_names = self.rest.route_names

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """For `discord.http.Route.BASE`: `http://127.0.0.1:PORT/api/v10`."""
        return f"{self.root}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.rest.add_routes(app, "/api/v10")
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        self.root = await self._server.start(app)
        self.gateway.url = f"ws{self.root.removeprefix('http')}/gateway"

    async def close(self) -> None:
        await self.gateway.close()
        await self._server.stop()

    @contextlib.asynccontextmanager
    async def connected(
        self,
        client: discord.Client,
        *,
        token: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> AsyncIterator[discord.Client]:
        """Log `client` in, connect it and wait for on_ready; close it (and its tasks) after.

        A failed login or gateway refusal raises what discord.py raised (LoginFailure,
        ConnectionClosed, PrivilegedIntentsRequired, ...).
        """
        runner: asyncio.Task[None] | None = None
        yielded = body_failed = False
        try:
            await client.login(token or self.token)
            runner = asyncio.create_task(client.connect(), name="fake-discord-client")
            ready = asyncio.create_task(client.wait_until_ready())
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                ready.cancel()
                await asyncio.gather(ready, return_exceptions=True)
            if runner.done():
                runner.result()  # raises what stopped the client
                raise AssertionError("the client stopped before it was ready")
            yielded = True
            try:
                yield client
            except BaseException:
                body_failed = True
                raise
        finally:
            await client.close()
            if runner is not None:
                [failure] = await asyncio.gather(runner, return_exceptions=True)
                if yielded and not body_failed and isinstance(failure, Exception):
                    raise failure  # the client died during the test

    # -- the world -----------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False) -> FakeUser:
        return self.world.add_user(username, bot=bot)

    def add_guild(
        self, name: str, *, owner: FakeUser, channels: tuple[str, ...] = ("general",)
    ) -> FakeGuild:
        return self.world.add_guild(name, owner=owner, channels=channels)

    def add_member(
        self, guild: FakeGuild, user: FakeUser, *, roles: tuple[FakeRole, ...] = ()
    ) -> None:
        self.world.add_member(guild, user, roles=roles)

    @property
    def bot(self) -> FakeUser:
        return self.world.bot

    @property
    def guild(self) -> FakeGuild:
        """The first guild (most tests have one)."""
        if not self.world.guilds:
            raise AssertionError("the fake has no guild: add_guild() first")
        return next(iter(self.world.guilds.values()))

    def user(self, name_or_id: str) -> FakeUser:
        return self.world.user(name_or_id)

    def channel(self, name_or_id: str) -> FakeChannel:
        """A channel by id, or a text channel or thread of any guild by name."""
        if name_or_id in self.world.channels:
            return self.world.channels[name_or_id]
        for channel in self.world.channels.values():
            if channel.name == name_or_id:
                return channel
        raise KeyError(f"no channel {name_or_id!r}")

    def message(self, message_id: str) -> dict[str, Any]:
        """A message as the fake holds it now (after edits)."""
        return self.world.messages[message_id]

    # -- what people do ------------------------------------------------------------------------

    def guild_message(
        self,
        content: str,
        *,
        author: str = "alice",
        channel: str | FakeChannel | None = None,
        mention_bot: bool = False,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload in a guild channel (default: the first guild's first one)."""
        where = self._channel(channel)
        return self.events.message(
            where, self.user(author), content, mention_bot=mention_bot, reply_to=reply_to
        )

    def thread_message(
        self, thread: str | FakeChannel, content: str, *, author: str = "alice"
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload in a thread (one the bot started, or `world.add_thread`)."""
        where = self._channel(thread)
        assert where.is_thread, f"{where.name!r} is not a thread"
        return self.events.message(where, self.user(author), content)

    def dm_message(self, content: str, *, author: str = "alice") -> dict[str, Any]:
        """A MESSAGE_CREATE payload in the bot's DM with `author`."""
        user = self.user(author)
        return self.events.message(self.world.dm_channel(user), user, content)

    def slash_command(
        self,
        path: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: str = "alice",
        channel: str | FakeChannel | None = None,
        dm: bool = False,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for `/path`, e.g. `slash_command("setget balance")`."""
        who = self.user(user)
        where = self.world.dm_channel(who) if dm else self._channel(channel)
        return self.events.slash_command(path, user=who, channel=where, options=options)

    def button_click(
        self,
        custom_id: str,
        *,
        message_id: str | None = None,
        user: str = "alice",
        channel: str | FakeChannel | None = None,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a click on `custom_id` of `message_id`."""
        where = self._channel(
            channel if message_id is None else self.message(message_id)["channel_id"]
        )
        return self.events.component(
            custom_id,
            user=self.user(user),
            channel=where,
            message_id=message_id,
            component_type=3 if values is not None else 2,
            values=values,
        )

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user: str = "alice",
        channel: str | FakeChannel | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a submitted modal: text input id -> value."""
        who, where = self.user(user), self._channel(channel)
        return self.events.modal_submit(custom_id, values, user=who, channel=where)

    def interaction(self, which: Mapping[str, Any] | str) -> FakeInteraction:
        """The fake's record of an interaction (`responses`, `original_id`, `followup_ids`),
        by its payload, its id or its token."""
        key = str(which["id"]) if isinstance(which, Mapping) else which
        found = self.events.interactions.get(key) or self.events.by_token(key)
        if found is None:
            raise KeyError(f"no interaction {key!r}")
        return found

    def original_message(self, which: Mapping[str, Any] | str) -> dict[str, Any]:
        """The message an interaction's answer is (what `.../messages/@original` is) now."""
        original = self.interaction(which).original_id
        if original is None:
            raise AssertionError("the interaction has no answer message (yet)")
        return self.message(original)

    def _channel(self, channel: str | FakeChannel | None) -> FakeChannel:
        if isinstance(channel, FakeChannel):
            return channel
        if channel is None:
            return next(c for c in self.guild.channels.values() if not c.is_thread)
        return self.channel(channel)

    # -- the gateway ---------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a gateway event (MESSAGE_CREATE, INTERACTION_CREATE, ...) to connected clients."""
        return await self.gateway.dispatch(event, data)

    async def drop_connection(
        self, *, code: int = 4000, redeliver: int = 0, abrupt: bool = False
    ) -> None:
        """Close every gateway websocket; discord.py reconnects and RESUMEs at once.

        `redeliver=N` makes that RESUME send again the last N events the client already had
        (at-least-once delivery); `abrupt` ends the TCP connection without a close frame.
        """
        await self.gateway.drop_connection(code=code, redeliver=redeliver, abrupt=abrupt)

    def outage(self) -> contextlib.AbstractAsyncContextManager[None]:
        """`async with fake.outage():` the gateway is down (clients wait to reconnect); what is
        dispatched meanwhile is replayed by the RESUME that follows."""
        return self.gateway.outage()

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.uploads.get(request.match_info["attachment_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

"""The fake Discord gateway: the websocket protocol discord.py 2.7.1 speaks, on 127.0.0.1.

HELLO -> IDENTIFY -> READY + one GUILD_CREATE per guild of the shard; heartbeats are ACKed;
RESUME replays what the session missed (then RESUMED); REQUEST_GUILD_MEMBERS gets one
GUILD_MEMBERS_CHUNK. A session lives across connections: `dispatch` numbers each event per
session, sends it when the session is connected and keeps it for a RESUME otherwise.
Transport compression follows the `compress` query: `zlib-stream` (one zlib stream per
connection, every frame ends with a Z_SYNC_FLUSH), `zstd-stream` (asked by discord.py when
`zstandard` or `compression.zstd` is importable) or none (text frames).

Intents are honoured: events the session's intents exclude are not sent, and without
MESSAGE_CONTENT a guild message that neither mentions the bot nor is the bot's own arrives with
empty `content`, `embeds`, `attachments` and `components`, like on Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.adapters.discord.discord_world import DiscordWorld
from tests.adapters.discord.gateway_wire import (
    ALL_INTENTS,
    GUILD_MEMBERS,
    GUILD_PRESENCES,
    HEARTBEAT,
    HEARTBEAT_ACK,
    HELLO,
    IDENTIFY,
    INVALID_SESSION,
    MESSAGE_CONTENT,
    NOT_REPLAYED,
    PRESENCE_UPDATE,
    PRIVILEGED_INTENTS,
    RECONNECT,
    REQUEST_GUILD_MEMBERS,
    RESUME,
    VOICE_STATE_UPDATE,
    Dispatched,
    GatewayConnection,
    GatewayFrame,
    guild_id_of,
    visible,
)
from tests.adapters.discord.waiting import Signal


@dataclass
class GatewaySession:
    """A gateway session (what RESUME resumes): its sequence, its events, its connection."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    seq: int = 0
    log: list[Dispatched] = field(default_factory=list)
    connection: GatewayConnection | None = None
    redeliver: int = 0  # already-seen events the next RESUME sends again

    def routes(self, guild_id: str | None) -> bool:
        """Whether events of `guild_id` (None: DMs, which go to shard 0) go to this session."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (int(guild_id) >> 22) % count == shard_id


class FakeGateway:
    def __init__(self, world: DiscordWorld, *, token_ok: Callable[[str], bool]) -> None:
        self.world = world
        self.url = ""  # set by FakeDiscord.start: ws://127.0.0.1:PORT/gateway
        self.heartbeat_interval_ms = 41_250
        self.ack_heartbeats = True
        self.shard_count = 1  # what GET /gateway/bot recommends
        self.privileged_intents = PRIVILEGED_INTENTS  # enabled in the "developer portal"
        self.received: list[GatewayFrame] = []
        self.sessions: list[GatewaySession] = []
        self.connections: list[GatewayConnection] = []  # every one, in connection order
        self.resumed = 0  # successful RESUMEs
        self._token_ok = token_ok
        self._signal = Signal()
        self._open = asyncio.Event()
        self._open.set()

    # -- test API ------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send `event` to every session it is for; returns how many (sent or kept for RESUME)."""
        if not self.sessions:
            raise AssertionError(f"no client has identified: nobody would receive {event}")
        return await self.broadcast(event, data)

    async def broadcast(self, event: str, data: dict[str, Any]) -> int:
        """`dispatch` that does not mind when no client is there (the fake's own echoes)."""
        delivered = 0
        for session in list(self.sessions):
            if not session.routes(guild_id_of(event, data)):
                continue
            seen_as = visible(session.intents, self.world.bot.id, event, data)
            if seen_as is not None:
                await self._emit(session, event, seen_as)
                delivered += 1
        return delivered

    async def drop_connection(
        self, *, code: int = 4000, redeliver: int = 0, abrupt: bool = False
    ) -> None:
        """Close every websocket (discord.py then RESUMEs).

        `redeliver`: the RESUME also sends again the last N events the client had already had
        (at-least-once delivery, for duplicate tests). `abrupt`: no close frame, the TCP
        connection just ends.
        """
        for connection in [c for c in self.connections if not c.ws.closed]:
            if connection.session is not None:
                connection.session.redeliver = redeliver
                connection.session.connection = None
            if abrupt:
                if connection.transport is not None:
                    connection.transport.abort()
            else:
                await connection.ws.close(code=code, message=b"fake: dropped")

    @contextlib.asynccontextmanager
    async def outage(self, *, code: int = 4000) -> AsyncIterator[None]:
        """Drop every connection and hold reconnecting clients until the block ends.

        What is dispatched inside the block is kept and replayed on the RESUME.
        """
        self._open.clear()
        try:
            await self.drop_connection(code=code)
            yield
        finally:
            self._open.set()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connection (discord.py closes and RESUMEs)."""
        for connection in [c for c in self.connections if not c.ws.closed]:
            await connection.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; a non-resumable one forgets the sessions."""
        for connection in [c for c in self.connections if not c.ws.closed]:
            await connection.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})
        if not resumable:
            self.sessions.clear()

    def frames(self, op: int) -> list[GatewayFrame]:
        return [frame for frame in self.received if frame.op == op]

    async def wait_for_op(
        self,
        op: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> list[GatewayFrame]:
        """The frames with `op` once clients have sent `count` of them."""
        await self._signal.wait_until(
            lambda: len(self.frames(op)) >= count,
            timeout=timeout,
            describe=lambda: (
                f"{count} gateway frame(s) with op {op}; got "
                f"{[frame.op for frame in self.received]}"
            ),
        )
        return self.frames(op)

    async def wait_for_resume(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> None:
        """Until `count` RESUMEs have been answered (replay and RESUMED sent)."""
        await self._signal.wait_until(
            lambda: self.resumed >= count,
            timeout=timeout,
            describe=lambda: f"{count} resume(s); got {self.resumed}",
        )

    async def close(self) -> None:
        self._open.set()
        for connection in self.connections:
            if not connection.ws.closed:
                await connection.ws.close(code=1001, message=b"fake: shutting down")

    # -- the websocket -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        await self._open.wait()
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = GatewayConnection(len(self.connections) + 1, request, ws)
        self.connections.append(connection)
        if request.query.get("v") != "10":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        interval = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake"]}
        await connection.send({"op": HELLO, "d": interval, "s": None, "t": None})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    await ws.close(code=4002, message=b"Decode error")
                    break
                await self._receive(connection, json.loads(message.data))
        finally:
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
        return ws

    async def _receive(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data: Any = frame.get("d")
        self.received.append(GatewayFrame(int(op or 0), data, connection.number))
        self._signal.notify()
        if op == HEARTBEAT:
            if self.ack_heartbeats:
                await connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            await self._resume(connection, data)
        elif connection.session is None:
            await connection.ws.close(code=4003, message=b"Not authenticated")
        elif op == REQUEST_GUILD_MEMBERS:
            await self._members_chunk(connection, data)
        elif op not in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            await connection.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        failure = self._refusal(connection, data)
        if failure is not None:
            await connection.ws.close(code=failure[0], message=failure[1].encode())
            return
        shard = (int(data["shard"][0]), int(data["shard"][1])) if data.get("shard") else None
        session = GatewaySession(secrets.token_hex(16), int(data["intents"]), shard)
        session.connection = connection
        connection.session = session
        self.sessions.append(session)
        guilds = [g for g in self.world.guilds.values() if session.routes(g.id)]
        # READY and every GUILD_CREATE go out without yielding: discord.py reads them in one
        # go, so its on_ready (after guild_ready_timeout) already knows every guild
        async with connection.lock:
            await self._emit(session, "READY", self._ready(session, guilds), locked=True)
            for guild in guilds:
                created = visible(
                    session.intents, self.world.bot.id, "GUILD_CREATE", guild.create_payload()
                )
                await self._emit(session, "GUILD_CREATE", created, locked=True)

    def _refusal(
        self, connection: GatewayConnection, data: dict[str, Any]
    ) -> tuple[int, str] | None:
        if connection.session is not None:
            return 4005, "Already authenticated"
        if not self._token_ok(str(data.get("token", ""))):
            return 4004, "Authentication failed"
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~ALL_INTENTS:
            return 4013, "Invalid intent(s)"
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            return 4014, "Disallowed intent(s)"
        shard = data.get("shard")
        if shard is not None and not 0 <= shard[0] < shard[1]:
            return 4010, "Invalid shard"
        return None

    def application_flags(self) -> int:
        """The GATEWAY_* application flags of the privileged intents that are enabled."""
        flags = 0
        for intent, flag in ((GUILD_PRESENCES, 12), (GUILD_MEMBERS, 14), (MESSAGE_CONTENT, 18)):
            if self.privileged_intents & intent:
                flags |= 1 << flag
        return flags

    def _ready(self, session: GatewaySession, guilds: list[Any]) -> dict[str, Any]:
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.world.bot.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": guild.id, "unavailable": True} for guild in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": self.world.application_id, "flags": self.application_flags()},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        return ready

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        busy = session is not None and session.connection not in (None, connection)
        if session is None or busy or not self._token_ok(str(data.get("token", ""))):
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        seen = int(data.get("seq") or 0)
        replayable = [event for event in session.log if event.t not in NOT_REPLAYED]
        already = [e for e in replayable if e.seq <= seen]
        again = already[len(already) - session.redeliver :] if session.redeliver else []
        missed = [e for e in replayable if e.seq > seen]
        session.redeliver = 0
        session.connection = connection
        connection.session = session
        async with connection.lock:  # nothing dispatched meanwhile overtakes the replay
            for event in again + missed:
                await connection.write(event.frame())
            await self._emit(session, "RESUMED", {"_trace": ["fake-discord"]}, locked=True)
        self.resumed += 1
        self._signal.notify()

    async def _members_chunk(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        guild = self.world.guilds[str(data["guild_id"])]
        wanted = {str(user_id) for user_id in data.get("user_ids") or []}
        members = [
            m.payload()
            for m in guild.members.values()
            if not wanted or m.user.id in wanted
            if m.user.username.startswith(str(data.get("query") or ""))
        ]
        chunk = {
            "guild_id": guild.id,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        assert connection.session is not None
        await self._emit(connection.session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _emit(
        self, session: GatewaySession, event: str, data: Any, *, locked: bool = False
    ) -> None:
        session.seq += 1
        entry = Dispatched(session.seq, event, data)
        session.log.append(entry)
        connection = session.connection
        if connection is None:
            return
        if locked:
            await connection.write(entry.frame())
        else:
            await connection.send(entry.frame())

"""The gateway's wire: opcodes, intents, one websocket's framing and compression, and which
events a session's intents let through.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.adapters.discord.fake_gateway import GatewaySession

# opcodes
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11
# intents
GUILDS, GUILD_MEMBERS, GUILD_PRESENCES = 1 << 0, 1 << 1, 1 << 8
GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
ALL_INTENTS = (1 << 26) - 1
_GUILDS_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_UPDATE",
        "GUILD_DELETE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "THREAD_CREATE",
        "THREAD_UPDATE",
        "THREAD_DELETE",
        "THREAD_LIST_SYNC",
        "THREAD_MEMBER_UPDATE",
    }
)
_MEMBER_EVENTS = frozenset({"GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"})
_MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)
NOT_REPLAYED = frozenset({"READY", "RESUMED"})


@dataclass(frozen=True)
class GatewayFrame:
    """A payload a client sent; `connection` numbers the websocket (1, 2, ...)."""

    op: int
    d: Any
    connection: int


@dataclass(frozen=True)
class Dispatched:
    seq: int
    t: str
    d: Any

    def frame(self) -> dict[str, Any]:
        return {"op": DISPATCH, "t": self.t, "s": self.seq, "d": self.d}


class GatewayConnection:
    """One websocket; frames are written under a lock so a zlib stream stays in order."""

    def __init__(self, number: int, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.number = number
        self.ws = ws
        self.transport = request.transport
        compress = request.query.get("compress")
        self.compress = compress
        self.session: GatewaySession | None = None
        self.lock = asyncio.Lock()
        self._compressor = compressor_for(compress)

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            await self.write(payload)

    async def write(self, payload: dict[str, Any]) -> None:
        """Send with `lock` held by the caller."""
        if self.ws.closed:
            return
        text = json.dumps(payload, separators=(",", ":"))
        with contextlib.suppress(ConnectionError):  # the peer went away meanwhile
            if self._compressor is None:
                await self.ws.send_str(text)
            else:
                await self.ws.send_bytes(self._compressor(text.encode()))


def guild_id_of(event: str, data: dict[str, Any]) -> str | None:
    if "guild_id" in data:
        return str(data["guild_id"])
    if event.startswith("GUILD_") and "id" in data:
        return str(data["id"])
    return None


def visible(intents: int, bot_id: str, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """`data` as a session with `intents` gets it, or None when it gets nothing."""
    if event in _GUILDS_EVENTS:
        needed = GUILDS
    elif event in _MEMBER_EVENTS:
        needed = GUILD_MEMBERS
    elif event in _MESSAGE_EVENTS:
        needed = GUILD_MESSAGES if "guild_id" in data else DIRECT_MESSAGES
    else:
        needed = 0
    if needed and not intents & needed:
        return None
    if event == "GUILD_CREATE" and not intents & GUILD_MEMBERS:  # only the bot's own member
        return {**data, "members": [m for m in data["members"] if m["user"]["id"] == bot_id]}
    if (
        event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
        and "guild_id" in data
        and not intents & MESSAGE_CONTENT
        and data.get("author", {}).get("id") != bot_id
        and bot_id not in {m.get("id") for m in data.get("mentions", [])}
    ):
        stripped = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        stripped.pop("poll", None)
        return stripped
    return data


def compressor_for(kind: str | None) -> Callable[[bytes], bytes] | None:
    if kind is None:
        return None
    if kind == "zlib-stream":
        stream = zlib.compressobj()
        return lambda data: stream.compress(data) + stream.flush(zlib.Z_SYNC_FLUSH)
    if kind == "zstd-stream":  # what discord.py asks for when it can import a zstd module
        try:
            zstandard = importlib.import_module("zstandard")
        except ImportError:
            zstd = importlib.import_module("compression.zstd")  # Python 3.14+
            compressor = zstd.ZstdCompressor()
            block = zstd.ZstdCompressor.FLUSH_BLOCK
            return lambda data: bytes(compressor.compress(data, mode=block))
        zobj = zstandard.ZstdCompressor().compressobj()
        flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
        return lambda data: bytes(zobj.compress(data) + zobj.flush(flush))
    raise ValueError(f"unknown gateway compression {kind!r}")

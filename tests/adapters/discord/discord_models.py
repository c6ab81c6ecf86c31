"""Discord's objects as the fake serves them: users, roles, channels, members, guilds, messages.

Every id is a snowflake sent as a string, and every payload carries the fields discord.py 2.7.1
requires when it parses one (`Member` needs `flags`, `Thread` needs `thread_metadata`,
`Message` needs `mentions` and `mention_roles`, an interaction `attachment_size_limit`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
FIRST_ID_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z

# permission bits (https://discord.com/developers/docs/topics/permissions)
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5  # "Manage Server"
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# channel types
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11

EPHEMERAL = 1 << 6  # message flag
LOADING = 1 << 7  # message flag: a deferred "is thinking..." response

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def snowflake_time(snowflake: str | int) -> datetime:
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class FakeUser:
    id: str
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "global_name": self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class FakeRole:
    id: str
    name: str
    permissions: int
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    """A guild text channel, a thread (`parent_id` set) or a DM (`recipient` set)."""

    id: str
    type: int
    name: str | None = None
    guild_id: str | None = None
    parent_id: str | None = None
    owner_id: str | None = None
    recipient: FakeUser | None = None
    position: int = 0
    last_message_id: str | None = None
    message_count: int = 0

    @property
    def is_thread(self) -> bool:
        return self.type in (10, 11, 12)

    def payload(self) -> dict[str, Any]:
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": self.id,
                "type": DM,
                "last_message_id": self.last_message_id,
                "recipients": [self.recipient.payload()],
                "flags": 0,
            }
        base: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "guild_id": self.guild_id,
            "name": self.name,
            "last_message_id": self.last_message_id,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if self.is_thread:
            created = iso(snowflake_time(self.id))
            return {
                **base,
                "parent_id": self.parent_id,
                "owner_id": self.owner_id,
                "message_count": self.message_count,
                "member_count": 1,
                "total_message_sent": self.message_count,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": created,
                    "locked": False,
                    "create_timestamp": created,
                },
            }
        return {
            **base,
            "position": self.position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "default_auto_archive_duration": 1440,
        }


@dataclass
class FakeMember:
    user: FakeUser
    role_ids: list[str] = field(default_factory=list)
    joined_at: str = "2026-01-01T00:00:00+00:00"

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        member: dict[str, Any] = {
            "roles": list(self.role_ids),
            "joined_at": self.joined_at,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = self.user.payload()
        return member


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    roles: dict[str, FakeRole] = field(default_factory=dict)
    channels: dict[str, FakeChannel] = field(default_factory=dict)  # text channels and threads
    members: dict[str, FakeMember] = field(default_factory=dict)

    def permissions_of(self, user_id: str) -> int:
        """Guild-wide permissions (no channel overwrites): what "Manage Server" is decided on."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members[user_id]
        value = self.roles[self.id].permissions
        for role_id in member.role_ids:
            value |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def channel(self, name: str) -> FakeChannel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"guild {self.name!r} has no channel {name!r}")

    def role(self, name: str) -> FakeRole:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"guild {self.name!r} has no role {name!r}")

    def payload(self) -> dict[str, Any]:
        """The guild object of GET /guilds/{id} (no channels or members)."""
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [role.payload() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    def create_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE event: the guild with its channels, threads and members."""
        return {
            **self.payload(),
            "unavailable": False,
            "large": False,
            "member_count": len(self.members),
            "joined_at": "2026-01-01T00:00:00+00:00",
            "channels": [c.payload() for c in self.channels.values() if not c.is_thread],
            "threads": [c.payload() for c in self.channels.values() if c.is_thread],
            "members": [member.payload() for member in self.members.values()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


class Snowflakes:
    """Deterministic, increasing snowflake ids.

    Guild ids have their own sequence (worker 1): the k-th guild's timestamp is the epoch
    plus k ms, so with N shards guilds go round-robin to shards (`(id >> 22) % N`).
    """

    def __init__(self) -> None:
        self._serial = 0
        self._guilds = 0

    def next(self) -> str:
        self._serial += 1
        ms = FIRST_ID_MS - DISCORD_EPOCH_MS + self._serial
        return str((ms << 22) | (self._serial & 0xFFF))

    def guild(self) -> str:
        ms = FIRST_ID_MS - DISCORD_EPOCH_MS + self._guilds
        self._guilds += 1
        return str((ms << 22) | (1 << 17) | (self._guilds & 0xFFF))


def parse_mentions(
    content: str, allowed: dict[str, Any] | None
) -> tuple[list[str], list[str], bool]:
    """The user ids, role ids and @everyone that `content` pings under `allowed_mentions`."""
    users = _USER_MENTION.findall(content)
    roles = _ROLE_MENTION.findall(content)
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:
        return users, roles, everyone
    parse = allowed.get("parse", [])
    allowed_users = set(allowed.get("users", []))
    allowed_roles = set(allowed.get("roles", []))
    return (
        [u for u in users if "users" in parse or u in allowed_users],
        [r for r in roles if "roles" in parse or r in allowed_roles],
        everyone and "everyone" in parse,
    )


def message_payload(
    *,
    id: str,
    channel: FakeChannel,
    author: FakeUser,
    content: str = "",
    member: FakeMember | None = None,
    mentions: list[dict[str, Any]] | None = None,
    mention_roles: list[str] | None = None,
    mention_everyone: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """A message object; `fields` (embeds, components, attachments, flags, ...) go in as given."""
    message: dict[str, Any] = {
        "id": id,
        "channel_id": channel.id,
        "author": author.payload(),
        "content": content,
        "timestamp": iso(snowflake_time(id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": mentions or [],
        "mention_roles": mention_roles or [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        **fields,
    }
    if channel.guild_id is not None:
        message["guild_id"] = channel.guild_id
        if member is not None:
            message["member"] = member.payload(with_user=False)
    return message


def now_iso() -> str:
    return iso(datetime.now(UTC))

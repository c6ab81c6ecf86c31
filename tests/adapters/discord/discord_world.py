"""What the fake Discord knows: its users, guilds, channels and messages, and the bot itself."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.discord_models import (
    DM,
    EVERYONE_PERMISSIONS,
    GUILD_TEXT,
    MENTION_EVERYONE,
    PUBLIC_THREAD,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Snowflakes,
    message_payload,
    parse_mentions,
)


class DiscordWorld:
    """The users, guilds, channels and messages the fake serves, and the bot itself."""

    def __init__(self, *, bot_name: str = "setget") -> None:
        self.ids = Snowflakes()
        self.users: dict[str, FakeUser] = {}
        self.guilds: dict[str, FakeGuild] = {}
        self.channels: dict[str, FakeChannel] = {}  # every channel: text, thread, DM
        self.messages: dict[str, dict[str, Any]] = {}  # id -> message object, as last served
        self.bot = self.add_user(bot_name, bot=True)
        self.application_id = self.bot.id  # like Discord's bots made since 2020
        self.application_owner = FakeUser(self.ids.next(), "app-owner")
        self._dms: dict[str, FakeChannel] = {}

    def add_user(self, username: str, *, bot: bool = False) -> FakeUser:
        user = FakeUser(self.ids.next(), username, bot=bot)
        self.users[user.id] = user
        return user

    def user(self, name_or_id: str) -> FakeUser:
        if name_or_id in self.users:
            return self.users[name_or_id]
        for user in self.users.values():
            if user.username == name_or_id:
                return user
        raise KeyError(f"no user {name_or_id!r}")

    def add_guild(
        self, name: str, *, owner: FakeUser, channels: tuple[str, ...] = ("general",)
    ) -> FakeGuild:
        """A guild the bot is in: @everyone, the bot's managed role, the owner and `channels`."""
        guild = FakeGuild(self.ids.guild(), name, owner.id)
        guild.roles[guild.id] = FakeRole(guild.id, "@everyone", EVERYONE_PERMISSIONS)
        bot_role = self.add_role(guild, self.bot.username, EVERYONE_PERMISSIONS | MENTION_EVERYONE)
        bot_role.managed = True
        self.guilds[guild.id] = guild
        self.add_member(guild, self.bot, roles=(bot_role,))
        self.add_member(guild, owner)
        for position, channel in enumerate(channels):
            self.add_channel(guild, channel, position=position)
        return guild

    def add_role(self, guild: FakeGuild, name: str, permissions: int) -> FakeRole:
        role = FakeRole(self.ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(
        self, guild: FakeGuild, user: FakeUser, *, roles: tuple[FakeRole, ...] = ()
    ) -> FakeMember:
        member = FakeMember(user, [role.id for role in roles])
        guild.members[user.id] = member
        return member

    def add_channel(self, guild: FakeGuild, name: str, *, position: int = 0) -> FakeChannel:
        channel = FakeChannel(self.ids.next(), GUILD_TEXT, name, guild.id, position=position)
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self, parent: FakeChannel, name: str, *, owner: FakeUser, id: str | None = None
    ) -> FakeChannel:
        """A public thread; Discord gives a thread started from a message that message's id."""
        assert parent.guild_id is not None, "threads live in guild channels"
        thread = FakeChannel(
            id or self.ids.next(),
            PUBLIC_THREAD,
            name,
            parent.guild_id,
            parent_id=parent.id,
            owner_id=owner.id,
        )
        self.guilds[parent.guild_id].channels[thread.id] = thread
        self.channels[thread.id] = thread
        return thread

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The bot's DM channel with `user` (one per user, like Discord)."""
        if user.id not in self._dms:
            channel = FakeChannel(self.ids.next(), DM, recipient=user)
            self._dms[user.id] = channel
            self.channels[channel.id] = channel
        return self._dms[user.id]

    def guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    def member_of(self, channel: FakeChannel, user: FakeUser) -> FakeMember | None:
        guild = self.guild_of(channel)
        return None if guild is None else guild.members.get(user.id)

    def mentions(self, channel: FakeChannel, user_ids: list[str]) -> list[dict[str, Any]]:
        """The `mentions` array: users, with their member object in a guild."""
        found: list[dict[str, Any]] = []
        for user_id in user_ids:
            if user_id not in self.users:
                continue
            entry = self.users[user_id].payload()
            member = self.member_of(channel, self.users[user_id])
            if member is not None:
                entry["member"] = member.payload(with_user=False)
            found.append(entry)
        return found

    def new_message(
        self, channel: FakeChannel, author: FakeUser, content: str = "", **fields: Any
    ) -> dict[str, Any]:
        """A message in `channel` by `author`, stored; `<@id>` mentions are resolved."""
        allowed = fields.pop("allowed_mentions", None)
        users, roles, everyone = parse_mentions(content, allowed)
        message = message_payload(
            id=self.ids.next(),
            channel=channel,
            author=author,
            content=content,
            member=self.member_of(channel, author),
            mentions=self.mentions(channel, users),
            mention_roles=roles,
            mention_everyone=everyone,
            **fields,
        )
        channel.last_message_id = message["id"]
        channel.message_count += 1
        self.messages[message["id"]] = message
        return message

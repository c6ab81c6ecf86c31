"""Payloads of what people do in Discord: messages and interactions, as the gateway sends them.

Each builder returns the `d` of a gateway dispatch (feed it to `FakeDiscord.dispatch`) and
registers interactions so the fake's callback and webhook routes accept their id and token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.adapters.discord.discord_models import ALL_PERMISSIONS, FakeChannel, FakeUser
from tests.adapters.discord.discord_world import DiscordWorld

# interaction types
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5
# application command option types
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
_OPTION_TYPES: tuple[tuple[type, int], ...] = ((bool, 5), (int, 4), (float, 10), (str, 3))
BUTTON = 2
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


@dataclass
class FakeInteraction:
    """An interaction the fake issued, and what the bot answered to it."""

    id: str
    token: str
    type: int
    channel: FakeChannel
    user: FakeUser
    payload: dict[str, Any]
    message_id: str | None = None  # the message whose component was used
    responses: list[dict[str, Any]] = field(default_factory=list)  # callback bodies
    original_id: str | None = None  # what webhooks/.../messages/@original is
    followup_ids: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return bool(self.responses)


class EventBuilder:
    """Builds gateway payloads for people's actions in a `DiscordWorld`."""

    def __init__(self, world: DiscordWorld) -> None:
        self.world = world
        self.interactions: dict[str, FakeInteraction] = {}
        self.commands: dict[tuple[str | None, str], dict[str, Any]] = {}  # (guild, name)
        self._serial = 0

    # -- messages ------------------------------------------------------------------------------

    def message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        content: str,
        *,
        mention_bot: bool = False,
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """MESSAGE_CREATE by a person; `mention_bot` prefixes `<@bot>` like the client does."""
        if mention_bot:
            content = f"<@{self.world.bot.id}> {content}"
        fields: dict[str, Any] = {}
        if reply_to is not None:
            fields["type"] = 19
            fields["message_reference"] = {
                "type": 0,
                "message_id": reply_to,
                "channel_id": channel.id,
                **({"guild_id": channel.guild_id} if channel.guild_id else {}),
            }
            referenced = self.world.messages.get(reply_to)
            if referenced is not None:
                fields["referenced_message"] = referenced
        return self.world.new_message(channel, author, content, **fields)

    # -- interactions --------------------------------------------------------------------------

    def slash_command(
        self,
        path: str,
        *,
        user: FakeUser,
        channel: FakeChannel,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A chat-input command: "setget balance" is /setget's `balance` subcommand."""
        name, *subcommands = path.split()
        values = _options(options or {})
        for depth, sub in reversed(list(enumerate(subcommands))):
            kind = SUB_COMMAND if depth == len(subcommands) - 1 else SUB_COMMAND_GROUP
            values = [{"type": kind, "name": sub, "options": values}]
        command = self.commands.get((channel.guild_id, name)) or self.commands.get((None, name))
        data: dict[str, Any] = {
            "id": command["id"] if command else self.world.ids.next(),
            "name": name,
            "type": 1,
            "options": values,
        }
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return self._interaction(APPLICATION_COMMAND, data, user=user, channel=channel)

    def component(
        self,
        custom_id: str,
        *,
        user: FakeUser,
        channel: FakeChannel,
        message_id: str | None = None,
        component_type: int = BUTTON,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        """A click on a button (or a select's choice) of `message_id`, a message the fake holds.

        Without `message_id`, a bot message carrying that one button is made up first.
        """
        if message_id is None:
            row = {"type": 1, "components": [_button(custom_id)]}
            message_id = self.world.new_message(channel, self.world.bot, "", components=[row])["id"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return self._interaction(
            MESSAGE_COMPONENT, data, user=user, channel=channel, message_id=message_id
        )

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user: FakeUser,
        channel: FakeChannel,
    ) -> dict[str, Any]:
        """A modal sent back: each text input's custom_id -> what the person typed."""
        rows = [
            {"type": 1, "components": [{"type": 4, "id": n, "custom_id": key, "value": value}]}
            for n, (key, value) in enumerate(values.items(), start=1)
        ]
        data = {"custom_id": custom_id, "components": rows}
        return self._interaction(MODAL_SUBMIT, data, user=user, channel=channel)

    def _interaction(
        self,
        type: int,
        data: dict[str, Any],
        *,
        user: FakeUser,
        channel: FakeChannel,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        world = self.world
        self._serial += 1
        interaction_id = world.ids.next()
        token = f"interaction-token-{self._serial}"
        guild = world.guild_of(channel)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": world.application_id,
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": channel.id,
            "channel": channel.payload(),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild.id if guild else "0"},
            "context": 0 if guild else 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if guild is not None:
            member = guild.members[user.id].payload()
            member["permissions"] = str(guild.permissions_of(user.id))
            payload.update(
                guild_id=guild.id,
                guild={"id": guild.id, "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member,
                app_permissions=str(guild.permissions_of(world.bot.id)),
            )
        else:
            payload["user"] = user.payload()
            payload["app_permissions"] = str(ALL_PERMISSIONS)
        if message_id is not None:
            payload["message"] = world.messages[message_id]
        self.interactions[interaction_id] = FakeInteraction(
            interaction_id, token, type, channel, user, payload, message_id=message_id
        )
        return payload

    def by_token(self, token: str) -> FakeInteraction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)


def _options(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = []
    for name, value in values.items():
        kind = next(code for cls, code in _OPTION_TYPES if isinstance(value, cls))
        options.append({"type": kind, "name": name, "value": value})
    return options


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": BUTTON, "style": 1, "label": custom_id, "custom_id": custom_id}

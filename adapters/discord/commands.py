"""`/setget` on Discord: one application command group with a subcommand per entry of the
chat layer's table. Replies are ephemeral follow-ups of a deferred answer (files attached),
a pack purchase is an ephemeral message with buttons, the model settings a modal."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.directory import DiscordDirectory
from adapters.discord.forms import DiscordForms
from adapters.discord.render import NO_PINGS, markdown
from core.chat import COMMANDS, BuyForm, ChatLayer, ConfigForm, Reply
from core.chat.commands import Command

logger = logging.getLogger(__name__)

GROUP = "setget"
# A modal must be an interaction's first answer, so a command that opens one is not deferred.
OPENS_A_MODAL = frozenset({"config"})

Callback = Callable[..., Coroutine[Any, Any, None]]


class DiscordCommands:
    def __init__(self, *, layer: ChatLayer, forms: DiscordForms) -> None:
        self._layer = layer
        self._forms = forms

    def group(self) -> app_commands.Group:
        group = app_commands.Group(name=GROUP, description="SetGet AI", guild_only=True)
        for command in COMMANDS.values():
            group.add_command(
                app_commands.Command(
                    name=command.name,
                    description=command.summary[:100],
                    callback=self._callback(command),
                )
            )
        return group

    def _callback(self, command: Command) -> Callback:
        name = command.name
        if command.argument == "key":

            @app_commands.describe(key="the project's key (empty: show the binding)")
            async def with_key(
                interaction: discord.Interaction[Any], key: str | None = None
            ) -> None:
                await self.run(interaction, name, key or "")

            return with_key
        if command.argument == "off":

            @app_commands.describe(off="off: send alerts to the admins by DM")
            async def with_off(
                interaction: discord.Interaction[Any], off: Literal["off"] | None = None
            ) -> None:
                await self.run(interaction, name, off or "")

            return with_off

        async def plain(interaction: discord.Interaction[Any]) -> None:
            await self.run(interaction, name, "")

        return plain

    async def run(self, interaction: discord.Interaction[Any], name: str, arg: str) -> None:
        if name not in OPENS_A_MODAL:
            await interaction.response.defer(ephemeral=True, thinking=True)
        user = interaction.user
        seen = user if isinstance(user, discord.Member) else None
        reply = await self._layer.commands.run(
            team=str(interaction.guild_id or ""),
            channel=str(interaction.channel_id or ""),
            user=str(user.id),
            text=f"{name} {arg}".strip(),
            directory=DiscordDirectory(interaction.client, seen=seen),
        )
        if isinstance(reply.form, ConfigForm) and not interaction.response.is_done():
            await interaction.response.send_modal(self._forms.config_modal(reply.form))
        elif isinstance(reply.form, BuyForm):
            await say(interaction, reply, view=self._forms.buy_view(reply.form))
        else:
            await say(interaction, reply)
        for note in reply.notes:
            await say(interaction, note)


async def say(
    interaction: discord.Interaction[Any], reply: Reply, *, view: discord.ui.View | None = None
) -> None:
    """Ephemeral: the first answer, or a follow-up once the interaction is answered."""
    extra: dict[str, Any] = {}
    if reply.files:
        extra["files"] = [discord.File(io.BytesIO(f.data), f.filename) for f in reply.files]
    if view is not None:
        extra["view"] = view
    text = markdown(reply)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS, **extra)
    else:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_PINGS, **extra
        )

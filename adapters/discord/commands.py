"""`/setget` on Discord: one application command group with a subcommand per entry of the
chat layer's table, in servers and in DMs with the bot (for the linked server the chat layer
picks, as for a DM message). Replies are ephemeral follow-ups of a deferred answer (files
attached; a file to keep, the audit export, by DM), a pack purchase is an ephemeral message
with buttons, the model settings a modal."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.directory import DiscordDirectory
from adapters.discord.dms import choose_guild
from adapters.discord.forms import DiscordForms
from adapters.discord.render import NO_PINGS, markdown
from core.chat import COMMANDS, Attachment, BuyForm, ChatLayer, ConfigForm, Reply, Tone
from core.chat.commands import Command
from core.chat.direct import none_linked
from core.workspaces import Platform

logger = logging.getLogger(__name__)

GROUP = "setget"
# The forms Discord shows as a modal: a modal must be an interaction's first answer, so a
# command answering with one is not deferred (a pack purchase is buttons, after a deferral).
MODAL_FORMS: frozenset[type[BuyForm] | type[ConfigForm]] = frozenset({ConfigForm})
# In a server, or in the bot's DM; not installable on a user account.
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)

Callback = Callable[..., Coroutine[Any, Any, None]]


class DiscordCommands:
    def __init__(self, *, layer: ChatLayer, forms: DiscordForms) -> None:
        self._layer = layer
        self._forms = forms

    def group(self) -> app_commands.Group:
        group = app_commands.Group(
            name=GROUP,
            description="SetGet AI",
            allowed_contexts=CONTEXTS,
            allowed_installs=INSTALLS,
        )
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
        command = COMMANDS[name]
        if command.form not in MODAL_FORMS:
            await interaction.response.defer(ephemeral=True, thinking=True)
        user = interaction.user
        notes: list[Reply] = []
        if interaction.guild_id is None:  # a DM: for the linked server the layer picks
            chosen = await choose_guild(interaction.client, self._layer, user)
            if chosen is None:
                await say(interaction, none_linked(Platform.DISCORD))
                return
            choice, guild = chosen
            team = choice.team
            notes.extend(n for n in (choice.note(guild.name),) if n is not None)
        else:
            team = str(interaction.guild_id)
        seen = user if isinstance(user, discord.Member) else None
        reply = await self._layer.commands.run(
            team=team,
            channel=str(interaction.channel_id or ""),
            user=str(user.id),
            text=f"{name} {arg}".strip(),
            directory=DiscordDirectory(interaction.client, seen=seen),
        )
        kept = [f for f in reply.files if f.keep]
        shown = replace(reply, files=tuple(f for f in reply.files if not f.keep))
        if isinstance(reply.form, ConfigForm) and not interaction.response.is_done():
            await interaction.response.send_modal(self._forms.config_modal(reply.form))
        elif isinstance(reply.form, BuyForm):
            await say(interaction, shown, view=self._forms.buy_view(reply.form))
        else:
            await say(interaction, shown)
        for note in [*notes, *reply.notes]:
            await say(interaction, note)
        for file in kept:
            await say(interaction, await send_by_dm(user, file))


async def send_by_dm(user: discord.User | discord.Member, file: Attachment) -> Reply:
    """A file to keep goes to the person's DM with the bot (an ephemeral message is gone on
    the next reload); what to tell them, ephemerally."""
    try:
        await user.send(
            f"{file.title}:",
            file=discord.File(io.BytesIO(file.data), file.filename),
            allowed_mentions=NO_PINGS,
        )
    except discord.HTTPException as exc:
        logger.warning("discord: %s was not sent by DM: %s", file.filename, exc.code)
        return Reply(
            f"Discord refused to send {file.filename} to your DMs (are DMs from server members "
            "allowed?); the figures above stand.",
            Tone.WARNING,
        )
    return Reply(f"{file.filename} was sent to you by DM.", Tone.SUCCESS)


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

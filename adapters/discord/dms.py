"""Which linked guild a DM (a message or a `/setget` in a DM) is for: the guilds the person
shares with the bot that are linked to a workspace; the chat layer chooses among them. A
button clicked in a DM acts for the guild it names only when the person is a member of it."""

from __future__ import annotations

from typing import Any

import discord

from core.chat import ChatLayer
from core.chat.direct import DirectChoice
from core.workspaces import Platform


async def shared_linked_guilds(
    client: discord.Client, layer: ChatLayer, user: discord.abc.User
) -> list[discord.Guild]:
    """Linked guilds first (no REST call for the others), then membership: the cache, the
    owner, else one member read (the bot has no members intent)."""
    guilds = {str(g.id): g for g in client.guilds}
    found = []
    for team in await layer.direct.linked(Platform.DISCORD, list(guilds)):
        if await is_member(guilds[team], user):
            found.append(guilds[team])
    return found


async def is_member(guild: discord.Guild, user: discord.abc.User) -> bool:
    """Whether `user` is in `guild`: the cache, the owner, else one member read."""
    if guild.owner_id == user.id or guild.get_member(user.id) is not None:
        return True
    try:
        await guild.fetch_member(user.id)
    except discord.NotFound:
        return False
    return True


async def clicked_in(interaction: discord.Interaction[Any], named: str) -> str | None:
    """The guild a click acts for: where it was made, or (a button in a DM) the guild the
    button names, only if the person who clicked is a member of it; None otherwise."""
    if interaction.guild_id is not None:
        return str(interaction.guild_id)
    guild = interaction.client.get_guild(int(named)) if named.isdigit() else None
    if guild is None or not await is_member(guild, interaction.user):
        return None
    return named


async def choose_guild(
    client: discord.Client, layer: ChatLayer, user: discord.abc.User
) -> tuple[DirectChoice, discord.Guild] | None:
    shared = await shared_linked_guilds(client, layer, user)
    choice = await layer.direct.choose(Platform.DISCORD, str(user.id), [str(g.id) for g in shared])
    if choice is None:
        return None
    guild = next(g for g in shared if str(g.id) == choice.team)
    return choice, guild

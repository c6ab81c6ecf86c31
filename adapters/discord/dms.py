"""Which linked guild a DM (a message or a `/setget` in a DM) is for: the guilds the person
shares with the bot that are linked to a workspace; the chat layer chooses among them."""

from __future__ import annotations

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
        guild = guilds[team]
        if guild.owner_id == user.id or guild.get_member(user.id) is not None:
            found.append(guild)
            continue
        try:
            await guild.fetch_member(user.id)
        except discord.NotFound:
            continue
        found.append(guild)
    return found


async def choose_guild(
    client: discord.Client, layer: ChatLayer, user: discord.abc.User
) -> tuple[DirectChoice, discord.Guild] | None:
    shared = await shared_linked_guilds(client, layer, user)
    choice = await layer.direct.choose(Platform.DISCORD, str(user.id), [str(g.id) for g in shared])
    if choice is None:
        return None
    guild = next(g for g in shared if str(g.id) == choice.team)
    return choice, guild

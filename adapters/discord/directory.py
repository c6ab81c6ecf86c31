"""Who is who in a Discord guild, as Discord says: names and Manage Server from the member.

The bot asks for no members intent (privileged), so a guild's member cache holds little: the
person behind an event comes with it (`message.author`, `interaction.user`) and is handed
in as `seen`; anyone else is fetched over REST."""

from __future__ import annotations

import logging

import discord

from core.chat.people import Profile
from core.workspaces import Platform

logger = logging.getLogger(__name__)


def profile_of(member: discord.Member) -> Profile:
    """Owners and members with Manage Server administer the guild; bots never."""
    admin = member.guild.owner_id == member.id or member.guild_permissions.manage_guild
    return Profile(name=member.display_name, platform_admin=admin and not member.bot)


class DiscordDirectory:
    def __init__(self, client: discord.Client, *, seen: discord.Member | None = None) -> None:
        self.client = client
        self._seen = seen

    @property
    def platform(self) -> Platform:
        return Platform.DISCORD

    async def profile(self, team: str, user: str) -> Profile | None:
        member = await self._member(team, user)
        return None if member is None else profile_of(member)

    async def platform_admins(self, team: str) -> list[str]:
        guild = self.client.get_guild(int(team))
        if guild is None:
            return []
        cached = [m for m in guild.members if not m.bot and profile_of(m).platform_admin]
        ids = ([str(guild.owner_id)] if guild.owner_id else []) + [str(m.id) for m in cached]
        return list(dict.fromkeys(ids))

    async def _member(self, team: str, user: str) -> discord.Member | None:
        seen = self._seen
        if seen is not None and str(seen.guild.id) == team and str(seen.id) == user:
            return seen
        guild = self.client.get_guild(int(team))
        if guild is None:
            return None
        found = guild.get_member(int(user))
        if found is not None:
            return found
        try:
            return await guild.fetch_member(int(user))
        except discord.HTTPException as exc:
            logger.info("discord: a member of guild %s was not read: %s", team, exc.code)
            return None

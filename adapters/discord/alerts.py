"""Usage alerts sent on Discord: to a guild's alerts channel or an admin's DM, with Discord's
answers sorted into "never reachable" (gone, shut to the bot) and "try again later"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from adapters.discord.directory import DiscordDirectory
from adapters.discord.render import NO_PINGS
from core.chat.alerts import Unreachable
from core.credits.notices import Notice
from core.credits.outbox import DeliveryFailed, Elsewhere
from core.workspaces import Platform

FOOTER = "SetGet AI credits · `/setget usage` for the dashboard"


class DiscordAlertSender:
    def __init__(self, *, client: discord.Client) -> None:
        self._client = client

    @property
    def platform(self) -> Platform:
        return Platform.DISCORD

    async def directory(self, team: str) -> DiscordDirectory | None:
        guild = int(team)
        if self._client.get_guild(guild) is None:
            if not self._runs_shard_of(guild):
                raise Elsewhere(f"guild {team} is on a shard another process runs")
            return None  # the bot is not in that guild (or not connected yet)
        return DiscordDirectory(self._client)

    def _runs_shard_of(self, guild: int) -> bool:
        """Whether this process runs the shard of `guild` (Discord's rule: the guild id's
        timestamp bits modulo the shard count); always, unless it runs only some shards."""
        ids = getattr(self._client, "shard_ids", None)
        count = getattr(self._client, "shard_count", None)
        if not ids or not count:
            return True
        return (guild >> 22) % count in ids

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None:
        async def send() -> None:
            found = self._client.get_channel(int(channel)) or await self._client.fetch_channel(
                int(channel)
            )
            if not isinstance(found, discord.abc.Messageable):
                raise Unreachable(f"channel {channel} takes no messages")
            await found.send(embed=notice_embed(notice), allowed_mentions=NO_PINGS)

        await _delivered(send)

    async def to_user(self, team: str, user: str, notice: Notice) -> None:
        async def send() -> None:
            person = self._client.get_user(int(user)) or await self._client.fetch_user(int(user))
            await person.send(embed=notice_embed(notice), allowed_mentions=NO_PINGS)

        await _delivered(send)


async def _delivered(send: Callable[[], Awaitable[None]]) -> None:
    try:
        await send()
    except (discord.NotFound, discord.Forbidden) as exc:
        raise Unreachable(f"Discord refused the notice: {exc.status} {exc.code}") from exc
    except discord.RateLimited as exc:
        raise DeliveryFailed(
            "Discord rate limited the notice", retry_after=exc.retry_after
        ) from exc
    except discord.HTTPException as exc:
        retry = exc.response.headers.get("Retry-After") if exc.response is not None else None
        raise DeliveryFailed(
            f"Discord refused the notice: {exc.status} {exc.code}",
            retry_after=float(retry) if retry else None,
        ) from exc


def notice_embed(notice: Notice) -> discord.Embed:
    colour = discord.Colour.red() if notice.urgent else discord.Colour.blurple()
    icon = "🚨" if notice.urgent else "ℹ️"
    embed = discord.Embed(title=f"{icon} {notice.title}", description=notice.text, colour=colour)
    embed.set_footer(text=FOOTER)
    return embed

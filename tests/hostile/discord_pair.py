"""The Discord bot in two guilds: "Fake Guild" (olivia owns it, alice administers it, bob is a
member) linked to acme, and "Beta Guild" (betty owns it, bruno is a member) linked to beta.
bob and bruno share no guild. Beta has asked (answered with feedback buttons) and proposed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from bot.app import App
from bot.discord import discord_runtime
from core.chat.services import SessionFor
from core.workspaces import Platform, Workspace
from tests.adapters.discord.discord_models import FakeChannel, FakeGuild
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import COUNT, READY_WAIT, DiscordBot
from tests.hostile.tenants import BETA_QUESTION, two_workspaces

BETA_CREATE = "Create a work item titled 'Beta hire plan' in the OPS project"


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["custom_id"] for row in message.get("components", []) for b in row["components"]]


@dataclass
class DiscordPair:
    bot: DiscordBot
    acme: Workspace
    beta: Workspace
    beta_guild: FakeGuild

    @property
    def fake(self) -> FakeDiscord:
        return self.bot.fake

    @property
    def app(self) -> App:
        return self.bot.app

    @property
    def beta_channel(self) -> FakeChannel:
        return next(c for c in self.beta_guild.channels.values() if not c.is_thread)

    async def click(
        self,
        custom_id: str,
        *,
        user: str,
        message_id: str | None = None,
        channel: FakeChannel | None = None,
    ) -> DiscordCall:
        """A click; the interaction's first answer."""
        done = len(self.fake.calls_to("create_interaction_response"))
        payload = self.fake.button_click(
            custom_id, message_id=message_id, user=user, channel=channel
        )
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        calls = await self.fake.wait_for("create_interaction_response", count=done + 1)
        return calls[done]

    async def command(
        self, path: str, options: dict[str, Any] | None = None, *, user: str, dm: bool = False
    ) -> DiscordCall:
        """`/setget PATH`; the answer (a follow-up, or a modal as the first answer)."""
        followups = len(self.fake.calls_to("send_followup"))
        first = len(self.fake.calls_to("create_interaction_response"))
        payload = self.fake.slash_command(f"setget {path}", options, user=user, dm=dm)
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        answers = await self.fake.wait_for("create_interaction_response", count=first + 1)
        if (answers[first].json or {}).get("type") in (4, 9):  # a refusal or a modal, at once
            return replace(answers[first], json=answers[first].json["data"])
        while True:  # the first follow-up of this interaction (others may be in flight)
            mine = [
                c
                for c in self.fake.calls_to("send_followup")[followups:]
                if c.params.get("token") == payload["token"]
            ]
            if mine:
                return mine[0]
            count = len(self.fake.calls_to("send_followup")) + 1
            await self.fake.wait_for("send_followup", count=count)

    async def beta_activity(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """bruno asks in beta's guild, then proposes: (the answer, the proposal) messages."""
        channel = self.beta_channel
        await self.bot.mention(BETA_QUESTION, author="bruno", channel=channel)
        (final,) = await self.bot.answered()
        answer = self.fake.message(final.params["message_id"])
        await self.bot.mention(BETA_CREATE, author="bruno", channel=channel)
        while True:
            offers = [m for m in self.fake.world.messages.values() if m.get("embeds")]
            if offers:
                return answer, offers[0]
            await self.fake.wait_for(
                "send_message", count=len(self.fake.calls_to("send_message")) + 1
            )


@asynccontextmanager
async def discord_pair(
    app: App, fake: FakeDiscord, *, chat: SessionFor | None = None
) -> AsyncIterator[DiscordPair]:
    """`chat`: who answers instead of the offline model (a scripted one)."""
    acme, beta = await two_workspaces(app)
    betty, bruno = fake.add_user("betty"), fake.add_user("bruno")
    beta_guild = fake.add_guild("Beta Guild", owner=betty)
    fake.add_member(beta_guild, bruno)
    await app.admin.link("acme", Platform.DISCORD, fake.guild.id)
    await app.admin.link("beta", Platform.DISCORD, beta_guild.id)
    async with (
        discord_runtime(app, chat=chat, guild_ready_timeout=READY_WAIT) as runtime,
        fake.connected(runtime.bot.client),
    ):
        bot = DiscordBot(app=app, fake=fake, runtime=runtime, workspace=acme)
        yield DiscordPair(bot=bot, acme=acme, beta=beta, beta_guild=beta_guild)


__all__ = ["COUNT", "DiscordPair", "buttons", "discord_pair"]

"""The SetGet Discord bot (real discord.py client) on a real database against the fake
Discord: the `bot` fixture and what its tests share. Holds no tests itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import App
from bot.discord import DiscordRuntime, discord_runtime
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform, Workspace
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall

READY_WAIT = 0.05  # discord.py waits this long after the last GUILD_CREATE before on_ready
COUNT = "How many open items are in the WEB project?"


@dataclass
class DiscordBot:
    app: App
    fake: FakeDiscord
    runtime: DiscordRuntime
    workspace: Workspace

    async def remaining(self) -> int:
        return (await self.app.pool.status(self.workspace)).balance.remaining

    async def answered(self, count: int = 1) -> list[DiscordCall]:
        """Wait until `count` answers got their final edit (the one with the usage footer)."""
        while True:
            edits = self.fake.calls_to("edit_message")
            final = [e for e in edits if "\n-# " in (e.json or {}).get("content", "")]
            if len(final) >= count:
                return final
            await self.fake.wait_for("edit_message", count=len(edits) + 1)

    async def mention(self, text: str, **kwargs: Any) -> dict[str, Any]:
        event = self.fake.guild_message(text, mention_bot=True, **kwargs)
        await self.fake.dispatch("MESSAGE_CREATE", event)
        return event


async def linked_workspace(app: App, fake: FakeDiscord, **options: Any) -> Workspace:
    """Workspace acme (Pro, demo data) linked to the fake's guild."""
    workspace = await app.admin.create("acme", plan=Plan.PRO, **options)
    await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("acme", Platform.DISCORD, fake.guild.id)
    return workspace


@asynccontextmanager
async def running(app: App, fake: FakeDiscord, workspace: Workspace) -> AsyncIterator[DiscordBot]:
    """One bot process, connected (commands synced, buttons registered); closed after."""
    async with (
        discord_runtime(app, guild_ready_timeout=READY_WAIT) as runtime,
        fake.connected(runtime.bot.client),
    ):
        yield DiscordBot(app=app, fake=fake, runtime=runtime, workspace=workspace)


@pytest.fixture
async def bot(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordBot]:
    """The bot connected to the fake's guild, linked to workspace acme (Pro, demo data)."""
    workspace = await linked_workspace(app, discord_fake)
    async with running(app, discord_fake, workspace) as connected:
        yield connected

"""Fixtures: a fresh fake Discord per test, with discord.py pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.adapters.discord.discord_models import MANAGE_GUILD
from tests.adapters.discord.fake_discord import FakeDiscord, pointed_at


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord with one guild, "Fake Guild" (#general), owned by olivia, where alice has
    the "Admins" role (Manage Server) and bob is a plain member; `Route.BASE` and
    `DiscordWebSocket.DEFAULT_GATEWAY` point at it until the test ends.

    After the test no task may be left running: discord.py's client must have been closed.
    """
    async with FakeDiscord() as fake:
        olivia, alice, bob = (fake.add_user(name) for name in ("olivia", "alice", "bob"))
        guild = fake.add_guild("Fake Guild", owner=olivia)
        admins = fake.world.add_role(guild, "Admins", MANAGE_GUILD)
        fake.add_member(guild, alice, roles=(admins,))
        fake.add_member(guild, bob)
        with pointed_at(fake):
            yield fake
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    assert not left, f"tasks left running after the test: {left}"

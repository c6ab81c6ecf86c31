"""Fixtures of the hostile suite: recognisable fake secrets in the environment, and the two
workspaces served on one Slack app (Discord's are in discord_pair.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from tests.adapters.discord.conftest import discord_fake
from tests.adapters.slack.fake_slack import FakeSlack
from tests.hostile.slack_pair import TEAM_A, SlackPair, add_people, slack_pair
from tests.hostile.tenants import FAKE_KEYS

__all__ = ["discord_fake"]


@pytest.fixture(autouse=True)
def fake_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every hostile test runs with recognisable keys and tokens in the environment."""
    for name, value in FAKE_KEYS.items():
        monkeypatch.setenv(name, value)
    return FAKE_KEYS


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM_A) as fake:
        add_people(fake)
        yield fake


@pytest.fixture
async def pair(app: App, slack: FakeSlack) -> AsyncIterator[SlackPair]:
    async with slack_pair(app, slack) as served:
        yield served

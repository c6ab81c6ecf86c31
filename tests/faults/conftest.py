"""Fixtures of the fault tests: an empty database for the migration tests, and acme, the
workspace the Slack fault tests ask in (Pro plan, the demo data, linked to the fake team)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.storage import open_database
from adapters.storage.database import Database
from bot.app import App
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform, Workspace
from tests.adapters.slack.conftest import TEAM


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An empty database on the engine under test (no schema yet)."""
    opened = open_database(database_url)
    try:
        yield opened
    finally:
        await opened.dispose()


@pytest.fixture
async def acme(app: App) -> Workspace:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("acme", Platform.SLACK, TEAM)
    return workspace

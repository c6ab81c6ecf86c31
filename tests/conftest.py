"""Shared fixtures: fake clock, and the app on a fresh SQLite or PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.storage import open_database, upgrade_schema
from bot.app import App, build_app
from bot.settings import Settings
from tests.databases import ENGINES, fresh_database
from tests.fakes import FakeClock


@pytest.fixture(autouse=True)
def user_data_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads or writes the real user data folder (default database, console history)."""
    home = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 31, 9, 0, tzinfo=UTC))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(engine, tmp_path) as url:
        yield url


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    """The whole app on an upgraded, empty database, with a fake clock."""
    settings = Settings(database_url=database_url, hold_wait_seconds=0.5)
    db = open_database(database_url, pool_size=5)
    try:
        await upgrade_schema(db)
        yield build_app(settings, db=db, clock=clock)
    finally:
        await db.dispose()

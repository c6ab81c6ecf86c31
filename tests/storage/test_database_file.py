"""A SQLite file is created only when asked; every error names the file or server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.storage import DatabaseUnavailable, check_schema, open_database, upgrade_schema
from adapters.storage.database import DatabaseMissing


async def test_a_handle_that_may_not_create_refuses_a_missing_file(tmp_path: Path) -> None:
    file = tmp_path / "setget.db"
    db = open_database(f"sqlite:///{file}", create=False)
    try:
        with pytest.raises(DatabaseMissing, match=f"there is no database at {file}: run "):
            await check_schema(db)
    finally:
        await db.dispose()
    assert not file.exists()


async def test_a_handle_that_may_not_create_uses_an_existing_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'setget.db'}"
    creator = open_database(url)
    try:
        await upgrade_schema(creator)
    finally:
        await creator.dispose()
    db = open_database(url, create=False)
    try:
        await check_schema(db)
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
    finally:
        await db.dispose()


async def test_an_unreachable_server_is_named_with_the_cause_and_no_password() -> None:
    db = open_database("postgresql://bob:hunter2@127.0.0.1:9/setget", create=False)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await check_schema(db)
    finally:
        await db.dispose()
    assert str(caught.value) == (
        "cannot reach the database at postgresql://bob:***@127.0.0.1:9/setget: connection refused"
    )

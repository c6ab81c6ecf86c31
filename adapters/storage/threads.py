"""Conversation threads and their turns in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import threads, turns
from adapters.storage.write_behind import write_rows
from core.assistant.threads import Thread, Turn, TurnSpeaker
from core.workspaces import Platform


class SqlThreadStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_thread(
        self, *, workspace_id: int, platform: Platform, key: str, project: str | None, now: datetime
    ) -> Thread:
        """The thread under `key`, created on first use (concurrent first uses make one)."""
        thread, _ = await self.resume_thread(
            workspace_id=workspace_id,
            platform=platform,
            key=key,
            project=project,
            now=now,
            history=0,
        )
        return thread

    async def resume_thread(
        self,
        *,
        workspace_id: int,
        platform: Platform,
        key: str,
        project: str | None,
        now: datetime,
        history: int,
    ) -> tuple[Thread, list[Turn]]:
        async with self._db.read() as conn:
            found = await _thread(conn, workspace_id, platform, key)
            if found is not None:
                return found, await _latest_turns(conn, found.id, history)
        values = {
            "workspace_id": workspace_id,
            "platform": platform.value,
            "key": key,
            "project": project,
            "created_at": now.astimezone(UTC),
        }
        async with self._db.write() as conn:
            new = (await conn.execute(self._db.prepared("new_thread", _new_thread), values)).first()
            if new is not None:
                return _thread_from_row(new), []  # a thread just made has no turns yet
            created = await _thread(conn, workspace_id, platform, key)  # another's: it won
            assert created is not None
            return created, await _latest_turns(conn, created.id, history)

    async def find_thread(self, workspace_id: int, platform: Platform, key: str) -> Thread | None:
        async with self._db.read() as conn:
            return await _thread(conn, workspace_id, platform, key)

    async def add_turns(self, *added: Turn) -> None:
        if not added:
            return
        async with self._db.write() as conn:
            await insert_turns(conn, added)

    async def turns(self, thread_id: int, *, limit: int) -> list[Turn]:
        """The latest `limit` turns, oldest first."""
        if limit <= 0:
            return []
        async with self._db.read() as conn:
            return await _latest_turns(conn, thread_id, limit)


def _new_thread(db: Database) -> Any:
    return db.insert(threads).on_conflict_do_nothing().returning(threads)


# Built once, with parameters: the hot path skips rebuilding a statement and its cache key.
_LATEST_TURNS = (
    select(turns)
    .where(turns.c.thread_id == bindparam("t"))
    .order_by(turns.c.id.desc())
    .limit(bindparam("n", type_=Integer))
)
_FIND_THREAD = select(threads).where(
    threads.c.workspace_id == bindparam("w"),
    threads.c.platform == bindparam("p"),
    threads.c.key == bindparam("k"),
)


async def _latest_turns(conn: AsyncConnection, thread_id: int, limit: int) -> list[Turn]:
    if limit <= 0:
        return []
    rows = await conn.execute(_LATEST_TURNS, {"t": thread_id, "n": limit})
    return [_turn(r) for r in rows][::-1]


TURNS_INSERT = turns.insert()


async def insert_turns(conn: AsyncConnection, added: Sequence[Turn]) -> None:
    """Append turns in the caller's transaction."""
    await write_rows(conn, TURNS_INSERT, turn_rows(added))


def turn_rows(added: Sequence[Turn]) -> list[dict[str, Any]]:
    return [
        {
            "thread_id": turn.thread_id,
            "speaker": turn.speaker.value,
            "text": turn.text,
            "member_id": turn.member_id,
            "at": turn.at.astimezone(UTC),
        }
        for turn in added
    ]


async def _thread(
    conn: AsyncConnection, workspace_id: int, platform: Platform, key: str
) -> Thread | None:
    params = {"w": workspace_id, "p": platform.value, "k": key}
    row = (await conn.execute(_FIND_THREAD, params)).one_or_none()
    return None if row is None else _thread_from_row(row)


def _thread_from_row(row: Any) -> Thread:
    return Thread(
        id=row.id,
        workspace_id=row.workspace_id,
        platform=Platform(row.platform),
        key=row.key,
        project=row.project,
        created_at=utc(row.created_at),
    )


def _turn(row: Any) -> Turn:
    return Turn(
        thread_id=row.thread_id,
        speaker=TurnSpeaker(row.speaker),
        text=row.text,
        member_id=row.member_id,
        at=utc(row.at),
    )

"""Conversation threads and their turns in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import threads, turns
from adapters.storage.write_behind import WriteBehind
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
        async with self._db.write() as conn:
            await conn.execute(
                self._db.insert(threads)
                .values(
                    workspace_id=workspace_id,
                    platform=platform.value,
                    key=key,
                    project=project,
                    created_at=now.astimezone(UTC),
                )
                .on_conflict_do_nothing()
            )
            created = await _thread(conn, workspace_id, platform, key)
            assert created is not None
            return created, await _latest_turns(conn, created.id, history)  # another's, if it won

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


async def _latest_turns(conn: AsyncConnection, thread_id: int, limit: int) -> list[Turn]:
    if limit <= 0:
        return []
    rows = await conn.execute(
        select(turns).where(turns.c.thread_id == thread_id).order_by(turns.c.id.desc()).limit(limit)
    )
    return [_turn(r) for r in rows][::-1]


TURNS_INSERT = turns.insert()


async def insert_turns(conn: AsyncConnection, added: Sequence[Turn]) -> None:
    """Append turns in the caller's transaction."""
    await WriteBehind(conn).add(TURNS_INSERT, turn_rows(added))


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
    row = (
        await conn.execute(
            select(threads).where(
                threads.c.workspace_id == workspace_id,
                threads.c.platform == platform.value,
                threads.c.key == key,
            )
        )
    ).one_or_none()
    if row is None:
        return None
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

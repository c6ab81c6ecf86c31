"""Write-behind: rows a transaction writes but does not read back, written together.

An answer's settle adds a ledger entry, counts itself in the usage rollup, and stores its
turns and audit record; nothing later in the same transaction reads those rows, except a
member cap's check of the rollup, which flushes first. Alone, a transaction writes them at
once. In a group commit's shared transaction they are kept, and written at its end with one
`executemany` per statement: 32 answers' four inserts become four statements, not 128.
SQLite's `executemany` applies the rows in order, so two rollup increments of one row both
count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

Row = dict[str, Any]


class WriteBehind:
    def __init__(self, conn: AsyncConnection, *, deferred: bool = False) -> None:
        self._conn = conn
        self._deferred = deferred
        self._pending: dict[Any, list[Row]] = {}  # statement (by identity) -> its rows, in order

    async def add(self, statement: Any, rows: list[Row]) -> None:
        """Write `rows` with `statement` (a statement built once: rows of the same one are
        written together), now or at `flush`."""
        if self._deferred:
            self._pending.setdefault(statement, []).extend(rows)
        else:
            await write_rows(self._conn, statement, rows)

    async def flush(self) -> None:
        """Write what is kept, before anything reads it back and before COMMIT."""
        pending, self._pending = self._pending, {}
        for statement, rows in pending.items():
            await write_rows(self._conn, statement, rows)


async def write_rows(conn: AsyncConnection, statement: Any, rows: list[Row]) -> None:
    """Write `rows` with `statement` at once (nothing for no rows)."""
    if not rows:
        return
    # One row as a plain statement: a list takes executemany's path, slower for one.
    await conn.execute(statement, rows[0] if len(rows) == 1 else rows)

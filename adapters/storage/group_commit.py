"""Group commit: the holds and settles waiting for SQLite's one writer share a transaction.

On SQLite every write of a deployment goes through one writer, so a transaction's fixed cost
(the pool checkout, `BEGIN IMMEDIATE`, `COMMIT`) caps the whole deployment. Units submitted
while the writer is busy, or in the same turn of the event loop, are run one after another
in one transaction and committed together; a lone unit gets a transaction of its own. Nothing
waits to fill a batch, so a quiet bot answers as fast as before.

One unit's failure never fails the others. A unit that raises inside the shared transaction
(a refused hold rolling its own insert back, a settle that needs the balance lock, a database
error) rolls the batch back; the units before it are committed again as a batch, the failed
unit runs `alone` with its full rules in transactions of its own (where it fails, or is
refused, by itself), and the units after it go on as a batch. A batch's `batched` work may
therefore run more than once, which is safe: it only touches the database, and nothing of
a rolled-back attempt remains. A failure to begin or to commit the transaction fails every
unit of the batch, as it would have failed each of them alone.

Only SQLite batches (`Database.is_sqlite`). On PostgreSQL, transactions of other replicas run
side by side and take row locks in the order the credit store keeps (interaction, member or
rollup row, then the balance row); one transaction settling several members would take a
second member's row after the balance row and could deadlock with them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database
from adapters.storage.write_behind import WriteBehind

T = TypeVar("T")
Batched = Callable[[AsyncConnection, WriteBehind], Awaitable[T]]
Alone = Callable[[], Awaitable[T]]

# Units per transaction: long enough to amortise BEGIN and COMMIT (about 0.1 ms together
# here) over statements of about 0.05 ms each, short enough that a batch holds the writer
# for a few milliseconds at most.
MAX_BATCH = 32


@dataclass
class _Unit(Generic[T]):
    batched: Batched[T]
    alone: Alone[T]
    future: asyncio.Future[T]


class _UnitFailed(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


class _FlushFailed(Exception):
    """Writing the batch's write-behind rows failed: no one unit is to blame."""


class GroupCommit:
    """Runs concurrent units of write work in shared transactions, committed together."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: list[_Unit[Any]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.transactions = 0  # shared transactions committed (for tests and benchmarks)

    async def run(self, batched: Batched[T], alone: Alone[T]) -> T:
        """`batched(conn, later)` in a shared transaction (`later` keeps the rows nothing
        reads back, written at the batch's end); `alone()` instead if it raises there."""
        loop = asyncio.get_running_loop()
        unit: _Unit[T] = _Unit(batched, alone, loop.create_future())
        self._queue.append(unit)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await unit.future

    async def _drain(self) -> None:
        batch: list[_Unit[Any]] = []
        try:
            while self._queue:
                batch = [u for u in self._queue[: self._max_batch] if not u.future.done()]
                del self._queue[: self._max_batch]
                await self._commit(batch)
        except BaseException as exc:  # cancelled with the loop: nobody may wait forever
            for unit in [*batch, *self._queue]:
                _fail(unit, exc)
            self._queue.clear()
            raise
        finally:
            self._drainer = None

    async def _commit(self, batch: list[_Unit[Any]]) -> None:
        if not batch:
            return
        results: list[Any] = []
        try:
            async with self._db.write() as conn:
                later = WriteBehind(conn, deferred=True)
                for unit in batch:
                    try:
                        results.append(await unit.batched(conn, later))
                    except Exception as exc:
                        raise _UnitFailed(len(results)) from exc
                try:
                    await later.flush()
                except Exception as exc:
                    raise _FlushFailed from exc
        except _UnitFailed as failed:
            k = failed.index
            await self._commit(batch[:k])
            await self._alone(batch[k])
            await self._commit(batch[k + 1 :])
            return
        except _FlushFailed:
            for unit in batch:
                await self._alone(unit)
            return
        except BaseException as exc:
            for unit in batch:
                _fail(unit, exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.transactions += 1
        for unit, result in zip(batch, results, strict=True):
            if not unit.future.done():
                unit.future.set_result(result)

    async def _alone(self, unit: _Unit[Any]) -> None:
        try:
            result = await unit.alone()
        except Exception as exc:
            _fail(unit, exc)
        else:
            if not unit.future.done():
                unit.future.set_result(result)


def _fail(unit: _Unit[Any], exc: BaseException) -> None:
    if unit.future.done():
        return
    if isinstance(exc, asyncio.CancelledError):
        unit.future.cancel()
    else:
        unit.future.set_exception(exc)

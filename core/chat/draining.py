"""The answers this process has in flight, and its shutdown: stop taking new ones, let those
in flight finish within a grace period, then cancel what is left.

A cancelled answer charges nothing (`Assistant.ask` gives its hold back) and its claim stays
open, so the recovery job of another process (or of this one after its restart) answers it
again in the same placeholder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainReport:
    finished: int  # answers in flight that ended within the grace period
    cancelled: int  # answers still running when it ran out


class AnswersInFlight:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    @property
    def closing(self) -> bool:
        """True once shutting down: new messages are left to other processes."""
        return self._closing

    def __len__(self) -> int:
        return sum(not task.done() for task in self._tasks)

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """The running task answers a message for the block's duration."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    def close(self) -> None:
        self._closing = True

    async def drain(self, grace: float) -> DrainReport:
        """Stop taking answers, wait up to `grace` seconds for those in flight, cancel the
        rest (and wait for them to give their holds back)."""
        self.close()
        pending = {task for task in self._tasks if not task.done()}
        if not pending:
            return DrainReport(finished=0, cancelled=0)
        logger.info("waiting up to %.0f s for %d answer(s) in flight", grace, len(pending))
        done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            logger.warning("cancelled %d answer(s) still running after %.0f s", len(late), grace)
        return DrainReport(finished=len(done), cancelled=len(late))

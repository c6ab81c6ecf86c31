"""Ctrl-C at the console: it stops the answer in progress (whose hold then goes back, so
nothing is charged), and while the console waits for a line it leaves.

A terminal sends Ctrl-C as SIGINT while an answer prints (prompt_toolkit reads it as a key at
the prompt). The handler replaces asyncio's own one, which would cancel the whole program
with a traceback, for as long as the console runs. An answer is stopped where it writes its
next words (`Interrupted` from the stream), outside any database transaction; one that writes
nothing within `GRACE` seconds (waiting for a model), or a second Ctrl-C, cancels its task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from types import FrameType, TracebackType
from typing import Any, TypeVar

from core.credits.pool import CreditPool
from core.workspaces import Workspace

logger = logging.getLogger(__name__)
T = TypeVar("T")
GRACE = 1.0  # seconds an answer has to reach its next words before its task is cancelled


class Interrupted(BaseException):
    """Raised where an answer writes its next words once the person pressed Ctrl-C; a
    BaseException, so that no `except Exception` on the way takes it for a failure to retry
    or to tell."""


class Interrupts:
    """While entered (in the main thread): Ctrl-C stops the work `run` is doing, raises
    KeyboardInterrupt inside `reading()`, and otherwise asks the console to leave."""

    def __init__(self, *, grace: float = GRACE) -> None:
        self._grace = grace
        self._task: asyncio.Task[Any] | None = None
        self._stop: Callable[[], None] = lambda: None
        self._stopping = False  # Ctrl-C was pressed once during this work
        self._cancel_later: asyncio.TimerHandle | None = None
        self._reading = False
        self._previous: Any = None
        self._installed = False
        self.leave = False  # Ctrl-C came between lines: leave at the next one

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    async def run(self, work: Awaitable[T], *, stop: Callable[[], None]) -> tuple[T | None, bool]:
        """What `work` returns, and whether Ctrl-C stopped it first; `stop` asks it to raise
        `Interrupted` where it can."""

        async def whole() -> T:
            return await work

        task = asyncio.ensure_future(whole())
        self._task, self._stop, self._stopping = task, stop, False
        try:
            return await task, False
        except Interrupted:
            return None, True
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the console itself is being cancelled, not just this answer
            return None, True
        finally:
            self._task = None
            if self._cancel_later is not None:
                self._cancel_later.cancel()
                self._cancel_later = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        self._reading = True
        try:
            yield
        finally:
            self._reading = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        """In a signal handler: only flags here, the loop does the rest."""
        task = self._task
        if task is not None and not task.done():
            loop = task.get_loop()
            if self._stopping:  # the second Ctrl-C: at once
                loop.call_soon_threadsafe(task.cancel)
            else:  # the first: at the next words, or after the grace
                self._stopping = True
                self._stop()
                loop.call_soon_threadsafe(self._cancel_after_grace, task)
        elif self._reading:
            raise KeyboardInterrupt
        else:
            self.leave = True

    def _cancel_after_grace(self, task: asyncio.Task[Any]) -> None:
        if task is self._task and not task.done():
            self._cancel_later = task.get_loop().call_later(self._grace, task.cancel)


async def close_interrupted_charge(pool: CreditPool, workspace: Workspace, key: str) -> int:
    """Close the charge of an answer that was stopped: its hold goes back and nothing can be
    charged under its key any more. Returns what it had cost if it was charged before it
    stopped (0: nothing was charged). When the database cannot be reached the hold expires
    by itself, uncharged."""
    if await pool.release(workspace, key=key):
        return 0
    # No hold under the key: the answer was stopped before its hold, or after its charge.
    # Reserving the key reads what is there; a new hold is given back at once.
    hold = await pool.reserve(workspace, key=key, member=None)
    if hold.already_answered:
        return hold.interaction.credits
    if not hold.duplicate:
        await pool.release(workspace, key=key)
    return 0

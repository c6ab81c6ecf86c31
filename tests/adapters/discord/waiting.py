"""Waiting, without sleeping, until a fake has seen enough: calls, frames, resumes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Signal:
    """`notify()` after each change; `wait_until(condition)` wakes on each and re-checks."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def notify(self) -> None:
        for event in self._events:
            event.set()

    async def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float,  # noqa: ASYNC109 - a deadline for the test, not I/O
        describe: Callable[[], str],
    ) -> None:
        """AssertionError naming what was expected (`describe()`) when `timeout` passes first."""
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    event = asyncio.Event()
                    self._events.append(event)
                    try:
                        await event.wait()
                    finally:
                        self._events.remove(event)
        except TimeoutError:
            raise AssertionError(f"expected {describe()} within {timeout}s") from None


class Seen(Generic[T]):
    """What a client's event handlers saw, in order; `await seen.at_least(n)` waits for n."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._signal = Signal()

    def add(self, item: T) -> None:
        self.items.append(item)
        self._signal.notify()

    async def at_least(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> list[T]:
        await self._signal.wait_until(
            lambda: len(self.items) >= count,
            timeout=timeout,
            describe=lambda: f"{count} item(s) seen, got {self.items!r}",
        )
        return list(self.items)

"""Plan benefits when the bot is busy: per-workspace rate limits, and business first.

`RateLimits` refuses a workspace's request beyond its plan's requests per minute (counted in
the store, so every replica sees the same count). `PriorityGate` bounds the LLM calls in
flight in this process; when it is saturated, waiting business and enterprise requests go
before the others (first come, first served within a class).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from core.errors import CreditsUnavailable
from core.plans import PLAN_TERMS, Plan
from core.workspaces import Workspace

WINDOW = timedelta(minutes=1)


class RateLimited(CreditsUnavailable):
    def __init__(self, *, workspace: str, per_minute: int) -> None:
        super().__init__(
            f"workspace {workspace!r} reached its limit of {per_minute} AI requests a minute; "
            "try again in a moment"
        )
        self.per_minute = per_minute


class RecentRequests(Protocol):
    async def count_since(self, workspace_id: int, since: datetime) -> int:
        """AI interactions the workspace started since `since` (on every replica)."""
        ...


class RateLimits:
    def __init__(self, *, requests: RecentRequests, per_minute: Mapping[Plan, int]) -> None:
        self._requests = requests
        self._per_minute = per_minute

    async def admit(self, workspace: Workspace, now: datetime) -> None:
        limit = self._per_minute.get(workspace.plan)
        if limit is None:
            return
        if await self._requests.count_since(workspace.id, now - WINDOW) >= limit:
            raise RateLimited(workspace=workspace.name, per_minute=limit)


class PriorityGate:
    """At most `capacity` holders; waiters with priority go first when it is full."""

    def __init__(self, capacity: int) -> None:
        self._free = capacity
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def slot(self, workspace: Workspace) -> AsyncIterator[None]:
        await self._acquire(0 if PLAN_TERMS[workspace.plan].priority else 1)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, rank: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the slot as we were cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

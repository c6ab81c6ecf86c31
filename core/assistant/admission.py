"""Plan benefits when the bot is busy: per-workspace rate limits, and business first.

`RateLimits` says how many AI requests a minute a workspace's plan allows (self-hosted
workspaces too: the limit protects the bot, not the pool); the hold counts them in the
store under the workspace's balance lock (`CreditPool.reserve(per_minute=...)`), so a burst
on every replica admits exactly the limit. `PriorityGate` bounds the LLM calls in flight in
this process; when it is saturated, waiting business and enterprise requests go before the
others (first come, first served within a class).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from core.errors import RateLimited
from core.plans import PLAN_TERMS, Plan
from core.workspaces import Workspace

__all__ = ["PriorityGate", "RateLimited", "RateLimits"]


class RateLimits:
    def __init__(self, *, per_minute: Mapping[Plan, int], member_share: float = 1.0) -> None:
        self._per_minute = per_minute
        self._member_share = member_share

    def per_minute(self, workspace: Workspace) -> int | None:
        """The AI requests a minute the workspace's plan allows; None for no limit."""
        return self._per_minute.get(workspace.plan)

    def per_member_minute(self, workspace: Workspace) -> int | None:
        """The share of them one member may take (at least one); None for no limit."""
        limit = self.per_minute(workspace)
        if limit is None or self._member_share >= 1:
            return None
        return max(1, math.ceil(limit * self._member_share))


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

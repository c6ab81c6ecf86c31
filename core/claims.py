"""Claimed platform messages: each message a platform delivers is answered by one claimant."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.workspaces import Platform


class EventClaims(Protocol):
    async def claim(self, platform: Platform, key: str, now: datetime) -> bool:
        """True for the first claim of `key`; every later claim (a retry, a replica) is False."""
        ...

    async def forget_before(self, cutoff: datetime) -> int: ...

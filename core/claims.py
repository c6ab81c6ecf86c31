"""Claimed platform messages: each message a platform delivers is answered by one claimant.

A claim is leased, not owned for good. While its answer runs the claimant renews the lease;
a claimant that crashed (`kill -9`, a lost machine) stops renewing, and once the lease has
expired a later delivery of the message (a platform retry) or the recovery job takes the
claim over and answers it again. Each takeover counts an attempt, and the attempt is the
fencing token: a claimant that was taken over can no longer renew, note its reply or finish.
After `ClaimPolicy.attempts` attempts the message is given up and the person told so.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.clock import Clock
from core.workspaces import Platform

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claimant silent this long is taken for crashed


class ClaimState(enum.StrEnum):
    CLAIMED = "claimed"  # an answer is in progress, or its claimant crashed
    ANSWERED = "answered"  # the person got the answer, or was told why there is none
    GIVEN_UP = "given_up"  # every attempt failed; the person was told


@dataclass(frozen=True)
class ClaimPolicy:
    lease: timedelta = LEASE
    attempts: int = 3  # answers tried before the message is given up

    @property
    def renew_every(self) -> timedelta:
        return self.lease / 3


@dataclass(frozen=True)
class Claim:
    platform: Platform
    key: str
    attempt: int  # 1 for the first claimant; each takeover adds one
    message: str  # what the platform adapter needs to answer again (its own JSON)
    reply: str | None  # the platform's id of the placeholder, once posted
    received_at: datetime
    claimed_until: datetime

    @property
    def charge_key(self) -> str:
        """The idempotency key of this attempt's charge: `slack:{key}` for the first, and a
        new key for each takeover (the earlier attempts' keys are closed first)."""
        return attempt_charge_key(self.platform, self.key, self.attempt)

    @property
    def earlier_charge_keys(self) -> tuple[str, ...]:
        return tuple(attempt_charge_key(self.platform, self.key, n) for n in range(1, self.attempt))


def attempt_charge_key(platform: Platform, key: str, attempt: int) -> str:
    base = f"{platform.value}:{key}"
    return base if attempt == 1 else f"{base}#{attempt}"


class EventClaims(Protocol):
    async def claim(
        self,
        platform: Platform,
        key: str,
        now: datetime,
        *,
        message: str = "",
        lease: timedelta = LEASE,
    ) -> Claim | None:
        """The claim, ours until `now + lease`, for a new key or for an unfinished claim whose
        lease expired (a new attempt; the message stored first is kept). None while another
        claimant holds it or once it is finished: a retry, a replica, the other event of the
        same message."""
        ...

    async def note_reply(self, claim: Claim, reply: str) -> None:
        """Remember the placeholder, so that a later attempt edits it instead of a new one."""
        ...

    async def renew(self, claim: Claim, *, now: datetime, lease: timedelta) -> bool:
        """Extend the lease; False when the claim was taken over or finished."""
        ...

    async def finish(self, claim: Claim, state: ClaimState = ClaimState.ANSWERED) -> bool:
        """Close the claim (its message is forgotten); False when it was taken over."""
        ...

    async def unfinished(self, platform: Platform, *, now: datetime, limit: int) -> list[Claim]:
        """Claims whose claimant stopped renewing: the oldest expired leases first."""
        ...

    async def forget_before(self, cutoff: datetime) -> int: ...


@contextlib.asynccontextmanager
async def lease_kept(
    claims: EventClaims, claim: Claim, *, clock: Clock, policy: ClaimPolicy
) -> AsyncIterator[None]:
    """Renew the lease while the block runs, so a slow answer is not taken for a crashed one.

    Renewal waits in real time (not the clock port): the lease only has to outlast the
    pauses of a live process, which tests never reach.
    """

    async def renew() -> None:
        while True:
            await asyncio.sleep(policy.renew_every.total_seconds())
            try:
                if not await claims.renew(claim, now=clock.now(), lease=policy.lease):
                    logger.warning("claim %s was taken over while answering", claim.key)
                    return
            except Exception as exc:  # the next renewal may get through
                logger.warning("renewing claim %s failed: %s", claim.key, type(exc).__name__)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

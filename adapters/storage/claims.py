"""Claimed platform events in SQL: leased claims, taken over by conditional UPDATEs.

The primary key decides who answers a new message; a claim left unfinished past its lease
goes to whoever's `UPDATE ... WHERE state = 'claimed' AND claimed_until < now` changes the
row (one winner on SQLite and PostgreSQL alike); every later write of a claimant names its
attempt, so one that was taken over changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, select, update

from adapters.storage.database import Database, utc
from adapters.storage.tables import platform_events
from core.claims import LEASE, Claim, ClaimState
from core.workspaces import Platform

_E = platform_events.c
CLAIMED = ClaimState.CLAIMED.value


def _new_claim(db: Database) -> Any:
    return db.insert(platform_events).on_conflict_do_nothing().returning(platform_events)


class SqlEventClaims:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        platform: Platform,
        key: str,
        now: datetime,
        *,
        message: str = "",
        lease: timedelta = LEASE,
    ) -> Claim | None:
        until = now + lease
        values = {
            "platform": platform.value,
            "event_key": key,
            "received_at": now,
            "state": CLAIMED,
            "attempts": 1,
            "claimed_until": until,
            "message": message,
            "reply": None,
        }
        async with self._db.write() as conn:
            row = (await conn.execute(self._db.prepared("new_claim", _new_claim), values)).first()
            if row is None:  # known: take it over only if its claimant stopped renewing
                row = (
                    await conn.execute(
                        update(platform_events)
                        .where(_key(platform, key), _E.state == CLAIMED, _E.claimed_until < now)
                        .values(attempts=_E.attempts + 1, claimed_until=until)
                        .returning(platform_events)
                    )
                ).first()
        return _claim(row) if row is not None else None

    async def note_reply(self, claim: Claim, reply: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(_NOTE_REPLY, {**_held_params(claim), "new_reply": reply})

    async def renew(self, claim: Claim, *, now: datetime, lease: timedelta) -> bool:
        async with self._db.write() as conn:
            renewed = await conn.execute(_RENEW, {**_held_params(claim), "until": now + lease})
        return bool(renewed.rowcount == 1)

    async def finish(self, claim: Claim, state: ClaimState = ClaimState.ANSWERED) -> bool:
        async with self._db.write() as conn:
            params = {**_held_params(claim), "new_state": state.value}
            finished = await conn.execute(_FINISH, params)
        return bool(finished.rowcount == 1)

    async def unfinished(self, platform: Platform, *, now: datetime, limit: int) -> list[Claim]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(platform_events)
                .where(_E.state == CLAIMED, _E.claimed_until < now, _E.platform == platform.value)
                .order_by(_E.claimed_until)
                .limit(limit)
            )
            return [_claim(row) for row in rows]

    async def forget_before(self, cutoff: datetime) -> int:
        async with self._db.write() as conn:
            gone = await conn.execute(delete(platform_events).where(_E.received_at < cutoff))
        return int(gone.rowcount)


def _key(platform: Platform, key: str) -> ColumnElement[bool]:
    return and_(_E.platform == platform.value, _E.event_key == key)


# The claim as this attempt holds it: not finished, not taken over. The statements that
# change it are built once, with parameters (each answer runs two of them).
_HELD = and_(
    _E.platform == bindparam("p"),
    _E.event_key == bindparam("k"),
    _E.state == CLAIMED,
    _E.attempts == bindparam("a"),
)
_NOTE_REPLY = update(platform_events).where(_HELD).values(reply=bindparam("new_reply"))
_RENEW = update(platform_events).where(_HELD).values(claimed_until=bindparam("until"))
_FINISH = update(platform_events).where(_HELD).values(state=bindparam("new_state"), message=None)


def _held_params(claim: Claim) -> dict[str, Any]:
    return {"p": claim.platform.value, "k": claim.key, "a": claim.attempt}


def _claim(row: Any) -> Claim:
    return Claim(
        platform=Platform(row.platform),
        key=row.event_key,
        attempt=row.attempts,
        message=row.message or "",
        reply=row.reply,
        received_at=utc(row.received_at),
        claimed_until=utc(row.claimed_until),
    )

"""Interaction rows: converting them, and claiming one for its single settlement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.balance_rows import current_balance
from adapters.storage.database import Database, utc
from adapters.storage.tables import interactions
from core.credits.balance import ChargeSplit
from core.credits.interactions import Charge, Interaction, InteractionState
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import ReservationClosed
from core.ports import HoldRequest, SettleRequest

HELD = InteractionState.HELD.value


def interaction_from_row(row: Any) -> Interaction:
    return Interaction(
        id=row.id,
        workspace_id=row.workspace_id,
        key=row.key,
        member_id=row.member_id,
        state=InteractionState(row.state),
        reserved=row.reserved,
        credits=row.credits,
        written_off=row.written_off,
        interaction_type=InteractionType(row.interaction_type) if row.interaction_type else None,
        usage=TokenUsage(
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            estimated=bool(row.tokens_estimated),
        ),
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        settled_at=utc(row.settled_at) if row.settled_at else None,
    )


def new_interaction(request: HoldRequest) -> dict[str, Any]:
    return {
        "workspace_id": request.ctx.workspace_id,
        "key": request.key,
        "member_id": request.member_id,
        "state": HELD,
        "reserved": request.amount,
        "credits": 0,
        "pack_credits": 0,
        "written_off": 0,
        "interaction_type": None,
        "input_tokens": 0,
        "output_tokens": 0,
        "tokens_estimated": False,
        "created_at": request.ctx.now,
        "expires_at": request.expires_at,
        "settled_at": None,
    }


def _claim(_db: Database) -> Any:
    i = interactions.c
    return (
        update(interactions)
        .where(
            i.workspace_id == bindparam("w"),
            i.key == bindparam("k"),
            # Not `in_`: its expanding parameter renders the statement again on every call.
            (i.state == HELD) | (i.state == InteractionState.EXPIRED.value),
        )
        .values(
            state=InteractionState.SETTLED.value,
            # What it still holds (an expired hold was already given back): SET sees old values.
            reserved=case((i.state == HELD, i.reserved), else_=0),
            credits=bindparam("credits"),
            pack_credits=0,
            written_off=0,
            interaction_type=bindparam("kind"),
            input_tokens=bindparam("input_tokens"),
            output_tokens=bindparam("output_tokens"),
            tokens_estimated=bindparam("estimated"),
            settled_at=bindparam("now"),
        )
        .returning(interactions)
    )


async def claim(db: Database, conn: AsyncConnection, request: SettleRequest) -> Any:
    """Mark a held (or expired) interaction settled, assuming its full price is paid.

    Returns the row, whose `reserved` is what it still held, or None when there is nothing
    to settle under the key. The row stays locked until the transaction ends.
    """
    params = {
        "w": request.ctx.workspace_id,
        "k": request.key,
        "credits": request.credits,
        "kind": request.interaction_type.value,
        "input_tokens": request.usage.input_tokens,
        "output_tokens": request.usage.output_tokens,
        "estimated": request.usage.estimated,
        "now": request.ctx.now,
    }
    return (await conn.execute(db.prepared("claim", _claim), params)).first()


async def settled_before(conn: AsyncConnection, request: SettleRequest) -> Charge:
    """The earlier charge for a key settled before; refuse a key never held or released."""
    row = (
        await conn.execute(
            select(interactions).where(
                interactions.c.workspace_id == request.ctx.workspace_id,
                interactions.c.key == request.key,
            )
        )
    ).first()
    if row is None:
        raise ReservationClosed(f"no AI interaction is held under key {request.key!r}")
    if row.state != InteractionState.SETTLED.value:
        raise ReservationClosed(
            f"the AI interaction {request.key!r} was released without an answer"
        )
    balance, _ = await current_balance(conn, request.ctx)
    split = ChargeSplit(
        monthly=row.credits - row.pack_credits, packs=row.pack_credits, written_off=row.written_off
    )
    return Charge(interaction_from_row(row), split, balance, (), duplicate=True)


async def started_since(
    conn: AsyncConnection, workspace_id: int, since: datetime, *, member_id: int | None = None
) -> int:
    """Interactions of the workspace (of one member of it) created since `since`, this
    transaction's included.

    Rate limits call it as a statement of its own once the balance lock is held: on
    PostgreSQL (READ COMMITTED) its snapshot then has every hold that committed before.
    """
    if member_id is None:
        total = await conn.scalar(_STARTED_SINCE, {"w": workspace_id, "since": since})
    else:
        params = {"w": workspace_id, "since": since, "m": member_id}
        total = await conn.scalar(_MEMBER_STARTED_SINCE, params)
    return int(total or 0)


_STARTED_SINCE = (
    select(func.count())
    .select_from(interactions)
    .where(
        interactions.c.workspace_id == bindparam("w"),
        interactions.c.created_at >= bindparam("since"),
    )
)
_MEMBER_STARTED_SINCE = _STARTED_SINCE.where(interactions.c.member_id == bindparam("m"))

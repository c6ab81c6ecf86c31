"""Answering a claimed message, and answering it again after its claimant crashed, charging
at most once.

Each attempt charges under its own key (`Claim.charge_key`). A crashed attempt left one of:
(a) nothing under its key, (b) a hold, (c) a settled charge whose reply never reached the
person. Before a later attempt asks the model, every earlier key is closed: a hold still held
is released, so the crashed attempt can never settle it, and a key with nothing under it gets
a hold that is released at once, so it never will; a settled charge is not paid twice: the
answer recorded with it (the audit log) is shown again, with what it cost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.assistant.audit import AuditLog
from core.assistant.conversation import Answer, AskAI, Assistant, OnTool
from core.claims import Claim
from core.credits.balance import ChargeSplit
from core.credits.interactions import Charge, Interaction
from core.credits.pool import CreditPool
from core.credits.pricing import InteractionType
from core.llm import OnText
from core.workspaces import Workspace

# Audit records carry the writer's clock; replicas' clocks differ by a little.
CLOCK_SKEW = timedelta(minutes=10)
LOST = (
    "This question was answered, and charged once, but the answer was lost before it could "
    "be shown. Nothing more is charged for it."
)


async def ask_for_claim(
    assistant: Assistant,
    request: AskAI,
    *,
    claim: Claim,
    pool: CreditPool,
    audit: AuditLog,
    on_text: OnText | None = None,
    on_tool: OnTool | None = None,
) -> Answer:
    """The answer to `request` for this attempt of `claim` (its `event_id` is replaced)."""
    request = replace(request, event_id=claim.charge_key)
    if claim.attempt > 1:
        earlier = await _close_earlier_attempts(request.workspace, claim, pool=pool, audit=audit)
        if earlier is not None:
            return earlier
    return await assistant.ask(request, on_text=on_text, on_tool=on_tool)


async def release_attempts(workspace: Workspace, claim: Claim, *, pool: CreditPool) -> None:
    """Give back what earlier attempts still hold (a claim given up answers no more)."""
    for key in claim.earlier_charge_keys:
        await pool.release(workspace, key=key)


async def _close_earlier_attempts(
    workspace: Workspace, claim: Claim, *, pool: CreditPool, audit: AuditLog
) -> Answer | None:
    """The answer an earlier attempt was charged for, if any; otherwise none of them can be
    charged any more."""
    for key in claim.earlier_charge_keys:
        await pool.release(workspace, key=key)  # (b): a crashed attempt's hold goes back
        # Reserving an existing key reads it; a new key is held here so nobody holds it later.
        hold = await pool.reserve(workspace, key=key, member=None)
        if hold.already_answered:  # (c)
            return await _recorded_answer(workspace, claim, hold.interaction, pool, audit)
        if not hold.duplicate:  # (a)
            await pool.release(workspace, key=key)
    return None


async def _recorded_answer(
    workspace: Workspace,
    claim: Claim,
    interaction: Interaction,
    pool: CreditPool,
    audit: AuditLog,
) -> Answer:
    records = await audit.entries(workspace.id, since=claim.received_at - CLOCK_SKEW)
    record = next(
        (r for r in reversed(records) if r.event_id == interaction.key and r.outcome == "answered"),
        None,
    )
    balance = (await pool.status(workspace)).balance if workspace.metered else None
    split = ChargeSplit(monthly=interaction.credits, packs=0, written_off=interaction.written_off)
    return Answer(
        text=record.answer if record else LOST,
        interaction_type=interaction.interaction_type or InteractionType.SIMPLE_QUESTION,
        usage=interaction.usage,
        charge=Charge(interaction, split, balance, (), duplicate=True),
        proposals=(),
        model=record.model if record else "",
    )

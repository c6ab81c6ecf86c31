"""The in-memory fakes keep an answer's charge and its record together, as the SQL store does.

Unit tests of the conversation run on these fakes, so they must fail the way the database
does: a refused turn or audit write leaves nothing charged, nothing recorded, nothing held.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.llm.tokens import count_text
from core.admin import WorkspaceAdmin
from core.assistant.actions import ActionDesk, ActionState
from core.assistant.conversation import AskAI, Assistant
from core.assistant.tools import WorkTools
from core.credits.pool import CreditPool
from core.credits.pricing import PricingRule
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform
from tests.assistant_fakes import (
    InMemoryActions,
    InMemoryAudit,
    InMemoryThreads,
    ScriptedModel,
    text_reply,
    tool_reply,
)
from tests.fakes import FakeClock, InMemoryStore
from tests.work_fakes import InMemoryWorkItemStore


class Refused(Exception):
    pass


@pytest.mark.parametrize("failing", ["turns", "audit"])
async def test_a_refused_record_charges_nothing_and_withdraws_proposals(
    clock: FakeClock, failing: str
) -> None:
    threads, audit, actions = InMemoryThreads(), InMemoryAudit(), InMemoryActions()
    store, work = InMemoryStore(threads=threads, audit=audit), InMemoryWorkItemStore()
    admin = WorkspaceAdmin(workspaces=store, credits=store, clock=clock)
    workspace = await admin.create("acme", plan=Plan.PRO)
    await work.replace_all(workspace.id, demo_dataset(clock.now().date()))
    member = await store.ensure_member(workspace.id, Platform.CONSOLE, "ann", "ann")
    pool = CreditPool(store=store, clock=clock, pricing=PricingRule())
    assistant = Assistant(
        pool=pool,
        model=ScriptedModel(
            [
                tool_reply("propose_create_work_item", project="WEB", title="Fix header"),
                text_reply("I proposed it."),
            ]
        ),
        tools=WorkTools(work),
        threads=threads,
        actions=ActionDesk(actions=actions, work=work, clock=clock, ttl=timedelta(hours=1)),
        clock=clock,
        count_tokens=lambda text: count_text(text, model="gpt-4o-mini"),
    )
    (threads if failing == "turns" else audit).fail_with = Refused("injected failure")

    with pytest.raises(Refused):
        await assistant.ask(
            AskAI(workspace, member, Platform.CONSOLE, "t1", "ev1", "Create 'Fix header'")
        )

    balance = (await pool.status(workspace)).balance
    assert (balance.monthly_used, balance.reserved) == (0, 0)
    assert threads.turns_by_thread == {}
    assert audit.records == []
    assert [a.state for a in actions.actions.values()] == [ActionState.EXPIRED]

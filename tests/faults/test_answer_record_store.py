"""The stores write an answer's record with its charge: once, whichever settle path commits.

On every store (in memory, SQLite, PostgreSQL): a charge within the monthly allocation (the
SQL fast path), one drawing on a pack and one written off (the path under the balance lock),
a repeated settle of the same key, and a release, each with its record.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.storage import (
    SqlAuditLog,
    SqlCreditStore,
    SqlThreadStore,
    SqlWorkspaceStore,
    open_database,
    upgrade_schema,
)
from core.admin import WorkspaceAdmin
from core.assistant.audit import AuditLog, AuditRecord
from core.assistant.threads import Thread, ThreadStore, Turn, TurnSpeaker
from core.credits.pool import CreditPool
from core.credits.pricing import InteractionType, PricingRule, TokenUsage
from core.plans import Plan
from core.ports import AnswerRecord, CreditStore, WorkspaceStore
from core.workspaces import Member, Platform, Workspace
from tests.databases import fresh_database
from tests.fakes import FakeClock, InMemoryStore

SIMPLE = InteractionType.SIMPLE_QUESTION


def usage_for(credits: int) -> TokenUsage:
    return TokenUsage(input_tokens=4000 * credits - 1000, output_tokens=250)


@dataclass
class Books:
    workspaces: WorkspaceStore
    credits: CreditStore
    threads: ThreadStore
    audit: AuditLog
    clock: FakeClock

    @property
    def admin(self) -> WorkspaceAdmin:
        return WorkspaceAdmin(workspaces=self.workspaces, credits=self.credits, clock=self.clock)

    @property
    def pool(self) -> CreditPool:
        return CreditPool(store=self.credits, clock=self.clock, pricing=PricingRule())


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def books(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Books]:
    if request.param == "memory":
        store = InMemoryStore()
        yield Books(store, store, store.threads, store.audit, clock)
        return
    async with fresh_database(str(request.param), tmp_path) as url:
        db = open_database(url, pool_size=5)
        try:
            await upgrade_schema(db)
            yield Books(
                SqlWorkspaceStore(db),
                SqlCreditStore(db),
                SqlThreadStore(db),
                SqlAuditLog(db),
                clock,
            )
        finally:
            await db.dispose()


def record(thread: Thread, member: Member, key: str, *, outcome: str = "answered") -> AnswerRecord:
    at = thread.created_at
    return AnswerRecord(
        turns=(
            Turn(thread.id, TurnSpeaker.MEMBER, f"question {key}", member.id, at),
            Turn(thread.id, TurnSpeaker.ASSISTANT, f"answer {key}", None, at),
        ),
        audit=AuditRecord(
            workspace_id=thread.workspace_id,
            thread_id=thread.id,
            member_id=member.id,
            event_id=key,
            at=at,
            prompt=f"question {key}",
            answer=f"answer {key}",
            tools=(),
            input_tokens=0,
            output_tokens=0,
            tokens_estimated=False,
            credits=0,
            interaction_type=SIMPLE.value,
            model="test-model",
            outcome=outcome,
        ),
    )


async def setup(books: Books) -> tuple[Workspace, Member, Thread]:
    workspace = await books.admin.create("acme", plan=Plan.ENTERPRISE, allocation=2)
    await books.admin.grant("acme", 5, reason="goodwill")
    member = await books.workspaces.ensure_member(workspace.id, Platform.SLACK, "U1", "ann")
    thread = await books.threads.open_thread(
        workspace_id=workspace.id,
        platform=Platform.SLACK,
        key="C1:1.0",
        project=None,
        now=books.clock.now(),
    )
    return workspace, member, thread


async def test_each_answer_is_recorded_once_with_what_its_charge_took(books: Books) -> None:
    workspace, member, thread = await setup(books)
    pool = books.pool
    charged = {}
    # 1 credit of the monthly 2; 5 drawing on the pack; 6 with 1 left: 5 written off
    for key, price in (("quick", 1), ("pack", 5), ("last", 6)):
        await pool.reserve(workspace, key=key, member=member)
        answer = record(thread, member, key)
        charge = await pool.settle(
            workspace, key=key, usage=usage_for(price), interaction_type=SIMPLE, record=answer
        )
        again = await pool.settle(
            workspace, key=key, usage=usage_for(price), interaction_type=SIMPLE, record=answer
        )
        assert again.duplicate
        charged[key] = charge.credits
    assert charged == {"quick": 1, "pack": 5, "last": 1}

    audit = await books.audit.entries(workspace.id, since=None)
    assert [(r.event_id, r.credits) for r in audit] == [("quick", 1), ("pack", 5), ("last", 1)]
    turns = await books.threads.turns(thread.id, limit=50)
    assert [t.text for t in turns] == [
        f"{kind} {key}" for key in ("quick", "pack", "last") for kind in ("question", "answer")
    ]


async def test_a_release_records_why_there_is_no_answer_once(books: Books) -> None:
    workspace, member, thread = await setup(books)
    pool = books.pool
    await pool.reserve(workspace, key="failed", member=member)
    failure = record(thread, member, "failed", outcome="provider_error").audit

    assert await pool.release(workspace, key="failed", record=failure)
    assert not await pool.release(workspace, key="failed", record=failure)

    audit = await books.audit.entries(workspace.id, since=None)
    assert [(r.event_id, r.outcome) for r in audit] == [("failed", "provider_error")]
    assert (await pool.status(workspace)).balance.reserved == 0


async def test_a_hold_that_expired_while_the_provider_failed_is_still_audited(
    books: Books,
) -> None:
    workspace, member, thread = await setup(books)
    pool = books.pool
    await pool.reserve(workspace, key="slow", member=member)
    books.clock.advance(minutes=10)
    assert await pool.release_expired(workspace) == 1
    failure = record(thread, member, "slow", outcome="provider_error").audit

    assert not await pool.release(workspace, key="slow", record=failure)

    audit = await books.audit.entries(workspace.id, since=None)
    assert [(r.event_id, r.outcome) for r in audit] == [("slow", "provider_error")]

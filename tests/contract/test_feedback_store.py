"""Feedback on answers, on every store: one verdict per person and answer, found only for the
answers of the workspace asking, and kept once when the same click arrives twice at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.storage import (
    SqlAuditLog,
    SqlCreditStore,
    SqlFeedbackStore,
    SqlThreadStore,
    SqlWorkspaceStore,
    open_database,
    upgrade_schema,
)
from core.admin import WorkspaceAdmin
from core.assistant.audit import AuditLog, AuditRecord
from core.assistant.feedback import Feedback, FeedbackStore
from core.plans import Plan
from core.ports import WorkspaceStore
from core.workspaces import Member, Platform, Workspace
from tests.assistant_fakes import InMemoryAudit
from tests.chat_fakes import InMemoryFeedback
from tests.databases import fresh_database
from tests.fakes import FakeClock, InMemoryStore


@dataclass
class Stores:
    admin: WorkspaceAdmin
    workspaces: WorkspaceStore
    audit: AuditLog
    feedback: FeedbackStore
    threads: SqlThreadStore | None
    clock: FakeClock

    async def answered(
        self, workspace: Workspace, member: Member, event_id: str, **kw: str
    ) -> None:
        """An audit record of an interaction of `workspace` under `event_id`."""
        thread_id = 1
        if self.threads is not None:
            thread = await self.threads.open_thread(
                workspace_id=workspace.id,
                platform=Platform.SLACK,
                key=event_id,
                project=None,
                now=self.clock.now(),
            )
            thread_id = thread.id
        await self.audit.record(
            AuditRecord(
                workspace_id=workspace.id,
                thread_id=thread_id,
                member_id=member.id,
                event_id=event_id,
                at=self.clock.now(),
                prompt="How many open items are in WEB?",
                answer="12 open items.",
                tools=("count_items",),
                input_tokens=900,
                output_tokens=40,
                tokens_estimated=False,
                credits=1,
                interaction_type="simple_question",
                model="test",
                outcome=kw.get("outcome", "answered"),
            )
        )

    def verdict(self, workspace: Workspace, member: Member, event_id: str, *, up: bool) -> Feedback:
        return Feedback(workspace.id, event_id, member.id, up, self.clock.now())


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Stores]:
    if request.param == "memory":
        store, audit = InMemoryStore(), InMemoryAudit()
        admin = WorkspaceAdmin(workspaces=store, credits=store, clock=clock)
        yield Stores(admin, store, audit, InMemoryFeedback(audit.records), None, clock)
        return
    async with fresh_database(str(request.param), tmp_path) as url:
        db = open_database(url, pool_size=10)
        try:
            await upgrade_schema(db)
            workspaces = SqlWorkspaceStore(db)
            admin = WorkspaceAdmin(workspaces=workspaces, credits=SqlCreditStore(db), clock=clock)
            yield Stores(
                admin,
                workspaces,
                SqlAuditLog(db),
                SqlFeedbackStore(db),
                SqlThreadStore(db),
                clock,
            )
        finally:
            await db.dispose()


async def _acme(stores: Stores) -> tuple[Workspace, Member, Member]:
    acme = await stores.admin.create("acme", plan=Plan.PRO)
    alice = await stores.workspaces.ensure_member(acme.id, Platform.SLACK, "UALICE", "alice")
    bob = await stores.workspaces.ensure_member(acme.id, Platform.SLACK, "UBOB", "bob")
    return acme, alice, bob


async def test_an_answer_is_found_only_in_its_own_workspace(stores: Stores) -> None:
    acme, alice, _ = await _acme(stores)
    beta = await stores.admin.create("beta", plan=Plan.PRO)
    carol = await stores.workspaces.ensure_member(beta.id, Platform.SLACK, "UCAROL", "carol")
    await stores.answered(acme, alice, "slack:T1:C1:1.0")
    await stores.answered(acme, alice, "slack:T1:C1:2.0#2")  # answered by a later attempt
    await stores.answered(acme, alice, "slack:T1:C1:3.0", outcome="provider_error")
    await stores.answered(beta, carol, "slack:T9:C9:1.0")
    feedback = stores.feedback
    assert await feedback.answered(acme.id, "slack:T1:C1:1.0") == "slack:T1:C1:1.0"
    assert await feedback.answered(acme.id, "slack:T1:C1:2.0") == "slack:T1:C1:2.0#2"
    assert await feedback.answered(acme.id, "slack:T1:C1:3.0") is None  # no answer came
    assert await feedback.answered(acme.id, "slack:T1:C1:1.") is None  # a prefix is no key
    assert await feedback.answered(acme.id, "slack:T9:C9:1.0") is None  # beta's answer
    assert await feedback.answered(beta.id, "slack:T9:C9:1.0") == "slack:T9:C9:1.0"


async def test_one_verdict_per_person_the_same_click_kept_once_the_other_replaces(
    stores: Stores,
) -> None:
    acme, alice, bob = await _acme(stores)
    key = "slack:T1:C1:1.0"
    await stores.answered(acme, alice, key)
    feedback = stores.feedback
    assert await feedback.give(stores.verdict(acme, alice, key, up=True)) is True
    stores.clock.advance(minutes=1)
    assert await feedback.give(stores.verdict(acme, alice, key, up=True)) is False
    assert await feedback.give(stores.verdict(acme, bob, key, up=False)) is True
    kept = await feedback.entries(acme.id, since=None)
    assert [(f.member_id, f.positive) for f in kept] == [(alice.id, True), (bob.id, False)]
    assert kept[0].at == stores.clock.now() - timedelta(minutes=1)  # the first click's time
    stores.clock.advance(minutes=1)
    assert await feedback.give(stores.verdict(acme, alice, key, up=False)) is True
    kept = await feedback.entries(acme.id, since=None)
    assert sorted((f.member_id, f.positive) for f in kept) == [(alice.id, False), (bob.id, False)]
    assert await feedback.entries(acme.id, since=stores.clock.now()) == [
        stores.verdict(acme, alice, key, up=False)
    ]


async def test_the_same_click_arriving_twice_at_once_is_kept_once(stores: Stores) -> None:
    acme, alice, _ = await _acme(stores)
    key = "slack:T1:C1:1.0"
    await stores.answered(acme, alice, key)
    clicks = [stores.feedback.give(stores.verdict(acme, alice, key, up=True)) for _ in range(8)]
    changed = await asyncio.gather(*clicks)
    assert changed.count(True) == 1
    assert len(await stores.feedback.entries(acme.id, since=None)) == 1

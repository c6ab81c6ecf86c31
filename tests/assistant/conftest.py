"""The conversation core on in-memory stores, with the demo work-item data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.llm.tokens import count_text
from core.admin import WorkspaceAdmin
from core.assistant.actions import ActionDesk
from core.assistant.admission import RateLimits
from core.assistant.conversation import AskAI, Assistant
from core.assistant.tools import WorkTools
from core.credits.pool import CreditPool
from core.credits.pricing import PricingRule
from core.llm import ChatModel
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.work.model import Dataset
from core.workspaces import Member, Platform, Role, Workspace
from tests.assistant_fakes import InMemoryActions, InMemoryAudit, InMemoryThreads
from tests.fakes import FakeClock, InMemoryStore
from tests.work_fakes import InMemoryWorkItemStore


def count_tokens(text: str) -> int:
    return count_text(text, model="gpt-4o-mini")


@dataclass
class Team:
    clock: FakeClock
    store: InMemoryStore
    work: InMemoryWorkItemStore
    threads: InMemoryThreads
    actions: InMemoryActions
    audit: InMemoryAudit
    admin: WorkspaceAdmin
    pool: CreditPool
    desk: ActionDesk
    workspace: Workspace
    alice: Member  # admin
    bob: Member

    def assistant(
        self, model: ChatModel, *, limits: RateLimits | None = None, max_items: int = 15
    ) -> Assistant:
        return Assistant(
            pool=self.pool,
            model=model,
            tools=WorkTools(self.work, clock=self.clock, max_items=max_items),
            threads=self.threads,
            actions=self.desk,
            clock=self.clock,
            count_tokens=count_tokens,
            limits=limits,
        )

    def ask(
        self,
        text: str,
        *,
        member: Member | None = None,
        workspace: Workspace | None = None,
        event: str = "ev1",
        thread: str = "t1",
        project: str | None = None,
    ) -> AskAI:
        return AskAI(
            workspace=workspace or self.workspace,
            member=member or self.alice,
            platform=Platform.CONSOLE,
            thread_key=thread,
            event_id=event,
            text=text,
            project=project,
        )


async def make_team(clock: FakeClock, dataset: Dataset | None = None) -> Team:
    """A Pro workspace `demo` holding `dataset` (the demo data by default), alice its admin."""
    threads, audit = InMemoryThreads(), InMemoryAudit()
    store, work = InMemoryStore(threads=threads, audit=audit), InMemoryWorkItemStore()
    admin = WorkspaceAdmin(workspaces=store, credits=store, clock=clock)
    workspace = await admin.create("demo", plan=Plan.PRO)
    await work.replace_all(workspace.id, dataset or demo_dataset(clock.now().date()))
    alice = await store.ensure_member(workspace.id, Platform.CONSOLE, "alice", "alice")
    alice = await store.set_role(alice.id, Role.ADMIN)
    bob = await store.ensure_member(workspace.id, Platform.CONSOLE, "bob", "bob")
    actions = InMemoryActions()
    return Team(
        clock=clock,
        store=store,
        work=work,
        threads=threads,
        actions=actions,
        audit=audit,
        admin=admin,
        pool=CreditPool(store=store, clock=clock, pricing=PricingRule()),
        desk=ActionDesk(actions=actions, work=work, clock=clock, ttl=timedelta(hours=1)),
        workspace=workspace,
        alice=alice,
        bob=bob,
    )


@pytest.fixture
async def team(clock: FakeClock) -> Team:
    return await make_team(clock)

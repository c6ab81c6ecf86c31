"""The conversation stores on every backend: in memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.secrets import SecretBox, SecretUnreadable
from adapters.storage import (
    Database,
    SqlActionStore,
    SqlAuditLog,
    SqlCreditStore,
    SqlLLMSettingsStore,
    SqlThreadStore,
    SqlWorkspaceStore,
    open_database,
    upgrade_schema,
)
from adapters.storage.tables import workspace_llm
from core.admin import WorkspaceAdmin
from core.assistant.actions import ActionState, ActionStore, ProposedAction
from core.assistant.audit import AuditLog, AuditRecord
from core.assistant.llm_settings import LLMSettingsStore, WorkspaceLLM
from core.assistant.threads import Thread, ThreadStore, Turn, TurnSpeaker
from core.assistant.tools.proposals import ProposalDraft
from core.errors import InvalidInput
from core.plans import Plan
from core.work.model import ItemState, Priority
from core.work.ports import ChangeResult, ItemChange, NewItem
from core.workspaces import Platform
from tests.assistant_fakes import InMemoryActions, InMemoryAudit, InMemoryThreads
from tests.databases import ENGINES, fresh_database
from tests.fakes import FakeClock
from tests.llm_settings_fake import InMemoryLLMSettings

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
SECRET_KEY = "correct horse battery staple, twice"
API_KEY = "sk-live-0123456789abcdefghij"


@dataclass
class Stores:
    threads: ThreadStore
    actions: ActionStore
    audit: AuditLog
    llm: LLMSettingsStore
    workspace: int
    other: int  # a second workspace, which must never see the first one's data
    members: tuple[int, int, int]  # members of `workspace`
    outsider: int  # a member of `other`
    db: Database | None = None


@asynccontextmanager
async def sql_stores(engine: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Stores]:
    async with fresh_database(engine, tmp_path) as url:
        db = open_database(url, pool_size=5)
        try:
            await upgrade_schema(db)
            workspaces = SqlWorkspaceStore(db)
            admin = WorkspaceAdmin(workspaces=workspaces, credits=SqlCreditStore(db), clock=clock)
            acme = await admin.create("acme", plan=Plan.PRO)
            globex = await admin.create("globex", plan=Plan.PRO)
            ids = [
                (await workspaces.ensure_member(ws.id, Platform.SLACK, f"U{n}", f"m{n}")).id
                for n, ws in enumerate((acme, acme, acme, globex))
            ]
            yield Stores(
                threads=SqlThreadStore(db),
                actions=SqlActionStore(db),
                audit=SqlAuditLog(db),
                llm=SqlLLMSettingsStore(db, SecretBox(SECRET_KEY), clock=clock),
                workspace=acme.id,
                other=globex.id,
                members=(ids[0], ids[1], ids[2]),
                outsider=ids[3],
                db=db,
            )
        finally:
            await db.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Stores]:
    if request.param == "memory":
        yield Stores(
            InMemoryThreads(),
            InMemoryActions(),
            InMemoryAudit(),
            InMemoryLLMSettings(),
            workspace=1,
            other=2,
            members=(1, 2, 3),
            outsider=4,
        )
        return
    async with sql_stores(str(request.param), tmp_path, clock) as found:
        yield found


@pytest.fixture(params=ENGINES)
async def sql(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[Stores, Database]]:
    async with sql_stores(str(request.param), tmp_path, clock) as found:
        assert found.db is not None
        yield found, found.db


async def _thread(
    stores: Stores, key: str = "C1/1700000000.0001", *, other: bool = False
) -> Thread:
    return await stores.threads.open_thread(
        workspace_id=stores.other if other else stores.workspace,
        platform=Platform.SLACK,
        key=key,
        project="WEB",
        now=T0,
    )


# Threads and turns


async def test_a_thread_is_created_on_first_use_and_found_after(stores: Stores) -> None:
    first = await stores.threads.open_thread(
        workspace_id=stores.workspace, platform=Platform.SLACK, key="T1", project="WEB", now=T0
    )
    again = await stores.threads.open_thread(
        workspace_id=stores.workspace,
        platform=Platform.SLACK,
        key="T1",
        project="OPS",
        now=T0 + timedelta(hours=1),
    )
    assert first == again == Thread(first.id, stores.workspace, Platform.SLACK, "T1", "WEB", T0)
    elsewhere = {
        (await stores.threads.open_thread(**where, project=None, now=T0)).id
        for where in (
            {"workspace_id": stores.workspace, "platform": Platform.DISCORD, "key": "T1"},
            {"workspace_id": stores.workspace, "platform": Platform.SLACK, "key": "T2"},
            {"workspace_id": stores.other, "platform": Platform.SLACK, "key": "T1"},
        )
    }
    assert len(elsewhere) == 3
    assert first.id not in elsewhere


async def test_finding_a_thread_never_opens_one(stores: Stores) -> None:
    assert await stores.threads.find_thread(stores.workspace, Platform.SLACK, "T1") is None
    opened = await _thread(stores, "T1")
    assert await stores.threads.find_thread(stores.workspace, Platform.SLACK, "T1") == opened
    assert await stores.threads.find_thread(stores.other, Platform.SLACK, "T1") is None
    assert await stores.threads.find_thread(stores.workspace, Platform.DISCORD, "T1") is None


async def test_concurrent_first_uses_of_a_thread_open_one_thread(stores: Stores) -> None:
    opened = await asyncio.gather(*(_thread(stores, "busy") for _ in range(10)))
    assert len({t.id for t in opened}) == 1
    assert (await _thread(stores, "busy")).id == opened[0].id


async def test_turns_are_the_latest_ones_oldest_first(stores: Stores) -> None:
    thread, other = await _thread(stores), await _thread(stores, "another")
    member = stores.members[0]
    written = [
        Turn(thread.id, TurnSpeaker.MEMBER, f"question {n} “quoted”", member, T0.astimezone(CET))
        if n % 2 == 0
        else Turn(thread.id, TurnSpeaker.ASSISTANT, f"answer {n}", None, T0 + timedelta(n))
        for n in range(5)
    ]
    for turn in written:
        await stores.threads.add_turns(turn)
    assert await stores.threads.turns(thread.id, limit=3) == written[2:]
    assert await stores.threads.turns(thread.id, limit=20) == written
    assert await stores.threads.turns(other.id, limit=20) == []


async def test_resuming_a_thread_opens_it_with_its_latest_turns(stores: Stores) -> None:
    where = {"workspace_id": stores.workspace, "platform": Platform.SLACK, "key": "R1"}
    new, none = await stores.threads.resume_thread(**where, project="WEB", now=T0, history=20)
    assert (new, none) == (Thread(new.id, stores.workspace, Platform.SLACK, "R1", "WEB", T0), [])
    written = [
        Turn(new.id, TurnSpeaker.MEMBER, f"question {n}", stores.members[0], T0 + timedelta(n))
        for n in range(4)
    ]
    await stores.threads.add_turns(*written)
    again, latest = await stores.threads.resume_thread(
        **where, project="OPS", now=T0 + timedelta(days=9), history=3
    )
    assert again == new  # the project and time it was opened with stay
    assert latest == written[1:]
    other, theirs = await stores.threads.resume_thread(
        **{**where, "workspace_id": stores.other}, project=None, now=T0, history=20
    )
    assert other.id != new.id
    assert theirs == []


async def test_concurrent_first_resumes_of_a_thread_open_one_thread(stores: Stores) -> None:
    where = {"workspace_id": stores.workspace, "platform": Platform.SLACK, "key": "busy"}
    opened = await asyncio.gather(
        *(stores.threads.resume_thread(**where, project=None, now=T0, history=5) for _ in range(10))
    )
    assert len({thread.id for thread, _ in opened}) == 1


# Proposed actions

NEW_BUG = ProposalDraft(
    summary="Create bug “Login fails” in WEB",
    new_item=NewItem(
        project="WEB",
        title="Login fails",
        description="500 on /login\nsince the deploy",
        type="bug",
        priority=Priority.HIGH,
        assignee="Ana",
        labels=("auth", "frontend"),
        estimate=3,
        sprint="Sprint 12",
    ),
)
PLAIN_TASK = ProposalDraft(summary="Create task “Tidy up”", new_item=NewItem("WEB", "Tidy up"))
CLOSE_TWO = ProposalDraft(
    summary="Update 2 items: state → done",
    keys=("WEB-1", "WEB-2"),
    change=ItemChange(
        state=ItemState.DONE,
        priority=Priority.URGENT,
        assignee="Bo",
        sprint="Sprint 13",
        add_labels=("release",),
    ),
)
START_ONE = ProposalDraft(
    summary="Update 1 item: state → in_progress",
    keys=("OPS-7",),
    change=ItemChange(state=ItemState.IN_PROGRESS),
)


async def _propose(stores: Stores, draft: ProposalDraft = CLOSE_TWO) -> ProposedAction:
    thread = await _thread(stores)
    return await stores.actions.create(
        workspace_id=stores.workspace,
        thread_id=thread.id,
        requester_id=stores.members[0],
        draft=draft,
        now=T0.astimezone(CET),
        expires_at=T0 + timedelta(minutes=30),
    )


@pytest.mark.parametrize("draft", [NEW_BUG, PLAIN_TASK, CLOSE_TWO, START_ONE])
async def test_a_proposed_action_keeps_its_draft_exactly(
    stores: Stores, draft: ProposalDraft
) -> None:
    created = await _propose(stores, draft)
    assert created.state is ActionState.PENDING
    assert (created.draft, created.created_at, created.results) == (draft, T0, ())
    assert await stores.actions.get(stores.workspace, created.id) == created


async def test_another_workspace_cannot_see_an_action(stores: Stores) -> None:
    created = await _propose(stores)
    assert await stores.actions.get(stores.other, created.id) is None
    assert await stores.actions.get(stores.workspace, created.id + 1000) is None


async def test_a_transition_records_the_decision_and_the_results(stores: Stores) -> None:
    created = await _propose(stores)
    admin, later = stores.members[1], T0 + timedelta(minutes=2)
    results = (
        ChangeResult("WEB-1", applied=True),
        ChangeResult("WEB-2", applied=False, reason="unknown sprint “Sprint 13”"),
    )
    actions = stores.actions
    assert await actions.transition(
        created.id, expected=ActionState.PENDING, to=ActionState.APPLYING, by=admin, now=T0
    )
    assert not await actions.transition(
        created.id, expected=ActionState.PENDING, to=ActionState.REJECTED, by=admin, now=T0
    )
    assert await actions.transition(
        created.id,
        expected=ActionState.APPLYING,
        to=ActionState.APPLIED,
        by=admin,
        now=later.astimezone(CET),
        results=results,
    )
    applied = await actions.get(stores.workspace, created.id)
    assert applied is not None
    assert (applied.state, applied.decided_by, applied.decided_at) == (
        ActionState.APPLIED,
        admin,
        later,
    )
    assert (applied.draft, applied.results) == (CLOSE_TWO, results)


async def test_a_later_transition_without_results_keeps_them(stores: Stores) -> None:
    created = await _propose(stores)
    results = (ChangeResult("WEB-1", applied=True),)
    by = stores.members[0]
    await stores.actions.transition(
        created.id,
        expected=ActionState.PENDING,
        to=ActionState.APPLIED,
        by=by,
        now=T0,
        results=results,
    )
    await stores.actions.transition(
        created.id, expected=ActionState.APPLIED, to=ActionState.EXPIRED, by=None, now=T0
    )
    after = await stores.actions.get(stores.workspace, created.id)
    assert after is not None
    assert (after.state, after.decided_by, after.results) == (ActionState.EXPIRED, None, results)


async def test_only_one_of_concurrent_decisions_wins(stores: Stores) -> None:
    created = await _propose(stores)
    moves = [ActionState.APPLYING, ActionState.REJECTED, ActionState.CANCELLED]
    won = await asyncio.gather(
        *(
            stores.actions.transition(
                created.id,
                expected=ActionState.PENDING,
                to=moves[n % 3],
                by=stores.members[n % 3],
                now=T0,
            )
            for n in range(10)
        )
    )
    assert won.count(True) == 1
    winner = won.index(True)
    after = await stores.actions.get(stores.workspace, created.id)
    assert after is not None
    assert (after.state, after.decided_by) == (moves[winner % 3], stores.members[winner % 3])


# The audit log


def _entry(
    stores: Stores, thread: Thread, at: datetime, event: str, **fields: object
) -> AuditRecord:
    other = thread.workspace_id == stores.other
    record = AuditRecord(
        workspace_id=thread.workspace_id,
        thread_id=thread.id,
        member_id=stores.outsider if other else stores.members[0],
        event_id=event,
        at=at,
        prompt="what is open in WEB? key [redacted]",
        answer="3 items are open: WEB-1, WEB-2 and WEB-5",
        tools=("find_items", "count_items"),
        input_tokens=1200,
        output_tokens=80,
        tokens_estimated=True,
        credits=2,
        interaction_type="tool_lookup",
        model="gpt-4o-mini",
        outcome="answered",
        proposals=(7, 9),
    )
    return replace(record, **fields)


async def test_the_audit_log_lists_a_workspaces_records_since_a_time(stores: Stores) -> None:
    thread, foreign = await _thread(stores), await _thread(stores, other=True)
    records = [
        _entry(stores, thread, T0, "E1"),
        _entry(stores, thread, T0 + timedelta(hours=1), "E2", tools=(), proposals=()),
        _entry(stores, thread, (T0 + timedelta(hours=2)).astimezone(CET), "E3", credits=0),
    ]
    await stores.audit.record(records[0])
    await stores.audit.record(_entry(stores, foreign, T0, "F1"))
    for record in records[1:]:
        await stores.audit.record(record)
    assert await stores.audit.entries(stores.workspace, since=None) == records
    since = T0 + timedelta(hours=1)
    assert await stores.audit.entries(stores.workspace, since=since) == records[1:]
    assert await stores.audit.entries(stores.workspace, since=T0 + timedelta(days=1)) == []
    assert [r.event_id for r in await stores.audit.entries(stores.other, since=None)] == ["F1"]


# Workspace model settings

AZURE = WorkspaceLLM(
    provider="azure",
    model="gpt-4o",
    base_url="https://acme.openai.azure.com",
    azure_deployment="prod-4o",
    api_version="2024-10-21",
    api_key=API_KEY,
)


async def test_model_settings_round_trip_and_are_replaced(stores: Stores) -> None:
    assert await stores.llm.load(stores.workspace) is None
    await stores.llm.save(stores.workspace, AZURE)
    assert await stores.llm.load(stores.workspace) == AZURE
    local = WorkspaceLLM("openai", "llama3.1", "http://127.0.0.1:11434/v1", None, None, None)
    await stores.llm.save(stores.workspace, local)
    assert await stores.llm.load(stores.workspace) == local
    assert await stores.llm.load(stores.other) is None


async def test_the_api_key_is_stored_encrypted(sql: tuple[Stores, Database]) -> None:
    stores, db = sql
    await stores.llm.save(stores.workspace, AZURE)
    async with db.read() as conn:
        stored = await conn.scalar(
            select(workspace_llm.c.api_key_encrypted).where(
                workspace_llm.c.workspace_id == stores.workspace
            )
        )
    assert isinstance(stored, str)
    assert API_KEY not in stored
    assert SecretBox(SECRET_KEY).open(stored) == API_KEY


async def test_a_changed_secret_key_cannot_read_the_stored_key(
    sql: tuple[Stores, Database],
) -> None:
    stores, db = sql
    await stores.llm.save(stores.workspace, AZURE)
    changed = SqlLLMSettingsStore(db, SecretBox("another secret key, not the same"))
    with pytest.raises(SecretUnreadable, match="SETGET_SECRET_KEY changed") as caught:
        await changed.load(stores.workspace)
    assert API_KEY not in str(caught.value)
    with pytest.raises(SecretUnreadable, match="SETGET_SECRET_KEY is not set"):
        await SqlLLMSettingsStore(db, None).load(stores.workspace)


async def test_an_api_key_needs_a_secret_key_to_be_stored(sql: tuple[Stores, Database]) -> None:
    stores, db = sql
    keyless = SqlLLMSettingsStore(db, None)
    with pytest.raises(InvalidInput, match="set SETGET_SECRET_KEY to store an API key"):
        await keyless.save(stores.workspace, AZURE)
    assert await keyless.load(stores.workspace) is None
    without_key = WorkspaceLLM("anthropic", "claude-sonnet-4-5", None, None, None, None)
    await keyless.save(stores.workspace, without_key)
    assert await keyless.load(stores.workspace) == without_key

"""The work-item store on every backend: in memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters.storage import (
    SqlCreditStore,
    SqlWorkItemStore,
    SqlWorkspaceStore,
    open_database,
    upgrade_schema,
)
from core.admin import WorkspaceAdmin
from core.errors import InvalidInput
from core.plans import Plan
from core.work.dataset import canonical_order
from core.work.demo_data import demo_dataset
from core.work.model import (
    Dataset,
    ItemFilter,
    ItemState,
    ItemType,
    Priority,
    Project,
    Sprint,
    WorkItem,
)
from core.work.ports import ChangeResult, ItemChange, NewItem, WorkItemStore
from tests.databases import fresh_database
from tests.fakes import FakeClock
from tests.work_fakes import InMemoryWorkItemStore

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


@dataclass
class Tracker:
    store: WorkItemStore
    clock: FakeClock
    workspace: int
    other: int  # a second workspace, which must never see the first one's data


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def tracker(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Tracker]:
    if request.param == "memory":
        yield Tracker(InMemoryWorkItemStore(clock), clock, workspace=1, other=2)
        return
    async with fresh_database(str(request.param), tmp_path) as url:
        db = open_database(url, pool_size=5)
        try:
            await upgrade_schema(db)
            admin = WorkspaceAdmin(
                workspaces=SqlWorkspaceStore(db), credits=SqlCreditStore(db), clock=clock
            )
            acme = await admin.create("acme", plan=Plan.PRO)
            globex = await admin.create("globex", plan=Plan.PRO)
            yield Tracker(SqlWorkItemStore(db, clock=clock), clock, acme.id, globex.id)
        finally:
            await db.dispose()


def _item(key: str, title: str, **fields: object) -> WorkItem:
    project, number = key.split("-")
    base = WorkItem(
        project=project,
        number=int(number),
        title=title,
        description="",
        type=ItemType.TASK,
        state=ItemState.BACKLOG,
        priority=Priority.NONE,
        assignee=None,
        labels=(),
        estimate=None,
        sprint=None,
        created_at=T0 - timedelta(days=3),
        updated_at=T0,
        completed_at=None,
    )
    return replace(base, **fields)


SMALL = Dataset(
    projects=(Project("WEB", "Website"), Project("API", "Public API"), Project("DOC", "Docs")),
    sprints=(
        Sprint("WEB", "Sprint 2", date(2026, 1, 19), date(2026, 2, 1)),
        Sprint("WEB", "Sprint 1", date(2026, 1, 5), date(2026, 1, 18)),
        Sprint("API", "Sprint 1", date(2026, 1, 5), date(2026, 1, 18)),
    ),
    items=(
        _item("WEB-12", "Write docs for signup_flow", priority=Priority.LOW, labels=("docs",)),
        _item(
            "WEB-1",
            "Login fails on Safari",
            description="Users see 500% more errors",
            type=ItemType.BUG,
            state=ItemState.IN_PROGRESS,
            priority=Priority.HIGH,
            assignee="alice",
            labels=("frontend", "auth"),
            estimate=3,
            sprint="Sprint 1",
            updated_at=T0 + timedelta(hours=1, microseconds=123_456),
        ),
        _item(
            "WEB-2",
            "Pricing page slow",
            description="It takes 6 seconds on mobile",
            type=ItemType.BUG,
            state=ItemState.TODO,
            priority=Priority.URGENT,
            assignee="Bob",
            labels=("perf",),
            sprint="Sprint 2",
            updated_at=T0 + timedelta(hours=2),
        ),
        _item(
            "WEB-5",
            "Dark mode",
            type=ItemType.FEATURE,
            state=ItemState.DONE,
            priority=Priority.MEDIUM,
            assignee="carol",
            labels=("Frontend",),
            estimate=5,
            sprint="Sprint 1",
            completed_at=T0,
        ),
        _item(
            "API-3",
            "Token expiry",
            type=ItemType.FEATURE,
            state=ItemState.TODO,
            priority=Priority.HIGH,
            assignee="alice",
            labels=("backend", "auth"),
            sprint="Sprint 1",
            updated_at=T0 + timedelta(hours=3),
        ),
        _item(
            "API-4",
            "Remove GraphQL",
            type=ItemType.FEATURE,
            state=ItemState.CANCELLED,
            assignee="dave",
            created_at=datetime(2026, 1, 2, 12, tzinfo=timezone(timedelta(hours=2))),
        ),
        _item(
            "API-7",
            "Rate limits",
            type=ItemType.BUG,
            state=ItemState.IN_PROGRESS,
            priority=Priority.HIGH,
            assignee="ALICE",
            labels=("backend",),
            updated_at=T0 + timedelta(hours=5),
        ),
    ),
)


async def _keys(t: Tracker, where: ItemFilter, *, limit: int = 100) -> list[str]:
    return [item.key for item in (await t.store.find(t.workspace, where, limit=limit)).items]


async def _loaded(tracker: Tracker) -> Tracker:
    await tracker.store.replace_all(tracker.workspace, SMALL)
    return tracker


async def test_replace_all_then_export_gives_the_data_back(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    assert await t.store.export(t.workspace) == canonical_order(SMALL)
    demo = demo_dataset(date(2026, 3, 10))
    await t.store.replace_all(t.workspace, demo)
    assert await t.store.export(t.workspace) == demo  # nothing of SMALL is left
    assert await t.store.export(t.other) == Dataset((), (), ())
    await t.store.replace_all(t.workspace, Dataset((), (), ()))
    assert await t.store.export(t.workspace) == Dataset((), (), ())


async def test_projects_and_sprints_are_listed_in_order(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    assert [p.key for p in await t.store.projects(t.workspace)] == ["API", "DOC", "WEB"]
    assert [(s.project, s.name) for s in await t.store.sprints(t.workspace)] == [
        ("API", "Sprint 1"),
        ("WEB", "Sprint 1"),
        ("WEB", "Sprint 2"),
    ]
    assert [s.name for s in await t.store.sprints(t.workspace, "web")] == ["Sprint 1", "Sprint 2"]
    assert await t.store.projects(t.other) == []


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        (ItemFilter(project="web"), {"WEB-1", "WEB-2", "WEB-5", "WEB-12"}),
        (ItemFilter(states=(ItemState.TODO,)), {"WEB-2", "API-3"}),
        (ItemFilter(open_only=True), {"WEB-1", "WEB-2", "WEB-12", "API-3", "API-7"}),
        (ItemFilter(priorities=(Priority.HIGH,)), {"WEB-1", "API-3", "API-7"}),
        (ItemFilter(types=(ItemType.BUG,)), {"WEB-1", "WEB-2", "API-7"}),
        (ItemFilter(assignee=" Alice"), {"WEB-1", "API-3", "API-7"}),
        (ItemFilter(assignee="bob"), {"WEB-2"}),
        (ItemFilter(label="FRONTEND"), {"WEB-1", "WEB-5"}),
        (ItemFilter(label="front"), set()),  # whole labels only
        (ItemFilter(label="frontend,auth"), set()),
        (ItemFilter(sprint="sprint 1"), {"WEB-1", "WEB-5", "API-3"}),
        (ItemFilter(text="safari"), {"WEB-1"}),  # in the title
        (ItemFilter(text="6 SECONDS"), {"WEB-2"}),  # in the description
        (ItemFilter(text="%"), {"WEB-1"}),  # LIKE wildcards match themselves
        (ItemFilter(text="_"), {"WEB-12"}),
        (ItemFilter(keys=("web-2", "API-7", "API-99")), {"WEB-2", "API-7"}),
        (ItemFilter(project="API", sprint="Sprint 1"), {"API-3"}),
        (ItemFilter(project="WEB", open_only=True, assignee="alice"), {"WEB-1"}),
        (ItemFilter(states=(ItemState.DONE, ItemState.CANCELLED)), {"WEB-5", "API-4"}),
        (ItemFilter(), {i.key for i in SMALL.items}),
    ],
)
async def test_every_filter_narrows_the_items(
    tracker: Tracker, where: ItemFilter, keys: set[str]
) -> None:
    t = await _loaded(tracker)
    page = await t.store.find(t.workspace, where, limit=100)
    assert {item.key for item in page.items} == keys
    assert page.total == len(keys)
    assert (await t.store.find(t.other, where, limit=100)).total == 0
    tally = await t.store.tally(t.workspace, where)  # the same matches, counted in groups
    assert tally.groups == Counter((i.state, i.priority, i.type) for i in page.items)
    assert (await t.store.tally(t.other, where)).total == 0


async def test_a_tally_counts_by_state_priority_and_type(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    tally = await t.store.tally(t.workspace, ItemFilter(project="WEB"))
    web = [i for i in SMALL.items if i.project == "WEB"]
    assert tally.total == len(web) == 4
    assert tally.by_state() == Counter(i.state for i in web)
    assert tally.by_priority() == Counter(i.priority for i in web)
    assert tally.by_type() == Counter(i.type for i in web)


async def test_a_bad_key_in_the_filter_is_refused(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    with pytest.raises(InvalidInput, match="bad work item id 'WEB12'"):
        await t.store.find(t.workspace, ItemFilter(keys=("WEB12",)), limit=5)


async def test_most_urgent_then_latest_first_up_to_the_limit(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    everything = ["WEB-2", "API-7", "API-3", "WEB-1", "WEB-5", "WEB-12", "API-4"]
    assert await _keys(t, ItemFilter()) == everything
    page = await t.store.find(t.workspace, ItemFilter(), limit=3)
    assert ([i.key for i in page.items], page.total) == (everything[:3], 7)
    page = await t.store.find(t.workspace, ItemFilter(open_only=True), limit=0)
    assert (page.items, page.total) == ((), 5)
    found = (await t.store.find(t.workspace, ItemFilter(keys=("WEB-1",)), limit=1)).items
    assert found == tuple(i for i in SMALL.items if i.key == "WEB-1")


async def test_create_takes_the_next_number_of_the_project(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    t.clock.set(T0 + timedelta(days=1))
    made = await t.store.create(t.workspace, NewItem(project="web", title="  Add a sitemap "))
    assert (made.key, made.title, made.state) == ("WEB-13", "Add a sitemap", ItemState.BACKLOG)
    assert made.created_at == made.updated_at == T0 + timedelta(days=1)
    planned = await t.store.create(
        t.workspace,
        NewItem(
            project="WEB",
            title="Fix footer",
            type="bug",
            priority=Priority.HIGH,
            assignee="Carol",
            labels=("frontend",),
            estimate=2,
            sprint="SPRINT 2",
        ),
    )
    assert (planned.key, planned.sprint, planned.state) == ("WEB-14", "Sprint 2", ItemState.TODO)
    assert (await t.store.create(t.workspace, NewItem(project="DOC", title="Intro"))).key == "DOC-1"
    found = await t.store.find(
        t.workspace, ItemFilter(assignee="carol", sprint="sprint 2"), limit=5
    )
    assert found.items == (planned,)
    assert made in (await t.store.export(t.workspace)).items


@pytest.mark.parametrize(
    ("new", "words"),
    [
        (NewItem(project="XYZ", title="Nope"), "unknown project 'XYZ' (projects: API, DOC, WEB)"),
        (NewItem(project="WEB", title="Nope", sprint="Sprint 9"), "no sprint named 'Sprint 9'"),
        (NewItem(project="DOC", title="Nope", sprint="Sprint 1"), "DOC has no sprint"),
        (NewItem(project="WEB", title="   "), "needs a title"),
        (NewItem(project="WEB", title="Nope", type="epic"), "unknown type 'epic'"),
        (NewItem(project="WEB", title="Nope", labels=("a,b",)), "bad label 'a,b'"),
    ],
)
async def test_create_refuses_what_does_not_exist_and_uses_no_number(
    tracker: Tracker, new: NewItem, words: str
) -> None:
    t = await _loaded(tracker)
    with pytest.raises(InvalidInput) as refused:
        await t.store.create(t.workspace, new)
    assert words in str(refused.value)
    assert (await t.store.create(t.workspace, NewItem(project="WEB", title="Ok"))).number == 13
    with pytest.raises(InvalidInput, match="unknown project 'WEB'"):
        await t.store.create(t.other, NewItem(project="WEB", title="Elsewhere"))


async def test_concurrent_creates_never_share_a_number(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    made = await asyncio.gather(
        *(t.store.create(t.workspace, NewItem(project="WEB", title=f"Item {n}")) for n in range(12))
    )
    assert sorted(item.number for item in made) == list(range(13, 25))
    assert (await t.store.find(t.workspace, ItemFilter(project="WEB"), limit=0)).total == 16


async def test_update_reports_each_item_on_its_own(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    t.clock.set(T0 + timedelta(days=2))
    results = await t.store.update(
        t.workspace, ["WEB-2", "web-1", "WEB-99", "nonsense"], ItemChange(state=ItemState.DONE)
    )
    assert results[:3] == [
        ChangeResult("WEB-2", applied=True),
        ChangeResult("WEB-1", applied=True),
        ChangeResult("WEB-99", applied=False, reason="no work item WEB-99"),
    ]
    assert (results[3].key, results[3].applied) == ("nonsense", False)
    assert "bad work item id" in results[3].reason
    done = (await t.store.find(t.workspace, ItemFilter(keys=("WEB-2",)), limit=1)).items[0]
    assert (done.state, done.completed_at, done.updated_at) == (
        ItemState.DONE,
        T0 + timedelta(days=2),
        T0 + timedelta(days=2),
    )
    assert await t.store.update(t.other, ["WEB-2"], ItemChange(state=ItemState.TODO)) == [
        ChangeResult("WEB-2", applied=False, reason="no work item WEB-2")
    ]


async def test_update_reopens_relabels_and_reassigns(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    t.clock.set(T0 + timedelta(days=3))
    reopen = ItemChange(state=ItemState.IN_PROGRESS)
    assert await t.store.update(t.workspace, ["WEB-5"], reopen) == [ChangeResult("WEB-5", True)]
    change = ItemChange(
        priority=Priority.LOW, assignee="Dave", add_labels=("perf", "Quick-win", "PERF")
    )
    assert await t.store.update(t.workspace, ["WEB-2"], change) == [ChangeResult("WEB-2", True)]
    items = {i.key: i for i in (await t.store.export(t.workspace)).items}
    assert (items["WEB-5"].state, items["WEB-5"].completed_at) == (ItemState.IN_PROGRESS, None)
    assert items["WEB-5"].updated_at == T0 + timedelta(days=3)
    web2 = items["WEB-2"]
    assert (web2.priority, web2.assignee, web2.labels) == (
        Priority.LOW,
        "Dave",
        ("perf", "Quick-win"),
    )
    assert (web2.state, web2.sprint) == (ItemState.TODO, "Sprint 2")  # unset fields stay
    assert await _keys(t, ItemFilter(assignee="dave")) == ["WEB-2", "API-4"]
    assert await _keys(t, ItemFilter(label="quick-win")) == ["WEB-2"]


async def test_a_sprint_of_another_project_is_refused_per_item(tracker: Tracker) -> None:
    t = await _loaded(tracker)
    results = await t.store.update(t.workspace, ["WEB-1", "API-3"], ItemChange(sprint="sprint 2"))
    assert results[0] == ChangeResult("WEB-1", applied=True)
    assert (results[1].applied, results[1].reason) == (False, "API has no sprint named 'sprint 2'")
    assert await _keys(t, ItemFilter(sprint="Sprint 2")) == ["WEB-2", "WEB-1"]
    api3 = (await t.store.find(t.workspace, ItemFilter(keys=("API-3",)), limit=1)).items
    assert api3 == tuple(i for i in SMALL.items if i.key == "API-3")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (
            replace(SMALL, items=(*SMALL.items, _item("XYZ-1", "Stray"))),
            "project 'XYZ' is not in projects",
        ),
        (replace(SMALL, items=(*SMALL.items, _item("WEB-1", "Twin"))), "id WEB-1 appears twice"),
        (replace(SMALL, items=(_item("API-1", "Lost", sprint="Sprint 2"),)), "not a sprint of API"),
        (
            replace(
                SMALL, sprints=(Sprint("WEB", "Sprint 1", date(2026, 1, 5), date(2026, 1, 1)),)
            ),
            "ends (2026-01-01) before it starts",
        ),
    ],
)
async def test_a_bad_dataset_changes_nothing(tracker: Tracker, bad: Dataset, words: str) -> None:
    t = await _loaded(tracker)
    with pytest.raises(InvalidInput) as refused:
        await t.store.replace_all(t.workspace, bad)
    assert words in str(refused.value)
    assert await t.store.export(t.workspace) == canonical_order(SMALL)

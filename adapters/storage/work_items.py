"""Projects, sprints and work items of each workspace in SQL: the built-in tracker data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.storage.database import Database, utc
from adapters.storage.tables import projects, sprints, work_items
from core.clock import Clock, SystemClock
from core.errors import InvalidInput
from core.work.dataset import canonical_order, check_dataset
from core.work.model import (
    Dataset,
    ItemFilter,
    ItemState,
    ItemType,
    Priority,
    Project,
    Sprint,
    WorkItem,
    parse_item_key,
)
from core.work.ports import ChangeResult, ItemChange, ItemPage, ItemTally, NewItem

_CLOSED = (ItemState.DONE.value, ItemState.CANCELLED.value)
_URGENT_FIRST = case(
    {p.value: rank for rank, p in enumerate(Priority)}, value=work_items.c.priority
)


class SqlWorkItemStore:
    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def projects(self, workspace_id: int) -> list[Project]:
        async with self._db.read() as conn:
            return await _projects(conn, workspace_id)

    async def sprints(self, workspace_id: int, project: str | None = None) -> list[Sprint]:
        async with self._db.read() as conn:
            found = await _sprints(conn, workspace_id)
        wanted = None if project is None else project.strip().upper()
        return [s for s in found if wanted in (None, s.project)]

    async def find(self, workspace_id: int, where: ItemFilter, *, limit: int) -> ItemPage:
        """Matching items, most urgent first, then most recently updated."""
        w = work_items.c
        matching = _conditions(workspace_id, where)
        async with self._db.read() as conn:
            total = await conn.scalar(select(func.count()).select_from(work_items).where(*matching))
            if limit <= 0 or not total:
                return ItemPage(items=(), total=int(total or 0))
            rows = await conn.execute(
                select(work_items)
                .where(*matching)
                .order_by(_URGENT_FIRST, w.updated_at.desc(), w.project, w.number)
                .limit(limit)
            )
            return ItemPage(items=tuple(_item(r) for r in rows), total=int(total))

    async def tally(self, workspace_id: int, where: ItemFilter) -> ItemTally:
        w = work_items.c
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(w.state, w.priority, w.type, func.count())
                .where(*_conditions(workspace_id, where))
                .group_by(w.state, w.priority, w.type)
            )
            return ItemTally(
                {
                    (ItemState(state), Priority(priority), ItemType(kind)): int(count)
                    for state, priority, kind, count in rows
                }
            )

    async def create(self, workspace_id: int, item: NewItem) -> WorkItem:
        project = item.project.strip().upper()
        now = self._clock.now()
        async with self._db.write() as conn:
            number = await conn.scalar(
                update(projects)
                .where(projects.c.workspace_id == workspace_id, projects.c.key == project)
                .values(last_number=projects.c.last_number + 1)
                .returning(projects.c.last_number)
            )
            if number is None:
                known = ", ".join(p.key for p in await _projects(conn, workspace_id)) or "none"
                raise InvalidInput(f"unknown project {project!r} (projects: {known})")
            sprint = await _sprint_named(conn, workspace_id, project, item.sprint)
            created = replace(item, sprint=sprint).build(number, now=now)
            await conn.execute(work_items.insert().values(_row(workspace_id, created)))
        return created

    async def update(
        self, workspace_id: int, keys: Sequence[str], change: ItemChange
    ) -> list[ChangeResult]:
        """Apply `change` to each key; each item applies or fails on its own."""
        now = self._clock.now()
        async with self._db.write() as conn:
            return [await _update_one(conn, workspace_id, key, change, now=now) for key in keys]

    async def replace_all(self, workspace_id: int, dataset: Dataset) -> None:
        """Replace the workspace's data in one transaction: all of it or nothing."""
        check_dataset(dataset)
        last = {p.key: 0 for p in dataset.projects}
        for item in dataset.items:
            last[item.project] = max(last[item.project], item.number)
        async with self._db.write() as conn:
            for table in (work_items, sprints, projects):
                await conn.execute(delete(table).where(table.c.workspace_id == workspace_id))
            rows: list[tuple[Any, list[dict[str, Any]]]] = [
                (projects, [_project_row(workspace_id, p, last[p.key]) for p in dataset.projects]),
                (sprints, [_sprint_row(workspace_id, s) for s in dataset.sprints]),
                (work_items, [_row(workspace_id, i) for i in dataset.items]),
            ]
            for table, values in rows:
                if values:
                    await conn.execute(table.insert(), values)

    async def export(self, workspace_id: int) -> Dataset:
        async with self._db.read() as conn:
            found = await conn.execute(
                select(work_items).where(work_items.c.workspace_id == workspace_id)
            )
            items = tuple(_item(r) for r in found)
            dataset = Dataset(
                projects=tuple(await _projects(conn, workspace_id)),
                sprints=tuple(await _sprints(conn, workspace_id)),
                items=items,
            )
        return canonical_order(dataset)


async def _update_one(
    conn: AsyncConnection, workspace_id: int, key: str, change: ItemChange, *, now: datetime
) -> ChangeResult:
    try:
        project, number = parse_item_key(key)
    except InvalidInput as exc:
        return ChangeResult(key=key, applied=False, reason=str(exc))
    w = work_items.c
    mine = (w.workspace_id == workspace_id, w.project == project, w.number == number)
    row = (await conn.execute(select(work_items).where(*mine).with_for_update())).first()
    key = f"{project}-{number}"
    if row is None:
        return ChangeResult(key=key, applied=False, reason=f"no work item {key}")
    try:
        sprint = await _sprint_named(conn, workspace_id, project, change.sprint)
        changed = replace(change, sprint=sprint).apply_to(_item(row), now=now)
    except InvalidInput as exc:
        return ChangeResult(key=key, applied=False, reason=str(exc))
    await conn.execute(update(work_items).where(*mine).values(_row(workspace_id, changed)))
    return ChangeResult(key=key, applied=True)


async def _sprint_named(
    conn: AsyncConnection, workspace_id: int, project: str, name: str | None
) -> str | None:
    """The sprint's name as stored (people type `sprint 12`); refuses another project's."""
    if name is None:
        return None
    s = sprints.c
    stored = await conn.scalar(
        select(s.name)
        .where(s.workspace_id == workspace_id, s.project == project)
        .where(func.lower(s.name) == name.strip().lower())
        .order_by(s.name)
        .limit(1)
    )
    if stored is None:
        raise InvalidInput(f"{project} has no sprint named {name.strip()!r}")
    return str(stored)


async def _projects(conn: AsyncConnection, workspace_id: int) -> list[Project]:
    p = projects.c
    rows = await conn.execute(select(p.key, p.name).where(p.workspace_id == workspace_id))
    return sorted((Project(key=r.key, name=r.name) for r in rows), key=lambda x: x.key)


async def _sprints(conn: AsyncConnection, workspace_id: int) -> list[Sprint]:
    s = sprints.c
    rows = await conn.execute(
        select(s.project, s.name, s.start, s.end).where(s.workspace_id == workspace_id)
    )
    found = [Sprint(project=r.project, name=r.name, start=r.start, end=r.end) for r in rows]
    return sorted(found, key=lambda x: (x.project, x.start, x.name))


def _conditions(workspace_id: int, where: ItemFilter) -> list[ColumnElement[bool]]:
    """`where` as SQL: every field that is set narrows the match."""
    w = work_items.c
    found: list[ColumnElement[bool]] = [w.workspace_id == workspace_id]
    if where.project:
        found.append(w.project == where.project.strip().upper())
    if where.states:
        found.append(w.state.in_([s.value for s in where.states]))
    if where.open_only:
        found.append(w.state.not_in(_CLOSED))
    if where.priorities:
        found.append(w.priority.in_([p.value for p in where.priorities]))
    if where.types:
        found.append(w.type.in_([t.value for t in where.types]))
    return found + _text_conditions(where)


def _text_conditions(where: ItemFilter) -> list[ColumnElement[bool]]:
    """The parts people type: case does not matter, and `%` or `_` match themselves."""
    w = work_items.c
    assignee, label, sprint, words = (
        (text or "").strip().lower()
        for text in (where.assignee, where.label, where.sprint, where.text)
    )
    found: list[ColumnElement[bool]] = []
    if assignee:
        found.append(w.assignee_key == assignee.casefold())
    if label:  # no label holds a comma, so `a,b` finds nothing rather than two labels
        found.append(
            false()
            if "," in label
            else func.lower(w.labels).contains(f",{label},", autoescape=True)
        )
    if sprint:
        found.append(func.lower(w.sprint) == sprint)
    if words:
        title, description = func.lower(w.title), func.lower(w.description)
        found.append(
            or_(
                title.contains(words, autoescape=True), description.contains(words, autoescape=True)
            )
        )
    if where.keys:
        pairs = [parse_item_key(key) for key in where.keys]
        found.append(or_(*(and_(w.project == p, w.number == n) for p, n in pairs)))
    return found


def _item(row: Any) -> WorkItem:
    return WorkItem(
        project=row.project,
        number=row.number,
        title=row.title,
        description=row.description,
        type=ItemType(row.type),
        state=ItemState(row.state),
        priority=Priority(row.priority),
        assignee=row.assignee,
        labels=tuple(label for label in row.labels.split(",") if label),
        estimate=row.estimate,
        sprint=row.sprint,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        completed_at=None if row.completed_at is None else utc(row.completed_at),
    )


def _row(workspace_id: int, item: WorkItem) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "project": item.project,
        "number": item.number,
        "title": item.title,
        "description": item.description,
        "type": item.type.value,
        "state": item.state.value,
        "priority": item.priority.value,
        "assignee": item.assignee,
        "assignee_key": None if item.assignee is None else item.assignee.casefold(),
        "labels": f",{','.join(item.labels)}," if item.labels else "",
        "estimate": item.estimate,
        "sprint": item.sprint,
        "created_at": item.created_at.astimezone(UTC),
        "updated_at": item.updated_at.astimezone(UTC),
        "completed_at": None if item.completed_at is None else item.completed_at.astimezone(UTC),
    }


def _project_row(workspace_id: int, project: Project, last_number: int) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "key": project.key,
        "name": project.name,
        "last_number": last_number,
    }


def _sprint_row(workspace_id: int, sprint: Sprint) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "project": sprint.project,
        "name": sprint.name,
        "start": sprint.start,
        "end": sprint.end,
    }

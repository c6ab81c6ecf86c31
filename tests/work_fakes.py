"""An in-memory work-item store with the SQL store's semantics, for unit tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from core.clock import Clock
from core.errors import InvalidInput
from core.work.dataset import canonical_order, check_dataset
from core.work.model import (
    Dataset,
    ItemFilter,
    Priority,
    Project,
    Sprint,
    WorkItem,
    parse_item_key,
)
from core.work.ports import ChangeResult, ItemChange, ItemPage, ItemTally, NewItem

_RANK = {p: rank for rank, p in enumerate(Priority)}


@dataclass
class _Tracker:
    projects: dict[str, Project] = field(default_factory=dict)
    last_number: dict[str, int] = field(default_factory=dict)
    sprints: list[Sprint] = field(default_factory=list)
    items: dict[tuple[str, int], WorkItem] = field(default_factory=dict)

    def sprint_named(self, project: str, name: str | None) -> str | None:
        if name is None:
            return None
        wanted = name.strip().lower()
        found = sorted(s.name for s in self.sprints if s.project == project)
        for stored in found:
            if stored.lower() == wanted:
                return stored
        raise InvalidInput(f"{project} has no sprint named {name.strip()!r}")


class InMemoryWorkItemStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock
        self._trackers: dict[int, _Tracker] = {}

    def _now(self) -> datetime:
        return self._clock.now() if self._clock else datetime.now(UTC)

    def _tracker(self, workspace_id: int) -> _Tracker:
        return self._trackers.setdefault(workspace_id, _Tracker())

    async def projects(self, workspace_id: int) -> list[Project]:
        return sorted(self._tracker(workspace_id).projects.values(), key=lambda p: p.key)

    async def sprints(self, workspace_id: int, project: str | None = None) -> list[Sprint]:
        wanted = None if project is None else project.strip().upper()
        found = [s for s in self._tracker(workspace_id).sprints if wanted in (None, s.project)]
        return sorted(found, key=lambda s: (s.project, s.start, s.name))

    async def find(self, workspace_id: int, where: ItemFilter, *, limit: int) -> ItemPage:
        keys = {parse_item_key(key) for key in where.keys}
        found = [
            item
            for item in self._tracker(workspace_id).items.values()
            if matches(item, where) and (not keys or (item.project, item.number) in keys)
        ]
        found.sort(key=lambda i: (i.project, i.number))
        found.sort(key=lambda i: i.updated_at, reverse=True)
        found.sort(key=lambda i: _RANK[i.priority])
        return ItemPage(items=tuple(found[: max(limit, 0)]), total=len(found))

    async def tally(self, workspace_id: int, where: ItemFilter) -> ItemTally:
        every = (await self.find(workspace_id, where, limit=1_000_000)).items
        return ItemTally(Counter((i.state, i.priority, i.type) for i in every))

    async def create(self, workspace_id: int, item: NewItem) -> WorkItem:
        tracker = self._tracker(workspace_id)
        project = item.project.strip().upper()
        if project not in tracker.projects:
            known = ", ".join(sorted(tracker.projects)) or "none"
            raise InvalidInput(f"unknown project {project!r} (projects: {known})")
        sprint = tracker.sprint_named(project, item.sprint)
        number = tracker.last_number[project] + 1
        created = replace(item, sprint=sprint).build(number, now=self._now())
        tracker.last_number[project] = number
        tracker.items[(project, number)] = created
        return created

    async def update(
        self, workspace_id: int, keys: Sequence[str], change: ItemChange
    ) -> list[ChangeResult]:
        tracker, now = self._tracker(workspace_id), self._now()
        results = []
        for raw in keys:
            try:
                project, number = parse_item_key(raw)
            except InvalidInput as exc:
                results.append(ChangeResult(key=raw, applied=False, reason=str(exc)))
                continue
            key, item = f"{project}-{number}", tracker.items.get((project, number))
            if item is None:
                results.append(ChangeResult(key=key, applied=False, reason=f"no work item {key}"))
                continue
            try:
                sprint = tracker.sprint_named(project, change.sprint)
                tracker.items[(project, number)] = replace(change, sprint=sprint).apply_to(
                    item, now=now
                )
            except InvalidInput as exc:
                results.append(ChangeResult(key=key, applied=False, reason=str(exc)))
                continue
            results.append(ChangeResult(key=key, applied=True))
        return results

    async def replace_all(self, workspace_id: int, dataset: Dataset) -> None:
        check_dataset(dataset)
        tracker = _Tracker(
            projects={p.key: p for p in dataset.projects},
            last_number={p.key: 0 for p in dataset.projects},
            sprints=list(dataset.sprints),
            items={(i.project, i.number): i for i in dataset.items},
        )
        for item in dataset.items:
            tracker.last_number[item.project] = max(tracker.last_number[item.project], item.number)
        self._trackers[workspace_id] = tracker

    async def export(self, workspace_id: int) -> Dataset:
        tracker = self._tracker(workspace_id)
        return canonical_order(
            Dataset(
                projects=tuple(tracker.projects.values()),
                sprints=tuple(tracker.sprints),
                items=tuple(tracker.items.values()),
            )
        )


def matches(item: WorkItem, where: ItemFilter) -> bool:
    """What `where` means (keys aside), as the SQL store applies it."""
    assignee, label, sprint, words = (
        (text or "").strip().lower()
        for text in (where.assignee, where.label, where.sprint, where.text)
    )
    checks = (
        not where.project or item.project == where.project.strip().upper(),
        not where.states or item.state in where.states,
        not where.open_only or item.state.is_open,
        not where.priorities or item.priority in where.priorities,
        not where.types or item.type in where.types,
        not assignee or (item.assignee or "").casefold() == assignee.casefold(),
        not label or label in {x.lower() for x in item.labels},
        not sprint or (item.sprint or "").lower() == sprint,
        not words or words in item.title.lower() or words in item.description.lower(),
    )
    return all(checks)

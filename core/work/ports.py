"""The work-item store port: the built-in SQL store now, a remote tracker (SetGet/Plane
REST API) later; the assistant's tools only see this."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from core.errors import InvalidInput
from core.work.model import (
    Dataset,
    ItemFilter,
    ItemState,
    ItemType,
    Priority,
    Project,
    Sprint,
    WorkItem,
    clean_labels,
    parse_choice,
)


@dataclass(frozen=True)
class ItemPage:
    items: tuple[WorkItem, ...]  # at most the limit asked for, most relevant first
    total: int  # how many matched in all


@dataclass(frozen=True)
class ItemTally:
    """How many items matched, by state, priority and type together (one read gives every
    breakdown a summary shows)."""

    groups: Mapping[tuple[ItemState, Priority, ItemType], int]

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    def by_state(self) -> Counter[ItemState]:
        return self._by(0)

    def by_priority(self) -> Counter[Priority]:
        return self._by(1)

    def by_type(self) -> Counter[ItemType]:
        return self._by(2)

    def _by(self, part: int) -> Counter[Any]:
        counts: Counter[Any] = Counter()
        for group, count in self.groups.items():
            counts[group[part]] += count
        return counts


@dataclass(frozen=True)
class NewItem:
    project: str
    title: str
    description: str = ""
    type: str = "task"
    priority: Priority = Priority.NONE
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    estimate: int | None = None
    sprint: str | None = None

    def build(self, number: int, *, now: datetime) -> WorkItem:
        """The item as created: in `todo` when planned into a sprint, else in `backlog`.

        The store checks that the project and sprint exist and picks the number.
        """
        title = self.title.strip()
        if not title:
            raise InvalidInput("a work item needs a title")
        if self.estimate is not None and self.estimate < 0:
            raise InvalidInput(f"estimate must be zero or more, not {self.estimate}")
        now = now.astimezone(UTC)
        return WorkItem(
            project=self.project.strip().upper(),
            number=number,
            title=title,
            description=self.description.strip(),
            type=parse_choice(ItemType, self.type, what="type"),
            state=ItemState.TODO if self.sprint else ItemState.BACKLOG,
            priority=self.priority,
            assignee=(self.assignee or "").strip() or None,
            labels=clean_labels(self.labels),
            estimate=self.estimate,
            sprint=self.sprint,
            created_at=now,
            updated_at=now,
            completed_at=None,
        )


@dataclass(frozen=True)
class ItemChange:
    """Fields to set on existing items; `None` leaves a field as it is."""

    state: ItemState | None = None
    priority: Priority | None = None
    assignee: str | None = None
    sprint: str | None = None
    add_labels: tuple[str, ...] = ()

    def apply_to(self, item: WorkItem, *, now: datetime) -> WorkItem:
        """The changed item; any state may follow any other (a done item can be reopened).

        Becoming done stamps `completed_at`; leaving done clears it. The store checks that
        a new sprint belongs to the item's project.
        """
        state = item.state if self.state is None else self.state
        completed = item.completed_at
        if state is not item.state:
            completed = now.astimezone(UTC) if state is ItemState.DONE else None
        return replace(
            item,
            state=state,
            priority=item.priority if self.priority is None else self.priority,
            assignee=(self.assignee or "").strip() or item.assignee,
            sprint=self.sprint or item.sprint,
            labels=clean_labels(item.labels + self.add_labels),
            updated_at=now.astimezone(UTC),
            completed_at=completed,
        )


@dataclass(frozen=True)
class ChangeResult:
    key: str
    applied: bool
    reason: str = ""


class WorkItemStore(Protocol):
    async def projects(self, workspace_id: int) -> list[Project]: ...

    async def sprints(self, workspace_id: int, project: str | None = None) -> list[Sprint]: ...

    async def find(self, workspace_id: int, where: ItemFilter, *, limit: int) -> ItemPage: ...

    async def tally(self, workspace_id: int, where: ItemFilter) -> ItemTally:
        """How many items match `where`, by state, priority and type."""
        ...

    async def create(self, workspace_id: int, item: NewItem) -> WorkItem: ...

    async def update(
        self, workspace_id: int, keys: Sequence[str], change: ItemChange
    ) -> list[ChangeResult]:
        """Apply `change` to each key; each item applies or fails on its own."""
        ...

    async def replace_all(self, workspace_id: int, dataset: Dataset) -> None:
        """Replace the workspace's data in one transaction: all of it or nothing."""
        ...

    async def export(self, workspace_id: int) -> Dataset: ...

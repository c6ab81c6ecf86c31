"""The work-item store port: the built-in SQL store now, a remote tracker (SetGet/Plane
REST API) later; the assistant's tools only see this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.work.model import Dataset, ItemFilter, ItemState, Priority, Project, Sprint, WorkItem


@dataclass(frozen=True)
class ItemPage:
    items: tuple[WorkItem, ...]  # at most the limit asked for, most relevant first
    total: int  # how many matched in all


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


@dataclass(frozen=True)
class ItemChange:
    """Fields to set on existing items; `None` leaves a field as it is."""

    state: ItemState | None = None
    priority: Priority | None = None
    assignee: str | None = None
    sprint: str | None = None
    add_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeResult:
    key: str
    applied: bool
    reason: str = ""


class WorkItemStore(Protocol):
    async def projects(self, workspace_id: int) -> list[Project]: ...

    async def sprints(self, workspace_id: int, project: str | None = None) -> list[Sprint]: ...

    async def find(self, workspace_id: int, where: ItemFilter, *, limit: int) -> ItemPage: ...

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

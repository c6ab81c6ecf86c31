"""Projects, work items and sprints (the tracker's cycles) of one workspace."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from core.choices import Choice
from core.errors import InvalidInput

_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_ITEM_KEY = re.compile(r"^([A-Z][A-Z0-9]{1,9})-([1-9][0-9]{0,8})$")
C = TypeVar("C", bound=Choice)


class ItemType(Choice):
    BUG = "bug"
    FEATURE = "feature"
    TASK = "task"


class ItemState(Choice):
    BACKLOG = "backlog"
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (ItemState.DONE, ItemState.CANCELLED)

    @property
    def label(self) -> str:
        """The state as the tracker shows it to people ("In Progress")."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    ItemState.BACKLOG: "Backlog",
    ItemState.TODO: "Todo",
    ItemState.IN_PROGRESS: "In Progress",
    ItemState.DONE: "Done",
    ItemState.CANCELLED: "Cancelled",
}


class Priority(Choice):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


def check_project_key(key: str) -> str:
    if not _PROJECT_KEY.match(key):
        raise InvalidInput(f"bad project key {key!r}: use 2-10 capital letters or digits, e.g. WEB")
    return key


def parse_item_key(key: str) -> tuple[str, int]:
    """`WEB-12` -> ("WEB", 12)."""
    match = _ITEM_KEY.match(key.strip().upper())
    if not match:
        raise InvalidInput(f"bad work item id {key!r}: use PROJECT-NUMBER, e.g. WEB-12")
    return match.group(1), int(match.group(2))


def parse_choice(kind: type[C], text: object, *, what: str) -> C:
    """`In progress` -> ItemState.IN_PROGRESS; names every choice when the text is none."""
    if isinstance(text, str):
        try:
            return kind(text.strip().lower().replace(" ", "_").replace("-", "_"))
        except ValueError:
            pass
    names = ", ".join(c.value for c in kind)
    raise InvalidInput(f"unknown {what} {text!r} (choose one of: {names})")


def clean_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Labels trimmed, each once (ignoring case); a comma cannot be part of a label, since
    people separate labels with commas."""
    kept: dict[str, str] = {}
    for label in labels:
        text = label.strip()
        if not text or "," in text:
            raise InvalidInput(f"bad label {label!r}: labels are non-empty and have no commas")
        kept.setdefault(text.casefold(), text)
    return tuple(kept.values())


@dataclass(frozen=True)
class Project:
    key: str
    name: str


@dataclass(frozen=True)
class Sprint:
    """A cycle of a project, e.g. `Sprint 12` of WEB, from `start` to `end` inclusive."""

    project: str
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class WorkItem:
    project: str
    number: int
    title: str
    description: str
    type: ItemType
    state: ItemState
    priority: Priority
    assignee: str | None  # a member's name as people write it
    labels: tuple[str, ...]
    estimate: int | None  # story points
    sprint: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"


@dataclass(frozen=True)
class Dataset:
    """Everything a workspace's tracker holds; what `data import` reads and `export` writes."""

    projects: tuple[Project, ...]
    sprints: tuple[Sprint, ...]
    items: tuple[WorkItem, ...]


@dataclass(frozen=True)
class ItemFilter:
    """Which work items a question is about; `None` fields do not filter."""

    project: str | None = None
    states: tuple[ItemState, ...] = ()
    open_only: bool = False
    priorities: tuple[Priority, ...] = ()
    types: tuple[ItemType, ...] = ()
    assignee: str | None = None
    label: str | None = None
    sprint: str | None = None
    text: str | None = None  # words in the title or description
    keys: tuple[str, ...] = ()

"""The `data import` file format: a JSON-like dict to a checked `Dataset`, and back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from core.errors import InvalidInput
from core.work.model import (
    Dataset,
    ItemState,
    ItemType,
    Priority,
    Project,
    Sprint,
    WorkItem,
    check_project_key,
    clean_labels,
    parse_choice,
    parse_item_key,
)

R = TypeVar("R")
T = TypeVar("T")
Json = dict[str, list[dict[str, object]]]

_FIELDS = {
    "projects": ("key", "name"),
    "sprints": ("project", "name", "start", "end"),
    "items": (
        *("id", "title", "description", "type", "state", "priority", "assignee", "labels"),
        *("estimate", "sprint", "created", "updated", "completed"),
    ),
}
_NAMED_BY = {"projects": ("key",), "sprints": ("project", "name"), "items": ("id",)}


def parse_dataset(data: object, *, now: datetime) -> Dataset:
    """Read an import file's content; the error names the first bad record.

    Only `items[].id` and `title` are required of an item: it is a backlog task of no
    priority, created `now`, updated when created and, when done, completed when updated.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput('the file must hold a JSON object: {"projects": [...], ...}')
    _no_unknown_fields(data, ("projects", "sprints", "items"))
    check = _Integrity()
    return Dataset(
        projects=_walk(
            _section(data, "projects"), "projects", lambda r: check.project(_project(r))
        ),
        sprints=_walk(_section(data, "sprints"), "sprints", lambda r: check.sprint(_sprint(r))),
        items=_walk(_section(data, "items"), "items", lambda r: check.item(_item(r, now))),
    )


def check_dataset(dataset: Dataset) -> None:
    """Refuse a dataset whose records are bad or refer to what it does not hold."""
    check = _Integrity()
    _walk(dataset.projects, "projects", check.project)
    _walk(dataset.sprints, "sprints", check.sprint)
    _walk(dataset.items, "items", check.item)


def canonical_order(dataset: Dataset) -> Dataset:
    """Projects by key, sprints by project and start, items by key: the order of exports."""
    return Dataset(
        projects=tuple(sorted(dataset.projects, key=lambda p: p.key)),
        sprints=tuple(sorted(dataset.sprints, key=lambda s: (s.project, s.start, s.name))),
        items=tuple(sorted(dataset.items, key=lambda i: (i.project, i.number))),
    )


def dataset_to_json(dataset: Dataset) -> Json:
    return {
        "projects": [{"key": p.key, "name": p.name} for p in dataset.projects],
        "sprints": [
            {
                "project": s.project,
                "name": s.name,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
            }
            for s in dataset.sprints
        ],
        "items": [_item_json(item) for item in dataset.items],
    }


def _item_json(item: WorkItem) -> dict[str, object]:
    return {
        "id": item.key,
        "title": item.title,
        "description": item.description,
        "type": item.type.value,
        "state": item.state.value,
        "priority": item.priority.value,
        "assignee": item.assignee,
        "labels": list(item.labels),
        "estimate": item.estimate,
        "sprint": item.sprint,
        "created": _stamp_json(item.created_at),
        "updated": _stamp_json(item.updated_at),
        "completed": None if item.completed_at is None else _stamp_json(item.completed_at),
    }


def _stamp_json(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Integrity:
    """What the records seen so far hold, so each record is checked against earlier ones."""

    def __init__(self) -> None:
        self.projects: set[str] = set()
        self.sprints: set[tuple[str, str]] = set()
        self.items: set[str] = set()

    def project(self, project: Project) -> Project:
        check_project_key(project.key)
        _need_text(project.name, "name")
        if project.key in self.projects:
            raise InvalidInput(f"project {project.key} appears twice")
        self.projects.add(project.key)
        return project

    def sprint(self, sprint: Sprint) -> Sprint:
        self._known_project(sprint.project)
        _need_text(sprint.name, "name")
        if (sprint.project, sprint.name) in self.sprints:
            raise InvalidInput(f"{sprint.project} has two sprints named {sprint.name!r}")
        if sprint.end < sprint.start:
            raise InvalidInput(f"ends ({sprint.end}) before it starts ({sprint.start})")
        self.sprints.add((sprint.project, sprint.name))
        return sprint

    def item(self, item: WorkItem) -> WorkItem:
        self._known_project(item.project)
        if item.key in self.items:
            raise InvalidInput(f"id {item.key} appears twice")
        if item.number < 1:
            raise InvalidInput(f"bad work item number {item.number}")
        if item.sprint is not None and (item.project, item.sprint) not in self.sprints:
            raise InvalidInput(f"sprint {item.sprint!r} is not a sprint of {item.project}")
        _need_text(item.title, "title")
        if item.estimate is not None and item.estimate < 0:
            raise InvalidInput(f"estimate must be zero or more, not {item.estimate}")
        if clean_labels(item.labels) != item.labels:
            raise InvalidInput(f"labels {list(item.labels)} repeat a label or have spaces around")
        for field, stamp in (("updated", item.updated_at), ("completed", item.completed_at)):
            if stamp is not None and stamp < item.created_at:
                raise InvalidInput(f"{field} ({_stamp_json(stamp)}) is before created")
        self.items.add(item.key)
        return item

    def _known_project(self, key: str) -> None:
        if key not in self.projects:
            raise InvalidInput(f"project {key!r} is not in projects")


def _walk(records: Sequence[R], section: str, build: Callable[[R], T]) -> tuple[T, ...]:
    """Build (and check) each record in order, naming the record in the first error."""
    built: list[T] = []
    for index, record in enumerate(records):
        try:
            built.append(build(record))
        except InvalidInput as exc:
            raise InvalidInput(f"{section}[{index}]{_label(section, record)}: {exc}") from None
    return tuple(built)


def _label(section: str, record: object) -> str:
    """` (WEB-12)`: how a person finds the record in the file."""
    if isinstance(record, WorkItem):
        return f" ({record.key})"
    if isinstance(record, Sprint):
        return f" ({record.project} {record.name})"
    if isinstance(record, Project):
        return f" ({record.key})"
    if not isinstance(record, Mapping):
        return ""
    parts = [record.get(f) for f in _NAMED_BY[section]]
    shown = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return f" ({shown})" if shown else ""


def _section(data: Mapping[str, object], name: str) -> list[object]:
    records = data.get(name, [])
    if not isinstance(records, list):
        raise InvalidInput(f"{name} must be a list of objects")
    return records


def _fields(record: object, section: str) -> Mapping[str, object]:
    if not isinstance(record, Mapping):
        raise InvalidInput(f"must be an object with {', '.join(_FIELDS[section])}")
    _no_unknown_fields(record, _FIELDS[section])
    return record


def _no_unknown_fields(record: Mapping[str, object], known: Sequence[str]) -> None:
    for field in record:
        if field not in known:
            raise InvalidInput(f"unknown field {field!r} (known: {', '.join(known)})")


def _project(raw: object) -> Project:
    record = _fields(raw, "projects")
    return Project(key=_text(record, "key"), name=_text(record, "name"))


def _sprint(raw: object) -> Sprint:
    record = _fields(raw, "sprints")
    return Sprint(
        project=_text(record, "project"),
        name=_text(record, "name"),
        start=_date(record, "start"),
        end=_date(record, "end"),
    )


def _item(raw: object, now: datetime) -> WorkItem:
    record = _fields(raw, "items")
    project, number = parse_item_key(_text(record, "id"))
    state = parse_choice(ItemState, record.get("state", "backlog"), what="state")
    created = _stamp(record, "created") or now.astimezone(UTC)
    updated = _stamp(record, "updated") or created
    completed = _stamp(record, "completed")
    return WorkItem(
        project=project,
        number=number,
        title=_text(record, "title"),
        description=_text(record, "description", default=""),
        type=parse_choice(ItemType, record.get("type", "task"), what="type"),
        state=state,
        priority=parse_choice(Priority, record.get("priority", "none"), what="priority"),
        assignee=_optional_text(record, "assignee"),
        labels=_labels(record),
        estimate=_estimate(record),
        sprint=_optional_text(record, "sprint"),
        created_at=created,
        updated_at=updated,
        completed_at=updated if completed is None and state is ItemState.DONE else completed,
    )


def _text(record: Mapping[str, object], field: str, *, default: str | None = None) -> str:
    value = record.get(field, default)
    if value is None:
        raise InvalidInput(f"{field} is missing")
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, not {value!r}")
    return value.strip()


def _optional_text(record: Mapping[str, object], field: str) -> str | None:
    if record.get(field) is None:
        return None
    return _text(record, field) or None


def _need_text(value: str, field: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{field} is empty")


def _labels(record: Mapping[str, object]) -> tuple[str, ...]:
    labels = record.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise InvalidInput(f"labels must be a list of text, not {labels!r}")
    return clean_labels(labels)


def _estimate(record: Mapping[str, object]) -> int | None:
    value = record.get("estimate")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"estimate must be a whole number of points, not {value!r}")
    return value


def _date(record: Mapping[str, object], field: str) -> date:
    value = record.get(field)
    if value is None:
        raise InvalidInput(f"{field} is missing (use YYYY-MM-DD)")
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"bad {field} date {value!r} (use YYYY-MM-DD)") from None


def _stamp(record: Mapping[str, object], field: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is UTC."""
    value = record.get(field)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"bad {field} time {value!r} (use ISO 8601, e.g. 2026-01-05T09:30:00Z)"
        ) from None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)

"""Turning a tool call's arguments into a work-item filter, with errors the model can read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from core.choices import Choice
from core.errors import InvalidInput
from core.work.model import (
    ItemFilter,
    ItemState,
    ItemType,
    Priority,
    check_project_key,
    parse_item_key,
)

C = TypeVar("C", bound=Choice)


@dataclass(frozen=True)
class ToolContext:
    """Who asks, where and when: the member's name stands in for "me"; a bound project
    scopes; `day` (filled in by `WorkTools` from its clock) tells a running sprint."""

    workspace_id: int
    member_name: str
    project: str | None = None
    day: date | None = None

    @property
    def today(self) -> date:
        return self.day or datetime.now(UTC).date()


def _choices(value: Any, kind: type[C]) -> tuple[C, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(kind.parse(str(v)) for v in values if v not in (None, ""))


def project_of(args: Mapping[str, Any], ctx: ToolContext) -> str | None:
    raw = args.get("project") or ctx.project
    return check_project_key(str(raw).strip().upper()) if raw else None


def assignee_of(value: Any, ctx: ToolContext) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    return ctx.member_name if text.lower() in {"me", "myself", "i"} else text


def item_filter(args: Mapping[str, Any], ctx: ToolContext) -> ItemFilter:
    """Raises InvalidInput naming the bad argument."""
    keys = tuple(f"{p}-{n}" for p, n in (parse_item_key(str(k)) for k in args.get("ids") or []))
    return ItemFilter(
        project=project_of(args, ctx),
        states=_choices(args.get("state"), ItemState),
        open_only=bool(args.get("open_only")),
        priorities=_choices(args.get("priority"), Priority),
        types=_choices(args.get("type"), ItemType),
        assignee=assignee_of(args.get("assignee"), ctx),
        label=str(args["label"]) if args.get("label") else None,
        sprint=str(args["sprint"]) if args.get("sprint") else None,
        text=str(args["text"]) if args.get("text") else None,
        keys=keys,
    )


def bounded_int(args: Mapping[str, Any], name: str, *, default: int, low: int, high: int) -> int:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{name} must be a number")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {value!r}") from None
    return max(low, min(high, number))

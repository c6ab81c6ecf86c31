"""The read-only tools: counts, lists and the project summary (sprints: `sprints.py`).

Every result is bounded (top items plus totals) so the model's context stays small, and
every bounded list says how many it left out, so no count is read off a shortened list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from core.assistant.tools.calendar import current_sprint
from core.assistant.tools.filters import ToolContext, bounded_int, item_filter, project_of
from core.errors import InvalidInput
from core.work.model import ItemFilter, ItemState, ItemType, Priority, WorkItem
from core.work.ports import ItemTally, WorkItemStore

Choice = TypeVar("Choice", ItemState, Priority, ItemType)
LIST_LIMIT = 50  # the most items one listing may ask for (the tool's schema says so too)


def item_brief(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.key,
        "title": item.title,
        "type": item.type.value,
        "state": item.state.value,
        "priority": item.priority.value,
        "assignee": item.assignee,
        "estimate": item.estimate,
        "sprint": item.sprint,
    }


async def count_items(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext
) -> dict[str, Any]:
    where = item_filter(args, ctx)
    counts = _state_counts(await store.tally(ctx.workspace_id, where), where)
    return {"total": sum(counts.values()), "by_state": counts, "filters": _described(where)}


async def list_items(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    """The first `limit` items (`max_items` unless asked, at most LIST_LIMIT); when that
    leaves some out, how many, and the counts by state of every match."""
    where = item_filter(args, ctx)
    limit = bounded_int(args, "limit", default=max_items, low=1, high=max(max_items, LIST_LIMIT))
    page = await store.find(ctx.workspace_id, where, limit=limit)
    result: dict[str, Any] = {
        "total": page.total,
        "shown": len(page.items),
        "not_shown": page.total - len(page.items),
        "items": [item_brief(i) for i in page.items],
        "filters": _described(where),
    }
    if page.total > len(page.items):
        result["by_state"] = _state_counts(await store.tally(ctx.workspace_id, where), where)
    return result


def _counts(counts: Mapping[Choice, int], order: Iterable[Choice]) -> dict[str, int]:
    """Counts by name in `order` (every item counted once); zero counts are omitted."""
    return {choice.value: counts[choice] for choice in order if counts.get(choice)}


def _state_counts(tally: ItemTally, where: ItemFilter) -> dict[str, int]:
    """Counts by each state `where` allows."""
    states = [s for s in where.states or ItemState if s.is_open or not where.open_only]
    return _counts(tally.by_state(), states)


def _require_project(args: Mapping[str, Any], ctx: ToolContext) -> str:
    project = project_of(args, ctx)
    if project is None:
        raise InvalidInput("which project? give project, e.g. WEB")
    return project


async def project_summary(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    """Counts of every item of the project (however many), the sprint running today, and
    the most urgent open items with how many more are open."""
    project = _require_project(args, ctx)
    every = ItemFilter(project=project)
    tally = await store.tally(ctx.workspace_id, every)
    urgent = await store.find(
        ctx.workspace_id, ItemFilter(project=project, open_only=True), limit=min(5, max_items)
    )
    return {
        "project": project,
        "total": tally.total,
        "by_state": _state_counts(tally, every),
        "by_priority": _counts(tally.by_priority(), Priority),
        "by_type": _counts(tally.by_type(), ItemType),
        "current_sprint": current_sprint(await store.sprints(ctx.workspace_id, project), ctx.today),
        "open_total": urgent.total,
        "most_urgent_open": [item_brief(i) for i in urgent.items],
        "open_not_shown": urgent.total - len(urgent.items),
    }


_PRIORITY_ORDER = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "none": 4}


def urgency(item: WorkItem) -> tuple[int, str]:
    return _PRIORITY_ORDER[item.priority.value], item.key


def _described(where: ItemFilter) -> dict[str, Any]:
    """The filters as applied, so the model can say what it counted."""
    out: dict[str, Any] = {}
    for name in ("project", "assignee", "label", "sprint", "text"):
        value = getattr(where, name)
        if value:
            out[name] = value
    for name in ("states", "priorities", "types"):
        values = getattr(where, name)
        if values:
            out[name] = [v.value for v in values]
    if where.open_only:
        out["open_only"] = True
    return out

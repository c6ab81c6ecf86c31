"""The read-only tools: counts, lists, sprint progress, velocity, project summary.

Every result is bounded (top items plus totals) so the model's context stays small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.assistant.tools.filters import ToolContext, bounded_int, item_filter, project_of
from core.errors import InvalidInput
from core.work.model import ItemFilter, ItemState, Sprint, WorkItem
from core.work.ports import WorkItemStore

SCAN_LIMIT = 500  # items read to aggregate one sprint or project


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
    states = where.states or tuple(ItemState)
    if where.open_only:
        states = tuple(s for s in states if s.is_open)
    by_state = {}
    for state in states:
        page = await store.find(ctx.workspace_id, replace(where, states=(state,)), limit=0)
        if page.total:
            by_state[state.value] = page.total
    return {"total": sum(by_state.values()), "by_state": by_state, "filters": _described(where)}


async def list_items(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    where = item_filter(args, ctx)
    limit = bounded_int(args, "limit", default=max_items, low=1, high=max_items)
    page = await store.find(ctx.workspace_id, where, limit=limit)
    return {
        "total": page.total,
        "shown": len(page.items),
        "items": [item_brief(i) for i in page.items],
        "filters": _described(where),
    }


async def _sprints_named(
    store: WorkItemStore, ctx: ToolContext, project: str | None, name: str
) -> list[Sprint]:
    """The sprint `name` of a project, or of every project that has one by that name."""
    sprints = await store.sprints(ctx.workspace_id, project)
    wanted = name.strip().lower()
    found = [s for s in sprints if s.name.lower() in (wanted, f"sprint {wanted}")]
    if not found:
        known = ", ".join(sorted({s.name for s in sprints})) or "none"
        where = f" in {project}" if project else ""
        raise InvalidInput(f"no sprint {name!r}{where} (sprints: {known})")
    return found


def _require_project(args: Mapping[str, Any], ctx: ToolContext) -> str:
    project = project_of(args, ctx)
    if project is None:
        raise InvalidInput("which project? give project, e.g. WEB")
    return project


async def _sprint_items(
    store: WorkItemStore, ctx: ToolContext, sprints: list[Sprint]
) -> list[WorkItem]:
    items: list[WorkItem] = []
    for sprint in sprints:
        where = ItemFilter(project=sprint.project, sprint=sprint.name)
        items.extend((await store.find(ctx.workspace_id, where, limit=SCAN_LIMIT)).items)
    return items


def _points(items: list[WorkItem]) -> tuple[int, int]:
    """(planned, completed) story points."""
    done = sum(i.estimate or 0 for i in items if i.state is ItemState.DONE)
    return sum(i.estimate or 0 for i in items), done


async def sprint_progress(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    project = project_of(args, ctx)
    sprints = await _sprints_named(store, ctx, project, str(args.get("sprint") or ""))
    items = await _sprint_items(store, ctx, sprints)
    points, done_points = _points(items)
    open_items = sorted((i for i in items if i.state.is_open), key=_urgency)
    return {
        "projects": sorted({s.project for s in sprints}),
        "sprint": sprints[0].name,
        "dates": f"{min(s.start for s in sprints)} to {max(s.end for s in sprints)}",
        "items": len(items),
        "by_state": dict(Counter(i.state.value for i in items)),
        "by_type": dict(Counter(i.type.value for i in items)),
        "points": points,
        "points_done": done_points,
        "completion_percent": round(100 * done_points / points) if points else None,
        "by_assignee": dict(Counter(i.assignee or "unassigned" for i in items)),
        "open_items": [item_brief(i) for i in open_items[:max_items]],
    }


async def compare_velocity(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext
) -> dict[str, Any]:
    """Per sprint name (across projects unless one is given), oldest first."""
    project = project_of(args, ctx)
    last = bounded_int(args, "last", default=4, low=2, high=12)
    by_name: dict[str, list[Sprint]] = {}
    for sprint in sorted(await store.sprints(ctx.workspace_id, project), key=lambda s: s.start):
        by_name.setdefault(sprint.name, []).append(sprint)
    rows = []
    for name, sprints in list(by_name.items())[-last:]:
        items = await _sprint_items(store, ctx, sprints)
        planned, completed = _points(items)
        done = sum(1 for i in items if i.state is ItemState.DONE)
        rows.append(
            {
                "sprint": name,
                "planned_points": planned,
                "completed_points": completed,
                "completed_items": done,
            }
        )
    return {"projects": project or "all", "sprints": rows}


async def project_summary(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    project = _require_project(args, ctx)
    page = await store.find(ctx.workspace_id, ItemFilter(project=project), limit=SCAN_LIMIT)
    sprints = sorted(await store.sprints(ctx.workspace_id, project), key=lambda s: s.start)
    urgent = sorted((i for i in page.items if i.state.is_open), key=_urgency)
    return {
        "project": project,
        "total": page.total,
        "by_state": dict(Counter(i.state.value for i in page.items)),
        "by_priority": dict(Counter(i.priority.value for i in page.items)),
        "by_type": dict(Counter(i.type.value for i in page.items)),
        "current_sprint": sprints[-1].name if sprints else None,
        "most_urgent_open": [item_brief(i) for i in urgent[: min(5, max_items)]],
    }


_PRIORITY_ORDER = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "none": 4}


def _urgency(item: WorkItem) -> tuple[int, str]:
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

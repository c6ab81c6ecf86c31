"""The sprint tools: one sprint's progress, and velocity across finished sprints.

A sprint still running is reported as in progress: its points are work done so far, never
a finished sprint's velocity, so a velocity trend compares finished sprints only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from core.assistant.tools.calendar import FINISHED, IN_PROGRESS, running_note, status_of
from core.assistant.tools.filters import ToolContext, bounded_int, project_of
from core.assistant.tools.reads import item_brief, urgency
from core.errors import InvalidInput
from core.work.model import ItemFilter, ItemState, Sprint, WorkItem
from core.work.ports import WorkItemStore

SCAN_LIMIT = 500  # items read to aggregate one sprint


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


async def _sprint_items(
    store: WorkItemStore, ctx: ToolContext, sprints: Sequence[Sprint]
) -> list[WorkItem]:
    """Every item of the sprints; one too large to read whole is refused, not half counted."""
    items: list[WorkItem] = []
    for sprint in sprints:
        where = ItemFilter(project=sprint.project, sprint=sprint.name)
        page = await store.find(ctx.workspace_id, where, limit=SCAN_LIMIT)
        if page.total > len(page.items):
            raise InvalidInput(
                f"{sprint.name} of {sprint.project} has {page.total} items, more than the "
                f"{SCAN_LIMIT} a summary reads; list part of it instead (by state or assignee)"
            )
        items.extend(page.items)
    return items


def _points(items: Sequence[WorkItem]) -> tuple[int, int]:
    """(planned, completed) story points."""
    done = sum(i.estimate or 0 for i in items if i.state is ItemState.DONE)
    return sum(i.estimate or 0 for i in items), done


def _points_by_state(items: Sequence[WorkItem]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for item in items:
        totals[item.state.value] += item.estimate or 0
    return dict(totals)


async def sprint_progress(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> dict[str, Any]:
    project = project_of(args, ctx)
    sprints = await _sprints_named(store, ctx, project, str(args.get("sprint") or ""))
    items = await _sprint_items(store, ctx, sprints)
    points, done_points = _points(items)
    open_items = sorted((i for i in items if i.state.is_open), key=urgency)
    status, ends = status_of(sprints, ctx.today), max(s.end for s in sprints)
    result: dict[str, Any] = {
        "projects": sorted({s.project for s in sprints}),
        "sprint": sprints[0].name,
        "dates": f"{min(s.start for s in sprints)} to {ends}",
        "status": status,
        "items": len(items),
        "by_state": dict(Counter(i.state.value for i in items)),
        "points_by_state": _points_by_state(items),
        "by_type": dict(Counter(i.type.value for i in items)),
        "points": points,
        "points_done": done_points,
        "completion_percent": round(100 * done_points / points) if points else None,
        "by_assignee": dict(Counter(i.assignee or "unassigned" for i in items)),
        "open_total": len(open_items),
        "open_items": [item_brief(i) for i in open_items[:max_items]],
        "open_not_shown": max(0, len(open_items) - max_items),
    }
    if status == IN_PROGRESS:
        result["note"] = running_note(sprints[0].name, ends)
    return result


async def compare_velocity(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext
) -> dict[str, Any]:
    """The last N finished sprints by name (across projects unless one is given), oldest
    first; a sprint still running is given apart, under `in_progress`."""
    project = project_of(args, ctx)
    last = bounded_int(args, "last", default=4, low=2, high=12)
    by_name: dict[str, list[Sprint]] = {}
    for sprint in sorted(await store.sprints(ctx.workspace_id, project), key=lambda s: s.start):
        by_name.setdefault(sprint.name, []).append(sprint)
    status = {name: status_of(sprints, ctx.today) for name, sprints in by_name.items()}
    finished = [name for name in by_name if status[name] == FINISHED][-last:]
    rows = [await _velocity_row(store, ctx, name, by_name[name]) for name in finished]
    running = []
    for name in (n for n in by_name if status[n] == IN_PROGRESS):
        ends = max(s.end for s in by_name[name])
        row = await _velocity_row(store, ctx, name, by_name[name])
        running.append({**row, "ends": ends.isoformat()})
    return {
        "projects": project or "all",
        "asked_for": last,
        "sprints": rows,
        "in_progress": running,  # work done so far: not a velocity, not in the trend
    }


async def _velocity_row(
    store: WorkItemStore, ctx: ToolContext, name: str, sprints: Sequence[Sprint]
) -> dict[str, Any]:
    items = await _sprint_items(store, ctx, sprints)
    planned, completed = _points(items)
    return {
        "sprint": name,
        "planned_points": planned,
        "completed_points": completed,
        "completed_items": sum(1 for i in items if i.state is ItemState.DONE),
    }

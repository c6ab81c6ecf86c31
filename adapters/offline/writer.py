"""How the offline model words its answers, from the tool results it was given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Result = Mapping[str, Any]


def _pairs(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()) or "none"


def _where(result: Result) -> str:
    project = result.get("filters", {}).get("project")
    return f" in {project}" if project else ""


def _items(items: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"• {i['id']} {i['title']} — {i['state'].replace('_', ' ')}, {i['priority']} priority"
        + (f", {i['assignee']}" if i.get("assignee") else "")
        for i in items
    ]


def count(result: Result) -> str:
    which = "open " if result.get("filters", {}).get("open_only") else ""
    return (
        f"There are {result['total']} {which}work items{_where(result)}. "
        f"By state: {_pairs(result['by_state'])}."
    )


def listing(result: Result) -> str:
    total, shown = result["total"], result["shown"]
    head = f"{total} work item{'s' if total != 1 else ''}{_where(result)} match"
    head += f" (showing {shown}):" if shown < total else ":"
    return "\n".join([head, *_items(result["items"])]) if total else "No work items match."


def breakdown(result: Result) -> str:
    percent = result["completion_percent"]
    lines = [
        f"{result['sprint']} ({', '.join(result['projects'])}, {result['dates']}): "
        f"{percent if percent is not None else 0}% complete by points "
        f"({result['points_done']} of {result['points']} points, {result['items']} items).",
        f"By state: {_pairs(result['by_state'])}.",
        f"By type: {_pairs(result['by_type'])}.",
        f"By assignee: {_pairs(result['by_assignee'])}.",
    ]
    if result["open_items"]:
        lines.append("Still open, most urgent first:")
        lines.extend(_items(result["open_items"]))
    return "\n".join(lines)


def by_person_load(
    current: Sequence[Mapping[str, Any]], moving: Sequence[Mapping[str, Any]]
) -> list[str]:
    """For each person: the items they already have in the target state, and what moves in."""
    people = sorted({i.get("assignee") or "unassigned" for i in [*current, *moving]})
    lines = []
    for who in people:
        has = [i["id"] for i in current if (i.get("assignee") or "unassigned") == who]
        gets = [i["id"] for i in moving if (i.get("assignee") or "unassigned") == who]
        lines.append(
            f"- {who}: has {len(has)} ({', '.join(has) or 'none'}), would get {len(gets)} "
            f"({', '.join(gets) or 'none'}), {len(has) + len(gets)} in all."
        )
    return lines


def by_person(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each person's items of the sprint: what they finished and what they carry over."""
    lines = []
    for who in sorted({i.get("assignee") or "unassigned" for i in items}):
        mine = [i for i in items if (i.get("assignee") or "unassigned") == who]
        done = [i["id"] for i in mine if i["state"] == "done"]
        still = [i["id"] for i in mine if i["state"] not in ("done", "cancelled")]
        lines.append(
            f"- {who}: finished {', '.join(done) or 'nothing'}; "
            f"carries over {', '.join(still) or 'nothing'}."
        )
    return lines


def retrospective(
    result: Result,
    items: Result | None,
    pace: Result | None,
    before: Result | None = None,
    backlog: Result | None = None,
) -> str:
    states, open_items = result["by_state"], result["open_items"]
    done, planned = result["points_done"], result["points"]
    lines = [
        f"Retrospective — {result['sprint']} ({', '.join(result['projects'])}, {result['dates']})",
        "",
        "Summary",
        f"The team planned {planned} points across {result['items']} items and completed "
        f"{done} points ({result['completion_percent'] or 0}%). Items by state: "
        f"{_pairs(states)}. Work by type: {_pairs(result['by_type'])}.",
        "",
        "What went well",
        f"- {states.get('done', 0)} items reached done; the finished work covered "
        f"{_pairs(result['by_type'])} across the sprint.",
        *[
            f"- {who} carried {n} item{'s' if n != 1 else ''} through the sprint."
            for who, n in result["by_assignee"].items()
        ],
        "",
        "What did not go well",
        f"- {len(open_items)} items did not finish and carry over; "
        f"{planned - done} planned points were not delivered.",
        *[f"- {line[2:]} is still open." for line in _items(open_items)],
        "",
        "Every item of the sprint",
        *by_state(items["items"] if items else []),
        "",
        "By person",
        *by_person(items["items"] if items else []),
        "",
        "Compared with the sprint before",
        *by_state(before["items"] if before else []),
        "",
        "Velocity in context",
        *(velocity(pace).splitlines() if pace else ["No earlier sprints to compare."]),
        "",
        "Most urgent open work for the next sprint",
        *_items(backlog["items"] if backlog else []),
        "",
        "Actions for the next sprint",
        *[
            f"- Plan {i['id']} ({i['priority']}, {i.get('estimate') or '?'} points) into the next "
            f"sprint{' with ' + i['assignee'] if i.get('assignee') else ' and give it an owner'}."
            for i in (backlog["items"] if backlog else [])
        ],
        "- Re-plan the carried-over items first, most urgent first, and split any item "
        "estimated above 5 points before the sprint starts.",
        "- Keep work in progress per person low: finish before starting, and raise blockers "
        "at the daily stand-up instead of at the review.",
        "- Review estimates against the completed points above so the next commitment matches "
        "the team's real velocity.",
    ]
    return "\n".join(lines)


def velocity(result: Result) -> str:
    rows = result["sprints"]
    lines = [f"Velocity over the last {len(rows)} sprints ({result['projects']}):"]
    for row in rows:
        lines.append(
            f"• {row['sprint']}: {row['completed_points']} of {row['planned_points']} points "
            f"completed ({row['completed_items']} items)"
        )
    if rows:
        points = [r["completed_points"] for r in rows]
        average = sum(points) / len(points)
        trend = "up" if points[-1] > points[0] else "down" if points[-1] < points[0] else "flat"
        best = max(rows, key=lambda r: r["completed_points"])
        lines.append(
            f"Average {average:.1f} points per sprint; the trend is {trend} from "
            f"{points[0]} to {points[-1]}. The best sprint was {best['sprint']} with "
            f"{best['completed_points']} points."
        )
        ratios = [
            f"{r['sprint']} {round(100 * r['completed_points'] / r['planned_points'])}%"
            for r in rows
            if r["planned_points"]
        ]
        lines.append(f"Planned work completed: {', '.join(ratios)}.")
    return "\n".join(lines)


def summary(result: Result) -> str:
    lines = [
        f"{result['project']}: {result['total']} work items; current sprint "
        f"{result['current_sprint'] or 'none'}.",
        f"By state: {_pairs(result['by_state'])}. By priority: {_pairs(result['by_priority'])}. "
        f"By type: {_pairs(result['by_type'])}.",
    ]
    if result["most_urgent_open"]:
        lines.append("Most urgent open items:")
        lines.extend(_items(result["most_urgent_open"]))
    return "\n".join(lines)


def proposal(result: Result) -> str:
    text = f"I've proposed: {result['proposal']}."
    if result.get("affected", 1) > 1:
        text += " Only an admin can confirm a change to several items."
    text += " Nothing changes until a person confirms it."
    return text


def by_state(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every item of a listing, grouped by state: the completion breakdown item by item."""
    lines: list[str] = []
    for state in ("done", "in_progress", "todo", "backlog", "cancelled"):
        group = [i for i in items if i["state"] == state]
        if group:
            points = sum(i.get("estimate") or 0 for i in group)
            lines.append(f"{state.replace('_', ' ').capitalize()} ({len(group)}, {points} points):")
            lines.extend(_items(group))
    return lines


def sprint_details(progress: Sequence[Result]) -> list[str]:
    lines = []
    for p in progress:
        lines.append(
            f"{p['sprint']}: {p['completion_percent'] or 0}% of {p['points']} points done; "
            f"by type {_pairs(p['by_type'])}; by assignee {_pairs(p['by_assignee'])}; "
            f"{len(p['open_items'])} items left open."
        )
    return lines


def _first(results: Sequence[tuple[str, Result]], tool: str) -> Result | None:
    return next((r for name, r in results if name == tool), None)


def answer(style: str, results: Sequence[tuple[str, Result]]) -> str:
    """Word the answer from every tool result of the request, in the order they came."""
    failed = next((r for _, r in results if "error" in r), None)
    if failed is not None:
        return f"I couldn't answer that from the data: {failed['error']}."
    tool, first = results[0]
    listing_result = _first(results, "list_work_items")
    if tool == "sprint_progress":
        if style == "retrospective":
            listings = [r for name, r in results if name == "list_work_items"]
            before = listings[1] if len(listings) > 1 else None
            backlog = listings[2] if len(listings) > 2 else None
            pace = _first(results, "compare_velocity")
            return retrospective(first, listing_result, pace, before, backlog)
        extra = by_state(listing_result["items"]) if listing_result else []
        return "\n".join([breakdown(first), *extra])
    if tool == "compare_velocity":
        progress = [r for name, r in results if name == "sprint_progress"]
        return "\n".join([velocity(first), *sprint_details(progress)])
    proposal_result = _first(results, "propose_update_work_items")
    if proposal_result is not None:
        listings = [r for name, r in results if name == "list_work_items"]
        affected = listings[0]["items"] if listings else []
        load = listings[1]["items"] if len(listings) > 1 else []
        return "\n".join(
            [
                proposal(proposal_result),
                "Items it would change:",
                *_items(affected),
                "Already in that state, by person (their load grows with the change):",
                *by_person_load(load, affected),
            ]
        )
    return WRITERS[tool](first)


WRITERS = {
    "count_work_items": count,
    "list_work_items": listing,
    "compare_velocity": velocity,
    "project_summary": summary,
    "propose_create_work_item": proposal,
    "propose_update_work_items": proposal,
}

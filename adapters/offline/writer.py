"""How the offline model words its answers, from the tool results it was given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.offline.retrospective import retrospective
from adapters.offline.wording import (
    Result,
    by_state,
    detailed_lines,
    ids,
    item_lines,
    pairs,
    plural,
    points,
    velocity,
    where,
)


def count(result: Result) -> str:
    which = "open " if result.get("filters", {}).get("open_only") else ""
    return (
        f"There are {result['total']} {which}work items{where(result)}. "
        f"By state: {pairs(result['by_state'])}."
    )


def listing(result: Result) -> str:
    total, shown = result["total"], result["shown"]
    head = f"{total} work item{'s' if total != 1 else ''}{where(result)} match"
    head += f" (showing {shown}):" if shown < total else ":"
    return "\n".join([head, *item_lines(result["items"])]) if total else "No work items match."


def breakdown(result: Result) -> str:
    percent = result["completion_percent"]
    lines = [
        f"{result['sprint']} ({', '.join(result['projects'])}, {result['dates']}): "
        f"{percent if percent is not None else 0}% complete by points "
        f"({result['points_done']} of {result['points']} points, {result['items']} items).",
        f"By state: {pairs(result['by_state'])}.",
        f"By type: {pairs(result['by_type'])}.",
        f"By assignee: {pairs(result['by_assignee'])}.",
    ]
    if result["open_items"]:
        lines.append("Still open, most urgent first:")
        lines.extend(item_lines(result["open_items"]))
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


def summary(result: Result) -> str:
    lines = [
        f"{result['project']}: {result['total']} work items; current sprint "
        f"{result['current_sprint'] or 'none'}.",
        f"By state: {pairs(result['by_state'])}. By priority: {pairs(result['by_priority'])}. "
        f"By type: {pairs(result['by_type'])}.",
    ]
    if result["most_urgent_open"]:
        lines.append("Most urgent open items:")
        lines.extend(item_lines(result["most_urgent_open"]))
    return "\n".join(lines)


def proposal(result: Result) -> str:
    text = f"I've proposed: {result['proposal']}."
    if result.get("affected", 1) > 1:
        text += " Only an admin can confirm a change to several items."
    text += " Nothing changes until a person confirms it."
    return text


def bulk_review(
    result: Result,
    affected: Sequence[Mapping[str, Any]],
    load: Sequence[Mapping[str, Any]],
    sprint: Result | None,
) -> str:
    """The proposal, exactly what it changes, its effect on people and the sprint, and
    what to check before confirming."""
    lines = [
        proposal(result),
        f"Items it would change ({plural(len(affected), 'item')}, {points(affected)} points):",
        *detailed_lines(affected),
        f"Effect: the target state goes from {plural(len(load), 'item')} "
        f"({points(load)} points) to {plural(len(load) + len(affected), 'item')} "
        f"({points(load) + points(affected)} points).",
    ]
    if sprint is not None:
        outside = [i for i in affected if i.get("sprint") != sprint["sprint"]]
        lines.append(
            f"Current sprint {sprint['sprint']} ({sprint['dates']}): "
            f"{sprint['completion_percent'] or 0}% of {sprint['points']} points done; "
            f"{len(affected) - len(outside)} of the {len(affected)} items are planned in it."
        )
        if outside:
            lines.append(
                f"Not in the current sprint, so this starts unplanned work: {ids(outside)}."
            )
    lines.append("Already in that state, by person (their load grows with the change):")
    lines.extend(by_person_load(load, affected))
    unowned = [i for i in affected if not i.get("assignee")]
    busy = [
        who
        for who in sorted({i["assignee"] for i in affected if i.get("assignee")})
        if sum(1 for i in [*load, *affected] if i.get("assignee") == who) > 2
    ]
    checks = [
        *([f"- {ids(unowned)} have no assignee: give them an owner first."] if unowned else []),
        *[f"- {who} would hold more than two items in that state at once." for who in busy],
    ]
    if checks:
        lines.extend(["Check before confirming:", *checks])
    return "\n".join(lines)


def sprint_details(progress: Sequence[Result]) -> list[str]:
    lines = []
    for p in progress:
        lines.append(
            f"{p['sprint']}: {p['completion_percent'] or 0}% of {p['points']} points done; "
            f"by type {pairs(p['by_type'])}; by assignee {pairs(p['by_assignee'])}; "
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
            progress = [r for name, r in results if name == "sprint_progress"]
            following = progress[1] if len(progress) > 1 else None
            pace = _first(results, "compare_velocity")
            return retrospective(
                first, listing_result, pace, before=before, backlog=backlog, following=following
            )
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
        return bulk_review(proposal_result, affected, load, _first(results, "sprint_progress"))
    return WRITERS[tool](first)


WRITERS = {
    "count_work_items": count,
    "list_work_items": listing,
    "compare_velocity": velocity,
    "project_summary": summary,
    "propose_create_work_item": proposal,
    "propose_update_work_items": proposal,
}

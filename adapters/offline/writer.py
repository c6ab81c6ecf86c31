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
    left_out,
    not_listed,
    pairs,
    plural,
    points,
    velocity,
    where,
)
from core.assistant.tools.calendar import FINISHED, IN_PROGRESS, NOT_STARTED


def count(result: Result) -> str:
    which = "open " if result.get("filters", {}).get("open_only") else ""
    return (
        f"There are {result['total']} {which}work items{where(result)}. "
        f"By state: {pairs(result['by_state'])}."
    )


def listing(result: Result) -> str:
    total, items = result["total"], result["items"]
    head = f"{total} work item{'s' if total != 1 else ''}{where(result)} match"
    head += ", most urgent first:" if len(items) < total else ":"
    lines = [head, *item_lines(items), *left_out(total, len(items))]
    return "\n".join(lines) if total else "No work items match."


def standing(result: Result) -> str:
    """Where a sprint stands: finished, or still in progress (its figures are so far)."""
    status = result.get("status", FINISHED)
    if status == IN_PROGRESS:
        return "is in progress"
    return "has not started" if status == NOT_STARTED else "finished"


def open_items(result: Result) -> list[str]:
    """The sprint's open items as the tool gave them, and how many more there are."""
    shown = result["open_items"]
    return [*item_lines(shown), *left_out(result.get("open_total", len(shown)), len(shown))]


def breakdown(result: Result, *, listed_below: bool = False) -> str:
    """A sprint's completion; its open items most urgent first, by id only when every item
    is listed by state below anyway."""
    percent = result["completion_percent"]
    so_far = " so far" if result.get("status") == IN_PROGRESS else ""
    lines = [
        f"{result['sprint']} ({', '.join(result['projects'])}, {result['dates']}) "
        f"{standing(result)}: {percent if percent is not None else 0}% complete by points"
        f"{so_far} ({result['points_done']} of {result['points']} points, "
        f"{plural(result['items'], 'item')}).",
        f"By state: {pairs(result['by_state'])}.",
        f"By type: {pairs(result['by_type'])}.",
        f"By assignee: {pairs(result['by_assignee'])}.",
    ]
    shown = result["open_items"]
    total = result.get("open_total", len(shown))
    if shown and listed_below:
        more = f", … and {total - len(shown)} more" if total > len(shown) else ""
        lines.append(f"Still open ({total}), most urgent first: {ids(shown)}{more}.")
    elif shown:
        lines.append(f"Still open ({total}), most urgent first:")
        lines.extend(open_items(result))
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
        f"{result['current_sprint'] or 'none running today'}.",
        f"By state: {pairs(result['by_state'])}. By priority: {pairs(result['by_priority'])}. "
        f"By type: {pairs(result['by_type'])}.",
    ]
    shown = result["most_urgent_open"]
    if shown:
        total = result.get("open_total", len(shown))
        lines.append(f"Most urgent open items ({total} open):")
        lines.extend([*item_lines(shown), *left_out(total, len(shown))])
    return "\n".join(lines)


def proposal(result: Result) -> str:
    text = f"I've proposed: {result['proposal']}."
    if result.get("affected", 1) > 1:
        text += " Only an admin can confirm a change to several items."
    text += " Nothing changes until a person confirms it."
    return text


def bulk_review(result: Result, affected: Result, load: Result, sprint: Result | None) -> str:
    """The proposal, exactly what it changes, its effect on people and the sprint, and
    what to check before confirming. Counts are the listings' totals; a figure only a whole
    listing gives (points, each person's load) says when it covers the listed items only."""
    moving, loaded = affected["items"], load["items"]
    count, already = result.get("affected", affected["total"]), load["total"]
    whole = not not_listed(affected) and not not_listed(load)
    lines = [
        proposal(result),
        f"Items it would change ({plural(count, 'item')}, {_points(affected)}):",
        *detailed_lines(moving),
        *left_out(count, len(moving)),
        f"Effect: the target state goes from {plural(already, 'item')} ({_points(load)}) to "
        f"{plural(already + count, 'item')}"
        + (f" ({plural(points(loaded) + points(moving), 'point')})." if whole else "."),
    ]
    if sprint is not None:
        outside = [i for i in moving if i.get("sprint") != sprint["sprint"]]
        so_far = " so far" if sprint.get("status") == IN_PROGRESS else ""
        listed = "" if len(moving) == count else " listed"
        lines.append(
            f"Current sprint {sprint['sprint']} ({sprint['dates']}, "
            f"{standing(sprint).removeprefix('is ')}): "
            f"{sprint['completion_percent'] or 0}% of {sprint['points']} points done{so_far}; "
            f"{len(moving) - len(outside)} of the {len(moving)}{listed} items are planned in it."
        )
        if outside:
            lines.append(
                f"Not in the current sprint, so this starts unplanned work: {ids(outside)}."
            )
    lines.append(
        "Already in that state, by person (their load grows with the change)"
        + (":" if whole else ", over the items listed:")
    )
    lines.extend(by_person_load(loaded, moving))
    lines.extend(_checks(moving, loaded))
    return "\n".join(lines)


def _checks(moving: Sequence[Mapping[str, Any]], loaded: Sequence[Mapping[str, Any]]) -> list[str]:
    """What to check before confirming: items with no owner, people who would hold a lot."""
    unowned = [i for i in moving if not i.get("assignee")]
    busy = [
        who
        for who in sorted({i["assignee"] for i in moving if i.get("assignee")})
        if sum(1 for i in [*loaded, *moving] if i.get("assignee") == who) > 2
    ]
    checks = [
        *([f"- {ids(unowned)} have no assignee: give them an owner first."] if unowned else []),
        *[f"- {who} would hold more than two items in that state at once." for who in busy],
    ]
    return ["Check before confirming:", *checks] if checks else []


def _points(listing: Result) -> str:
    """A listing's points, or those of the items it listed when it left some out."""
    total = points(listing["items"])
    if not_listed(listing):
        return f"{plural(total, 'point')} in the {len(listing['items'])} listed"
    return plural(total, "point")


def sprint_details(progress: Sequence[Result]) -> list[str]:
    lines = []
    for p in progress:
        running = p.get("status") == IN_PROGRESS
        still = plural(p.get("open_total", len(p["open_items"])), "item")
        lines.append(
            f"{p['sprint']}{' (in progress)' if running else ''}: "
            f"{p['completion_percent'] or 0}% of {p['points']} points done"
            f"{' so far' if running else ''}; by type {pairs(p['by_type'])}; by assignee "
            f"{pairs(p['by_assignee'])}; {still} {'still' if running else 'left'} open."
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
        extra = (
            by_state(
                listing_result["items"],
                counts=first["by_state"],
                points_of=first.get("points_by_state"),
            )
            if listing_result
            else []
        )
        return "\n".join([breakdown(first, listed_below=bool(extra)), *extra])
    if tool == "compare_velocity":
        progress = [r for name, r in results if name == "sprint_progress"]
        return "\n".join([velocity(first), *sprint_details(progress)])
    proposal_result = _first(results, "propose_update_work_items")
    if proposal_result is not None:
        listings = [r for name, r in results if name == "list_work_items"]
        nothing: Result = {"total": 0, "items": []}
        affected = listings[0] if listings else nothing
        load = listings[1] if len(listings) > 1 else nothing
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

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


def _detailed(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Item lines with the estimate and sprint too, for a change a person must review."""
    return [
        f"{line}, {_plural(i.get('estimate') or 0, 'point')}, {i.get('sprint') or 'no sprint'}"
        for line, i in zip(_items(items), items, strict=True)
    ]


def _points(items: Sequence[Mapping[str, Any]]) -> int:
    return sum(i.get("estimate") or 0 for i in items)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _ids(items: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(i["id"] for i in items)


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
        done = [i for i in mine if i["state"] == "done"]
        still = [i for i in mine if i["state"] not in ("done", "cancelled")]
        lines.append(
            f"- {who}: finished {_plural(len(done), 'item')} ({_points(done)} points: "
            f"{_ids(done) or 'none'}); carries over {_ids(still) or 'nothing'}."
        )
    return lines


def _against(result: Result, before: Result | None, pace: Result | None) -> list[str]:
    """How the sprint's delivered points compare with the sprint before and the average."""
    done = result["points_done"]
    lines = []
    if before is not None:
        earlier = _points([i for i in before["items"] if i["state"] == "done"])
        delta = done - earlier
        lines.append(
            f"Delivered {done} points against {earlier} in the sprint before "
            f"({'+' if delta >= 0 else ''}{delta}), finishing "
            f"{sum(1 for i in before['items'] if i['state'] == 'done')} items then."
        )
    # The sprints up to this one: a later sprint still running would drag the average down.
    names = [r["sprint"] for r in pace["sprints"]] if pace else []
    upto = names.index(result["sprint"]) + 1 if result["sprint"] in names else len(names)
    rows = pace["sprints"][:upto] if pace else []
    if rows:
        average = sum(r["completed_points"] for r in rows) / len(rows)
        lines.append(
            f"The average over the {len(rows)} sprints up to this one is {average:.1f} points, "
            "so this "
            f"sprint was {abs(done - average):.1f} points {'above' if done >= average else 'below'}"
            " it."
        )
    return lines


def _shipped(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the finished work was, by type."""
    done = [i for i in items if i["state"] == "done"]
    words = {"bug": "Bugs fixed", "feature": "Features shipped", "task": "Tasks completed"}
    return [
        f"- {label}: {_ids(group)} ({_points(group)} points)."
        for kind, label in words.items()
        if (group := [i for i in done if i["type"] == kind])
    ]


def _next_sprint(result: Result, following: Result | None) -> list[str]:
    """Where the sprint after stands, and whether it took on more than this one delivered."""
    if following is None:
        return ["There is no later sprint yet: plan the next one from the actions below."]
    load = following["points"] - result["points_done"]
    return [
        f"{following['sprint']} ({following['dates']}) planned {following['points']} points "
        f"across {following['items']} items and is {following['completion_percent'] or 0}% done "
        f"({following['points_done']} points). By state: {_pairs(following['by_state'])}.",
        f"It took on {abs(load)} points {'more' if load > 0 else 'fewer'} than "
        f"{result['sprint']} delivered"
        + (
            ": a commitment well above the team's demonstrated pace is a risk to discuss."
            if load > 0
            else ", which leaves room for the carried-over work."
        ),
    ]


def _actions(backlog: Sequence[Mapping[str, Any]], following: Result | None) -> list[str]:
    """One action per urgent open item: keep it on track where it is planned, else plan it."""
    planned_in = following["sprint"] if following else None
    lines = []
    for i in backlog:
        owner = f"with {i['assignee']}" if i.get("assignee") else "and give it an owner"
        head = f"{i['id']} ({i['priority']}, {i.get('estimate') or '?'} points)"
        if planned_in and i.get("sprint") == planned_in:
            state = i["state"].replace("_", " ")
            lines.append(f"- Keep {head} on track in {planned_in} ({state}) {owner}.")
        else:
            lines.append(f"- Plan {head} into the next sprint {owner}.")
    return lines


def retrospective(
    result: Result,
    items: Result | None,
    pace: Result | None,
    *,
    before: Result | None = None,
    backlog: Result | None = None,
    following: Result | None = None,
) -> str:
    states, open_items = result["by_state"], result["open_items"]
    done, planned = result["points_done"], result["points"]
    sprint_items = items["items"] if items else []
    cancelled = [i for i in sprint_items if i["state"] == "cancelled"]
    urgent = backlog["items"] if backlog else []
    lines = [
        f"Retrospective — {result['sprint']} ({', '.join(result['projects'])}, {result['dates']})",
        "",
        "Summary",
        f"The team planned {planned} points across {result['items']} items and completed "
        f"{done} points ({result['completion_percent'] or 0}%). Items by state: "
        f"{_pairs(states)}. Work by type: {_pairs(result['by_type'])}.",
        *_against(result, before, pace),
        "",
        "What went well",
        f"- {_plural(states.get('done', 0), 'item')} reached done ({done} points, "
        f"{result['completion_percent'] or 0}% of the plan).",
        *_shipped(sprint_items),
        "",
        "What did not go well",
        (
            f"- {_plural(len(open_items), 'item')} did not finish and carry over: "
            f"{_ids(open_items)}."
            if open_items
            else "- Nothing carried over: every item was finished or cancelled."
        ),
        f"- {planned - done} planned points were not delivered"
        + (
            f"; {_plural(len(cancelled), 'item')} ({_points(cancelled)} points) "
            f"{'was' if len(cancelled) == 1 else 'were'} cancelled: {_ids(cancelled)}."
            if cancelled
            else "."
        ),
        *[f"- {line[2:]} is still open." for line in _items(open_items)],
        "",
        "Every item of the sprint",
        *by_state(sprint_items),
        "",
        "By person",
        *by_person(sprint_items),
        "",
        "Compared with the sprint before",
        *by_state(before["items"] if before else []),
        "",
        "Velocity in context",
        *(velocity(pace).splitlines() if pace else ["No earlier sprints to compare."]),
        "",
        "The sprint after",
        *_next_sprint(result, following),
        "",
        "Most urgent open work",
        *_detailed(urgent),
        "",
        "Actions for the next sprint",
        *_actions(urgent, following),
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
        f"Items it would change ({_plural(len(affected), 'item')}, {_points(affected)} points):",
        *_detailed(affected),
        f"Effect: the target state goes from {_plural(len(load), 'item')} "
        f"({_points(load)} points) to {_plural(len(load) + len(affected), 'item')} "
        f"({_points(load) + _points(affected)} points).",
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
                f"Not in the current sprint, so this starts unplanned work: {_ids(outside)}."
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
        *([f"- {_ids(unowned)} have no assignee: give them an owner first."] if unowned else []),
        *[f"- {who} would hold more than two items in that state at once." for who in busy],
    ]
    if checks:
        lines.extend(["Check before confirming:", *checks])
    return "\n".join(lines)


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

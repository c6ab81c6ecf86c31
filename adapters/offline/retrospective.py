"""How the offline model words a sprint retrospective from what it read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
)


def by_person(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each person's items of the sprint: what they finished and what they carry over."""
    lines = []
    for who in sorted({i.get("assignee") or "unassigned" for i in items}):
        mine = [i for i in items if (i.get("assignee") or "unassigned") == who]
        done = [i for i in mine if i["state"] == "done"]
        still = [i for i in mine if i["state"] not in ("done", "cancelled")]
        lines.append(
            f"- {who}: finished {plural(len(done), 'item')} ({points(done)} points: "
            f"{ids(done) or 'none'}); carries over {ids(still) or 'nothing'}."
        )
    return lines


def _against(result: Result, before: Result | None, pace: Result | None) -> list[str]:
    """How the sprint's delivered points compare with the sprint before and the average."""
    done = result["points_done"]
    lines = []
    if before is not None:
        earlier = points([i for i in before["items"] if i["state"] == "done"])
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
        f"- {label}: {ids(group)} ({points(group)} points)."
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
        f"({following['points_done']} points). By state: {pairs(following['by_state'])}.",
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
        f"{pairs(states)}. Work by type: {pairs(result['by_type'])}.",
        *_against(result, before, pace),
        "",
        "What went well",
        f"- {plural(states.get('done', 0), 'item')} reached done ({done} points, "
        f"{result['completion_percent'] or 0}% of the plan).",
        *_shipped(sprint_items),
        "",
        "What did not go well",
        (
            f"- {plural(len(open_items), 'item')} did not finish and carry over: {ids(open_items)}."
            if open_items
            else "- Nothing carried over: every item was finished or cancelled."
        ),
        f"- {planned - done} planned points were not delivered"
        + (
            f"; {plural(len(cancelled), 'item')} ({points(cancelled)} points) "
            f"{'was' if len(cancelled) == 1 else 'were'} cancelled: {ids(cancelled)}."
            if cancelled
            else "."
        ),
        *[f"- {line[2:]} is still open." for line in item_lines(open_items)],
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
        *detailed_lines(urgent),
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

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
    left_out,
    not_listed,
    pairs,
    plural,
    points,
    velocity,
)
from core.assistant.tools.calendar import FINISHED, IN_PROGRESS


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


def _before(result: Result, before: Result | None, pace: Result | None) -> Result | None:
    """The sprint before's velocity row: from the velocity table, else from its listing
    when that listed every item (a shortened listing would undercount it)."""
    names = [r["sprint"] for r in pace["sprints"]] if pace else []
    if result["sprint"] in names and names.index(result["sprint"]) > 0:
        return dict(pace["sprints"][names.index(result["sprint"]) - 1]) if pace else None
    if before is None or not_listed(before) or not before["items"]:
        return None  # cut short, or no such sprint (a sprint before the first one is empty)
    done = [i for i in before["items"] if i["state"] == "done"]
    return {"completed_points": points(done), "completed_items": len(done)}


def _against(result: Result, before: Result | None, pace: Result | None) -> list[str]:
    """How the sprint's delivered points compare with the sprint before and the average of
    the finished sprints up to it (a sprint still running is compared so far)."""
    done, running = result["points_done"], result.get("status") == IN_PROGRESS
    lines = []
    earlier = _before(result, before, pace)
    if earlier is not None:
        delta = done - earlier["completed_points"]
        lines.append(
            f"Delivered {done} points{' so far' if running else ''} against "
            f"{earlier['completed_points']} in the sprint before "
            f"({'+' if delta >= 0 else ''}{delta}), finishing {earlier['completed_items']} "
            "items then."
        )
    rows, so_far = _finished_up_to(result, pace)
    if rows:
        average = sum(r["completed_points"] for r in rows) / len(rows)
        side = "above" if done >= average else "below"
        lines.append(
            f"The average over the {plural(len(rows), 'finished sprint')} "
            + (
                f"is {average:.1f} points; so far this sprint is {abs(done - average):.1f} "
                f"points {side} it."
                if so_far
                else f"up to this one is {average:.1f} points, so this sprint was "
                f"{abs(done - average):.1f} points {side} it."
            )
        )
    return lines


def _finished_up_to(result: Result, pace: Result | None) -> tuple[list[Result], bool]:
    """The finished sprints to average against, and whether the sprint is still to finish:
    those up to it; all of them for a sprint not finished; none for one older than them."""
    rows: list[Result] = list(pace["sprints"]) if pace else []
    names = [r["sprint"] for r in rows]
    if result["sprint"] in names:
        return rows[: names.index(result["sprint"]) + 1], False
    if result.get("status", FINISHED) != FINISHED:
        return rows, True
    return [], False


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
    running = following.get("status") == IN_PROGRESS
    return [
        f"{following['sprint']} ({following['dates']}) "
        f"{'is in progress: it ' if running else ''}planned {following['points']} points "
        f"across {following['items']} items and is {following['completion_percent'] or 0}% done "
        f"{'so far ' if running else ''}({following['points_done']} points). "
        f"By state: {pairs(following['by_state'])}.",
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


def _not_finished(result: Result, sprint_items: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is still open (carried over, once the sprint is over) and what was cancelled."""
    shown, total = result["open_items"], result.get("open_total", len(result["open_items"]))
    done, planned = result["points_done"], result["points"]
    running = result.get("status") == IN_PROGRESS
    more = f", … and {total - len(shown)} more" if total > len(shown) else ""
    cancelled = [i for i in sprint_items if i["state"] == "cancelled"]
    if not total:
        first = "- Nothing carried over: every item was finished or cancelled."
    elif running:
        are = "is" if total == 1 else "are"
        first = f"- {plural(total, 'item')} {are} still open: {ids(shown)}{more}."
    else:
        first = f"- {plural(total, 'item')} did not finish and carry over: {ids(shown)}{more}."
    return [
        first,
        f"- {planned - done} planned points "
        + ("are not delivered yet" if running else "were not delivered")
        + (
            f"; {plural(len(cancelled), 'item')} ({points(cancelled)} points) "
            f"{'was' if len(cancelled) == 1 else 'were'} cancelled: {ids(cancelled)}."
            if cancelled
            else "."
        ),
        *[f"- {line[2:]} is still open." for line in item_lines(shown)],
        *left_out(total, len(shown)),
    ]


def _of_listed(items: Result | None, lines: list[str]) -> list[str]:
    """Figures drawn from a sprint listing, said to cover only the listed items if it left
    some out."""
    if items is None or not not_listed(items):
        return lines
    return [f"(Of the {len(items['items'])} items listed of {items['total']}:)", *lines]


def retrospective(
    result: Result,
    items: Result | None,
    pace: Result | None,
    *,
    before: Result | None = None,
    backlog: Result | None = None,
    following: Result | None = None,
) -> str:
    states, done, percent = result["by_state"], result["points_done"], result["completion_percent"]
    running = result.get("status") == IN_PROGRESS
    sprint_items = items["items"] if items else []
    urgent = backlog["items"] if backlog else []
    lines = [
        f"Retrospective — {result['sprint']} ({', '.join(result['projects'])}, {result['dates']})",
        *(
            [
                f"{result['sprint']} is still in progress (ends {result['dates'].split()[-1]}): "
                "these are its figures so far, not its final result."
            ]
            if running
            else []
        ),
        "",
        "Summary",
        f"The team planned {result['points']} points across {result['items']} items and "
        f"{'has completed' if running else 'completed'} {done} points"
        f"{' so far' if running else ''} ({percent or 0}%). Items by state: "
        f"{pairs(states)}. Work by type: {pairs(result['by_type'])}.",
        *_against(result, before, pace),
        "",
        "What went well",
        f"- {plural(states.get('done', 0), 'item')} reached done ({done} points, "
        f"{percent or 0}% of the plan).",
        *_of_listed(items, _shipped(sprint_items)),
        "",
        "What did not go well",
        *_not_finished(result, sprint_items),
        "",
        "Every item of the sprint",
        *by_state(sprint_items, counts=states, points_of=result.get("points_by_state")),
        "",
        "By person",
        *_of_listed(items, by_person(sprint_items)),
        "",
        "Compared with the sprint before",
        *(
            by_state(before["items"], counts=before.get("by_state"), whole=not not_listed(before))
            if before and before["items"]
            else ["No items in the sprint before to compare with."]
        ),
        "",
        "Velocity in context",
        *(velocity(pace).splitlines() if pace else ["No earlier sprints to compare."]),
        "",
        "The sprint after",
        *_next_sprint(result, following),
        "",
        "Most urgent open work",
        *detailed_lines(urgent),
        *left_out(backlog["total"] if backlog else 0, len(urgent)),
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

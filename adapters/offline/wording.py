"""The words the offline model's answers are made of: item lines, counts, plurals, velocity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Result = Mapping[str, Any]


def pairs(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()) or "none"


def where(result: Result) -> str:
    project = result.get("filters", {}).get("project")
    return f" in {project}" if project else ""


def item_lines(items: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"• {i['id']} {i['title']} — {i['state'].replace('_', ' ')}, {i['priority']} priority"
        + (f", {i['assignee']}" if i.get("assignee") else "")
        for i in items
    ]


def detailed_lines(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Item lines with the estimate and sprint too, for a change a person must review."""
    return [
        f"{line}, {plural(i.get('estimate') or 0, 'point')}, {i.get('sprint') or 'no sprint'}"
        for line, i in zip(item_lines(items), items, strict=True)
    ]


def points(items: Sequence[Mapping[str, Any]]) -> int:
    return sum(i.get("estimate") or 0 for i in items)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ids(items: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(i["id"] for i in items)


def left_out(total: int, shown: int) -> list[str]:
    """The line a bounded list ends with when it shows fewer than there are."""
    return [f"… and {total - shown} more"] if total > shown else []


def not_listed(result: Result) -> int:
    """How many items a listing result left out (from its total, whatever it showed)."""
    return int(result.get("total", 0)) - len(result.get("items", []))


def by_state(
    items: Sequence[Mapping[str, Any]],
    *,
    counts: Mapping[str, int] | None = None,
    points_of: Mapping[str, int] | None = None,
    whole: bool = True,
) -> list[str]:
    """Every item of a listing, grouped by state: the completion breakdown item by item.

    `counts` (and `points_of`) are the true totals per state when the listing was cut
    short; a group then says how many of its items are not listed. A listing cut short
    (`whole` false) without them says its groups count the listed items only.
    """
    lines: list[str] = []
    for state in ("done", "in_progress", "todo", "backlog", "cancelled"):
        group = [i for i in items if i["state"] == state]
        total = (counts or {}).get(state, len(group))
        if not total:
            continue
        name = state.replace("_", " ").capitalize()
        if not whole and counts is None:
            lines.append(f"{name} ({len(group)} listed, {points(group)} points among them):")
        elif points_of is not None or total == len(group):
            sum_ = (points_of or {}).get(state, 0) if points_of is not None else points(group)
            lines.append(f"{name} ({total}, {sum_} points):")
        elif group:
            lines.append(f"{name} ({total}; {points(group)} points in the {len(group)} listed):")
        else:
            lines.append(f"{name} ({total}, none listed):")
        lines.extend(item_lines(group))
        lines.extend(left_out(total, len(group)))
    return lines


def running(row: Result) -> str:
    """A sprint still in progress, said apart from the velocity of finished ones."""
    return (
        f"{row['sprint']} is in progress (ends {row['ends']}): {row['completed_points']} points "
        f"done so far, of {row['planned_points']} planned ({plural(row['completed_items'], 'item')}"
        " done); not counted in the trend."
    )


def velocity(result: Result) -> str:
    """The velocity of finished sprints, its trend, then any sprint still running."""
    rows, asked = result["sprints"], result.get("asked_for", len(result["sprints"]))
    scope = "all projects" if result["projects"] == "all" else str(result["projects"])
    if len(rows) < asked:
        scope += f"; only {len(rows)} {'has' if len(rows) == 1 else 'have'} finished"
    lines = [
        f"Velocity over the last {plural(len(rows), 'finished sprint')} ({scope}):"
        if rows
        else f"No sprint has finished yet ({scope}): there is no velocity to compare."
    ]
    for row in rows:
        lines.append(
            f"• {row['sprint']}: {row['completed_points']} of {row['planned_points']} points "
            f"completed ({plural(row['completed_items'], 'item')})"
        )
    if rows:
        done = [r["completed_points"] for r in rows]
        average = sum(done) / len(done)
        trend = "up" if done[-1] > done[0] else "down" if done[-1] < done[0] else "flat"
        best = max(rows, key=lambda r: r["completed_points"])
        lines.append(
            f"Average {average:.1f} points per finished sprint; the trend is {trend} from "
            f"{done[0]} to {done[-1]}. The best sprint was {best['sprint']} with "
            f"{best['completed_points']} points."
        )
        ratios = [
            f"{r['sprint']} {round(100 * r['completed_points'] / r['planned_points'])}%"
            for r in rows
            if r["planned_points"]
        ]
        if ratios:
            lines.append(f"Planned work completed: {', '.join(ratios)}.")
    lines.extend(running(row) for row in result.get("in_progress", []))
    return "\n".join(lines)

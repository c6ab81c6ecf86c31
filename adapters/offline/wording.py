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


def by_state(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every item of a listing, grouped by state: the completion breakdown item by item."""
    lines: list[str] = []
    for state in ("done", "in_progress", "todo", "backlog", "cancelled"):
        group = [i for i in items if i["state"] == state]
        if group:
            points = sum(i.get("estimate") or 0 for i in group)
            lines.append(f"{state.replace('_', ' ').capitalize()} ({len(group)}, {points} points):")
            lines.extend(item_lines(group))
    return lines


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

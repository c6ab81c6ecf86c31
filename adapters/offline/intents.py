"""What the offline model understands: the source page's example requests and variations."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

PRIORITY = r"(?P<priority>urgent|high|medium|low)(?:[- ]priority)?"
KIND = r"(?P<kind>bugs?|features?|tasks?|items?|issues?|work items?)"
STATE_WORDS = {
    "backlog": "backlog",
    "todo": "todo",
    "to do": "todo",
    "in progress": "in_progress",
    "in-progress": "in_progress",
    "done": "done",
    "completed": "done",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}
STATE = r"(?P<{name}>backlog|todo|to do|in[ -]progress|done|completed|cancell?ed)"


Call = tuple[str, dict[str, Any]]
# A later step: the calls to make, given the results so far (a careful model reads before acting).
Step = Callable[[list[tuple[str, Any]]], tuple[Call, ...]]


@dataclass(frozen=True)
class Intent:
    """The first tool call to make, any later steps, and how to word the answer."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    style: str = "plain"  # plain | breakdown | retrospective
    then: tuple[Step, ...] = ()
    with_first: tuple[Call, ...] = ()  # further calls made alongside the first one


def _always(*calls: Call) -> Step:
    return lambda _results: calls


def _sprint_items(args: dict[str, Any]) -> Step:
    """List every item of the sprint, to break completion down item by item."""
    return _always(("list_work_items", {**args, "limit": 50}))


def _velocity_sprints(results: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The sprints the velocity table read: the finished ones, then any still running."""
    pace: dict[str, Any] = next((r for name, r in results if name == "compare_velocity"), {})
    return [*pace.get("sprints", []), *pace.get("in_progress", [])]


def _each_sprint(results: list[tuple[str, Any]]) -> tuple[Call, ...]:
    """After the velocity table, read each sprint's progress (multi-cycle retrieval)."""
    rows = _velocity_sprints(results)
    return tuple(("sprint_progress", {"sprint": row["sprint"]}) for row in rows)


def _done_per_sprint(results: list[tuple[str, Any]]) -> tuple[Call, ...]:
    """Then list what each sprint completed, to compare the work itself, not just points."""
    rows = _velocity_sprints(results)
    return tuple(
        ("list_work_items", {"sprint": row["sprint"], "state": ["done"], "limit": 20})
        for row in rows
    )


def _around(args: dict[str, Any]) -> Step:
    """Read the sprint before (what changed), the sprint after when there is one (what was
    carried into it and how much it took on), and the urgent backlog (what comes next)."""
    number = int(str(args["sprint"]).split()[-1])
    earlier = {**args, "sprint": f"Sprint {number - 1}", "limit": 50}
    backlog = {"open_only": True, "priority": ["urgent", "high"], "limit": 15}

    def step(results: list[tuple[str, Any]]) -> tuple[Call, ...]:
        known = {row["sprint"] for row in _velocity_sprints(results)}
        calls: tuple[Call, ...] = (("list_work_items", earlier), ("list_work_items", backlog))
        if f"Sprint {number + 1}" in known:
            calls += (("sprint_progress", {**args, "sprint": f"Sprint {number + 1}"}),)
        return calls

    return step


_KEY = r"([A-Z][A-Z0-9]{1,9})"
_PROJECT = re.compile(  # "in WEB", "for the WEB project", "the WEB project", "project WEB"
    rf"\b(?:in|for|of)\s+(?:the\s+)?(?:project\s+)?{_KEY}\b"
    rf"|\b{_KEY}\s+project\b|\bproject\s+{_KEY}\b"
)


def _project(text: str) -> dict[str, str]:
    match = _PROJECT.search(text)
    key = next((group for group in match.groups() if group), None) if match else None
    return {"project": key} if key else {}


def _kind(word: str | None) -> dict[str, list[str]]:
    if not word:
        return {}
    for kind in ("bug", "feature", "task"):
        if word.lower().startswith(kind):
            return {"type": [kind]}
    return {}


def _count(text: str, m: re.Match[str]) -> Intent:
    args: dict[str, Any] = {**_project(text), "open_only": bool(re.search(r"\bopen\b", text, re.I))}
    return Intent("count_work_items", args)


def _list(text: str, m: re.Match[str]) -> Intent:
    args: dict[str, Any] = {**_project(text), **_kind(m.group("kind"))}
    if m.group("priority"):
        args["priority"] = [m.group("priority").lower()]
    who = re.search(r"assigned to (me|[A-Za-z][\w.-]*)", text, re.I)
    if who:
        args["assignee"] = who.group(1)
    args["open_only"] = True
    return Intent("list_work_items", args)


def _retrospective(text: str, m: re.Match[str]) -> Intent:
    args = {**_project(text), "sprint": f"Sprint {m.group('n')}"}
    velocity = _always(("compare_velocity", {**_project(text), "last": 4}))
    steps = (_sprint_items(args), velocity, _around(args))
    return Intent("sprint_progress", args, "retrospective", steps)


def _progress(text: str, m: re.Match[str]) -> Intent:
    args = {**_project(text), "sprint": f"Sprint {m.group('n') or m.group('n2')}"}
    return Intent("sprint_progress", args, "breakdown", (_sprint_items(args),))


def _velocity(text: str, m: re.Match[str]) -> Intent:
    args = {**_project(text), "last": int(m.group("n") or 4)}
    return Intent("compare_velocity", args, "plain", (_each_sprint, _done_per_sprint))


def _create(text: str, m: re.Match[str]) -> Intent:
    args = {**_project(text), "title": m.group("title"), **_kind(m.group("kind"))}
    args = {k: (v[0] if k == "type" else v) for k, v in args.items()}
    return Intent("propose_create_work_item", args)


def _bulk(text: str, m: re.Match[str]) -> Intent:
    """Count and list the matching items, read the target state's load, the project and its
    current sprint, then propose the change to exactly those items."""
    project = _project(text)
    where = {**project, "state": [STATE_WORDS[m.group("from").lower()]]}
    change = {**where, "set_state": STATE_WORDS[m.group("to").lower()]}
    scan = ("list_work_items", {**where, "limit": 50})
    # Moving work: check who already has work in the target state there.
    load = {**project, "state": [change["set_state"]], "limit": 50}
    context = _always(("list_work_items", load), ("project_summary", project))

    def current_sprint(results: list[tuple[str, Any]]) -> tuple[Call, ...]:
        summary: dict[str, Any] = next((r for n, r in results if n == "project_summary"), {})
        sprint = summary.get("current_sprint")
        return (("sprint_progress", {**project, "sprint": sprint}),) if sprint else ()

    steps = (context, current_sprint, _always(("propose_update_work_items", change)))
    return Intent("count_work_items", where, "plain", steps, with_first=(scan,))


def _summary(text: str, m: re.Match[str]) -> Intent:
    return Intent("project_summary", _project(text), "breakdown")


RULES: list[tuple[re.Pattern[str], Callable[[str, re.Match[str]], Intent]]] = [
    (re.compile(r"\bretro\w*\b.*\bsprint\s+(?P<n>\d+)", re.I), _retrospective),
    (
        re.compile(
            r"\b(?:create|add|open|file)\b.*?(?P<kind>bug|feature|task|work item|issue)?"
            r"\s*(?:titled|called|named)\s+[\"'“‘](?P<title>[^\"'”’]+)[\"'”’]",
            re.I,
        ),
        _create,
    ),
    (
        re.compile(
            r"\b(?:update|move|change|set)\s+all\s+"
            + STATE.format(name="from")
            + r"\s+(?:items|issues|work items|tasks)\b.*?\bto\s+"
            + STATE.format(name="to"),
            re.I,
        ),
        _bulk,
    ),
    (re.compile(r"\bvelocity\b(?:.*?\blast\s+(?P<n>\d+))?", re.I), _velocity),
    (
        re.compile(
            r"\b(?:summari[sz]e|progress|status)\b.*\bsprint\s+(?P<n>\d+)"
            r"|\bsprint\s+(?P<n2>\d+)\b.*\b(?:progress|summary|status)",
            re.I,
        ),
        _progress,
    ),
    (re.compile(r"\bhow many\b", re.I), _count),
    (
        re.compile(r"\b(?:list|show|which|what are)\b.*?(?:" + PRIORITY + r"\s+)?" + KIND, re.I),
        _list,
    ),
    (re.compile(r"\b(?:summari[sz]e|overview|summary)\b.*\bproject\b", re.I), _summary),
]


def understand(text: str) -> Intent | None:
    """The intent of a request, or None when the offline model cannot help with it."""
    for pattern, build in RULES:
        match = pattern.search(text)
        if match is not None:
            return build(text, match)
    return None


_REFERS_BACK = re.compile(r"\b(?:them|those|these|they|ones)\b", re.I)


def understand_follow_up(text: str, earlier: Sequence[str]) -> Intent | None:
    """The intent of `text` in a conversation: a request that refers back ("which of them
    are bugs?") and names no project keeps the project of the latest earlier request that
    named one, as a person means it."""
    intent = understand(text)
    if intent is None or "project" in intent.arguments or not _REFERS_BACK.search(text):
        return intent
    for previous in reversed(earlier):
        if project := _project(previous):
            return replace(intent, arguments={**intent.arguments, **project})
    return intent

"""What the bot says it is doing while the model works, in the product's words: "Counting open
items in WEB…", "Reading Sprint 12…". Every platform shows the same words (Slack's assistant
status, a dim console line; Discord shows typing)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from core.chat.surface import Surface

logger = logging.getLogger(__name__)

THINKING = "Thinking…"
WRITING = "Writing the answer…"
_MAX = 80  # characters of one status line (Slack shows one short line)


def doing(tool: str, arguments: Mapping[str, Any], *, project: str | None = None) -> str:
    """The status line for a tool the model just called; `project` is the conversation's
    scope, used when the call names none."""
    where = _text(arguments.get("project")) or project
    in_project = f" in {where.upper()}" if where else ""
    sprint = _text(arguments.get("sprint"))
    if tool == "count_work_items":
        kind = "open items" if arguments.get("open_only") else "work items"
        line = f"Counting {kind}{in_project}"
    elif tool == "list_work_items":
        line = f"Listing work items{in_project}"
    elif tool == "sprint_progress":
        line = f"Reading {sprint or 'the sprint'}{in_project}"
    elif tool == "compare_velocity":
        last = arguments.get("last")
        span = f"the last {last} sprints" if isinstance(last, int) else "recent sprints"
        line = f"Comparing velocity across {span}{in_project}"
    elif tool == "project_summary":
        line = f"Summarizing {where.upper()}" if where else "Summarizing the project"
    elif tool == "propose_create_work_item":
        title = _text(arguments.get("title"))
        line = f"Drafting “{title}”" if title else "Drafting a work item"
    elif tool == "propose_update_work_items":
        line = f"Drafting changes to work items{in_project}"
    else:
        line = "Looking through the workspace"
    return _short(line) + "…"


def _text(value: object) -> str:
    """A string argument as one clean line (the model's arguments are not trusted)."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:40]


def _short(line: str) -> str:
    return line if len(line) <= _MAX - 1 else line[: _MAX - 2].rstrip() + "…"


class StatusLine:
    """The status of one answer on its surface: shown as the work goes, cleared once when
    the answer (or a notice) is out. A status the platform refuses is only a lost hint: it
    never fails the answer someone is paying for."""

    def __init__(self, surface: Surface) -> None:
        self._surface = surface
        self._shown = False

    async def show(self, text: str) -> None:
        self._shown = True
        await self._set(text)

    async def clear(self) -> None:
        if self._shown:
            self._shown = False
            await self._set(None)

    async def _set(self, text: str | None) -> None:
        try:
            await self._surface.status(text)
        except Exception as exc:
            logger.info("a status was not shown: %s", type(exc).__name__)

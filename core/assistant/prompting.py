"""What the model reads: the system context, the thread's earlier turns within a token
budget (oldest dropped first), and the new message."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from core.assistant.threads import Turn, TurnSpeaker
from core.llm import ChatMessage, Speaker

CountTokens = Callable[[str], int]

SYSTEM = (
    "You are SetGet AI, the assistant of a project team, in a chat thread. Answer from the "
    "team's work-item data by calling the tools; never invent items, numbers or people. Be "
    "brief: lead with the answer, then the few facts that support it. Tools whose names start "
    "with propose_ only propose a change: a person confirms it with a button, so say the "
    "change is proposed, never that it is done. Today is {today}. You are talking with "
    "{member}; 'me' and 'my' mean {member}."
)
SCOPED = " This conversation is about project {project}: use it unless told otherwise."


def system_message(*, member: str, today: date, project: str | None) -> ChatMessage:
    text = SYSTEM.format(today=today.isoformat(), member=member)
    if project:
        text += SCOPED.format(project=project)
    return ChatMessage(speaker=Speaker.SYSTEM, text=text)


def history(turns: Sequence[Turn], *, budget: int, count: CountTokens) -> list[ChatMessage]:
    """The latest turns that fit in `budget` tokens, oldest first."""
    kept: list[ChatMessage] = []
    used = 0
    for turn in reversed(turns):
        cost = count(turn.text)
        if used + cost > budget:
            break
        used += cost
        speaker = Speaker.USER if turn.speaker is TurnSpeaker.MEMBER else Speaker.ASSISTANT
        kept.append(ChatMessage(speaker=speaker, text=turn.text))
    return list(reversed(kept))


def tool_result_text(result: dict[str, Any], *, budget: int, count: CountTokens) -> str:
    """A tool's JSON result, cut to the budget (lists shortened first, totals kept)."""
    text = json.dumps(result, ensure_ascii=False, default=str)
    items = result.get("items")
    while count(text) > budget and isinstance(items, list) and len(items) > 1:
        items = items[: len(items) // 2]
        left_out = {"not_shown": result["total"] - len(items)} if "total" in result else {}
        text = json.dumps({**result, "items": items, "shown": len(items), **left_out}, default=str)
    if count(text) > budget:
        text = json.dumps({"error": "result too large; narrow the filters"})
    return text

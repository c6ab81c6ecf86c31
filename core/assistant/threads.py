"""Conversation threads: a platform thread or a console session, and its turns."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.workspaces import Platform


class TurnSpeaker(enum.StrEnum):
    MEMBER = "member"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class Thread:
    id: int
    workspace_id: int
    platform: Platform
    key: str  # the platform's thread id, or a console session id
    project: str | None  # the project the conversation is bound to, if any
    created_at: datetime


@dataclass(frozen=True)
class Turn:
    thread_id: int
    speaker: TurnSpeaker
    text: str
    member_id: int | None
    at: datetime


class ThreadStore(Protocol):
    async def open_thread(
        self, *, workspace_id: int, platform: Platform, key: str, project: str | None, now: datetime
    ) -> Thread:
        """The thread under `key`, created on first use."""
        ...

    async def resume_thread(
        self,
        *,
        workspace_id: int,
        platform: Platform,
        key: str,
        project: str | None,
        now: datetime,
        history: int,
    ) -> tuple[Thread, list[Turn]]:
        """`open_thread` and its latest `history` turns (oldest first), read together: one
        read for a thread that exists, one write for a new one (what an answer starts with)."""
        ...

    async def find_thread(self, workspace_id: int, platform: Platform, key: str) -> Thread | None:
        """The thread under `key` if one was opened (a platform follows up only known threads)."""
        ...

    async def add_turns(self, *turns: Turn) -> None:
        """Append turns in one write (a question and its answer land together)."""
        ...

    async def turns(self, thread_id: int, *, limit: int) -> list[Turn]:
        """The latest `limit` turns, oldest first. Reading a thread costs nothing."""
        ...

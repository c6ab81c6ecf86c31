"""In-memory fakes of the conversation ports: threads, actions, audit, and a scripted model."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.assistant.actions import ActionState, ProposedAction
from core.assistant.audit import AuditRecord
from core.assistant.threads import Thread, Turn
from core.assistant.tools.proposals import ProposalDraft
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, ToolCall, ToolSpec
from core.work.ports import ChangeResult
from core.workspaces import Platform


class InMemoryThreads:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.threads: dict[tuple[int, Platform, str], Thread] = {}
        self.turns_by_thread: dict[int, list[Turn]] = {}
        self.fail_with: Exception | None = None  # a test's injected write failure

    def check_writable(self) -> None:
        """Raise the injected failure: a fake store checks before an atomic step."""
        if self.fail_with is not None:
            raise self.fail_with

    def append(self, turns: Sequence[Turn]) -> None:
        self.check_writable()
        for turn in turns:
            self.turns_by_thread.setdefault(turn.thread_id, []).append(turn)

    async def open_thread(
        self, *, workspace_id: int, platform: Platform, key: str, project: str | None, now: datetime
    ) -> Thread:
        found = self.threads.get((workspace_id, platform, key))
        if found is None:
            found = Thread(next(self._ids), workspace_id, platform, key, project, now)
            self.threads[(workspace_id, platform, key)] = found
        return found

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
        thread = await self.open_thread(
            workspace_id=workspace_id, platform=platform, key=key, project=project, now=now
        )
        return thread, await self.turns(thread.id, limit=history)

    async def find_thread(self, workspace_id: int, platform: Platform, key: str) -> Thread | None:
        return self.threads.get((workspace_id, platform, key))

    async def add_turns(self, *turns: Turn) -> None:
        self.append(turns)

    async def turns(self, thread_id: int, *, limit: int) -> list[Turn]:
        return self.turns_by_thread.get(thread_id, [])[-limit:] if limit > 0 else []


class InMemoryActions:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.actions: dict[int, ProposedAction] = {}

    async def create(
        self,
        *,
        workspace_id: int,
        thread_id: int,
        requester_id: int,
        draft: ProposalDraft,
        now: datetime,
        expires_at: datetime,
    ) -> ProposedAction:
        action = ProposedAction(
            next(self._ids),
            workspace_id,
            thread_id,
            requester_id,
            draft,
            ActionState.PENDING,
            now,
            expires_at,
        )
        self.actions[action.id] = action
        return action

    async def get(self, workspace_id: int, action_id: int) -> ProposedAction | None:
        action = self.actions.get(action_id)
        return action if action and action.workspace_id == workspace_id else None

    async def transition(
        self,
        action_id: int,
        *,
        expected: ActionState,
        to: ActionState,
        by: int | None,
        now: datetime,
        results: tuple[ChangeResult, ...] = (),
    ) -> bool:
        action = self.actions[action_id]
        if action.state is not expected:
            return False
        self.actions[action_id] = replace(
            action, state=to, decided_by=by, decided_at=now, results=results or action.results
        )
        return True


class InMemoryAudit:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.fail_with: Exception | None = None  # a test's injected write failure

    def check_writable(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def append(self, entry: AuditRecord) -> None:
        self.check_writable()
        self.records.append(entry)

    async def record(self, entry: AuditRecord) -> None:
        self.append(entry)

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[AuditRecord]:
        return [
            r
            for r in self.records
            if r.workspace_id == workspace_id and (not since or r.at >= since)
        ]


@dataclass
class ScriptedModel:
    """Replays replies in order and records what it was sent."""

    replies: list[LLMReply | Exception]
    label: str = "scripted test-model"
    calls: list[tuple[list[ChatMessage], list[ToolSpec]]] = field(default_factory=list)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        self.calls.append((list(messages), list(tools)))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if on_text and reply.text:
            for word in reply.text.split(" "):
                await on_text(word + " ")
        return reply


def text_reply(text: str, *, tokens: tuple[int, int] = (1000, 100)) -> LLMReply:
    return LLMReply(text=text, tool_calls=(), usage=TokenUsage(*tokens), model="test-model")


def tool_reply(name: str, tokens: tuple[int, int] = (1000, 50), **arguments: object) -> LLMReply:
    call = ToolCall(id=f"call-{name}", name=name, arguments=arguments)
    return LLMReply(text="", tool_calls=(call,), usage=TokenUsage(*tokens), model="test-model")

"""What the chat layer needs from the rest of the bot; the composition root builds it once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from core.admin import WorkspaceAdmin
from core.assistant.actions import ActionDesk
from core.assistant.audit import AuditLog
from core.assistant.conversation import Assistant
from core.assistant.feedback import FeedbackStore
from core.assistant.llm_settings import LLMSettingsStore
from core.assistant.threads import ThreadStore
from core.channels import Channels, ChannelSettings
from core.chat.draining import AnswersInFlight
from core.chat.observe import AnswerObserver, NoObserver
from core.claims import EventClaims
from core.clock import Clock
from core.credits.dashboard import UsageDashboard, UsageReport
from core.credits.pool import CreditPool
from core.ports import UsageStore, WorkspaceStore
from core.work.ports import WorkItemStore
from core.workspaces import Workspace


class AnsweringSession(Protocol):
    """The assistant answering one workspace, and the desk its proposals go through."""

    @property
    def assistant(self) -> Assistant: ...

    @property
    def desk(self) -> ActionDesk: ...


SessionFor = Callable[[Workspace], AbstractAsyncContextManager[AnsweringSession]]


@dataclass(frozen=True, kw_only=True)
class ChatServices:
    workspaces: WorkspaceStore
    admin: WorkspaceAdmin
    pool: CreditPool
    dashboard: UsageDashboard
    usage: UsageStore  # who used which workspace last (a DM across linked teams)
    work: WorkItemStore  # projects and sprints (the prompts a conversation opens with)
    channels: Channels
    channel_settings: ChannelSettings
    claims: EventClaims
    audit: AuditLog
    threads: ThreadStore
    llm_settings: LLMSettingsStore
    clock: Clock
    chat: SessionFor  # `async with services.chat(workspace) as chat:` for one message
    usage_chart: Callable[[UsageReport], bytes]  # PNG: the cycle's use, pool and forecast
    pack_sizes: Sequence[int] = (100, 500, 1000)
    feedback: FeedbackStore | None = None  # 👍/👎 on answers; None: not kept
    observer: AnswerObserver = field(default_factory=NoObserver)  # each answer's outcome
    in_flight: AnswersInFlight = field(default_factory=AnswersInFlight)  # drained at shutdown

"""The conversation loop: hold credits, let the model call tools, settle once, record it all.

Every platform (console, Slack, Discord) sends an `AskAI` and shows the `Answer`; a
`SetGetError` (out of credits, a member cap, a provider failure) becomes a clear message.
Text from outside (the message, the model's answer and tool arguments, a provider's error)
is made storable before it is held, stored or charged for. The charge, the two turns and
the audit record of an answer commit in one transaction; whatever fails before that commit
gives the hold back, so nothing is charged for an answer nobody got.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from core.assistant.actions import ActionDesk, ProposedAction
from core.assistant.admission import PriorityGate, RateLimits
from core.assistant.audit import AuditRecord, redact
from core.assistant.classify import InteractionFacts, interaction_type
from core.assistant.prompting import CountTokens, history, system_message, tool_result_text
from core.assistant.threads import Thread, ThreadStore, Turn, TurnSpeaker
from core.assistant.tools import ToolContext, ToolOutcome, WorkTools
from core.clock import Clock
from core.credits.interactions import Charge, interaction_label
from core.credits.pool import CreditPool
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import InvalidInput, ProviderError
from core.llm import ChatMessage, ChatModel, LLMReply, OnText, Speaker, ToolCall
from core.ports import AnswerRecord
from core.text import storable, storable_values
from core.workspaces import Member, Platform, Workspace

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4000  # characters a person may send in one message
# Told as each tool call starts (the status a platform shows: "Counting open items in WEB…").
OnTool = Callable[[ToolCall], Awaitable[None]]


@dataclass(frozen=True)
class ConversationPolicy:
    max_rounds: int = 5  # model calls per message (tool loops)
    history_turns: int = 20
    history_budget: int = 3000  # tokens of earlier turns the model sees
    tool_budget: int = 1500  # tokens of one tool result


@dataclass(frozen=True)
class Exchange:
    """What the model loop produced: the final reply, every tool outcome, summed usage."""

    reply: LLMReply
    outcomes: list[ToolOutcome]
    usage: TokenUsage


@dataclass(frozen=True)
class AskAI:
    workspace: Workspace
    member: Member
    platform: Platform
    thread_key: str
    event_id: str  # the platform event id: the idempotency key of the charge
    text: str
    project: str | None = None


@dataclass(frozen=True)
class Answer:
    text: str
    interaction_type: InteractionType
    usage: TokenUsage
    charge: Charge | None
    proposals: tuple[ProposedAction, ...]
    model: str
    duplicate: bool = False

    @property
    def footer(self) -> str:
        kind = interaction_label(self.interaction_type)
        if self.charge is None or self.charge.balance is None:
            tokens = self.usage.input_tokens + self.usage.output_tokens
            estimated = " (estimated)" if self.usage.estimated else ""
            return f"{kind} · {tokens:,} tokens{estimated} · self-hosted, no credits"
        credits = self.charge.credits
        left = self.charge.balance.remaining
        return f"{kind} · {credits} credit{'s' if credits != 1 else ''} · {left:,} left"


class Assistant:
    def __init__(
        self,
        *,
        pool: CreditPool,
        model: ChatModel,
        tools: WorkTools,
        threads: ThreadStore,
        actions: ActionDesk,
        clock: Clock,
        count_tokens: CountTokens,
        policy: ConversationPolicy | None = None,
        limits: RateLimits | None = None,
        gate: PriorityGate | None = None,
    ) -> None:
        self._pool = pool
        self._model = model
        self._tools = tools
        self._threads = threads
        self._actions = actions
        self._clock = clock
        self._count = count_tokens
        self._policy = policy or ConversationPolicy()
        self._limits = limits
        self._gate = gate or PriorityGate(capacity=1_000_000)

    async def ask(
        self, request: AskAI, *, on_text: OnText | None = None, on_tool: OnTool | None = None
    ) -> Answer:
        """Answer one message; a platform retry of the same event answers (and charges) once."""
        text = storable(request.text).strip()
        if not text or len(text) > MAX_MESSAGE:
            raise InvalidInput(f"a message must have 1 to {MAX_MESSAGE} characters")
        request = replace(request, text=text)
        hold = await self._pool.reserve(
            request.workspace,
            key=request.event_id,
            member=request.member,
            per_minute=self._limits.per_minute(request.workspace) if self._limits else None,
            per_member_minute=(
                self._limits.per_member_minute(request.workspace) if self._limits else None
            ),
        )
        if hold.duplicate:
            return Answer("", InteractionType.SIMPLE_QUESTION, TokenUsage(), None, (), "", True)
        try:
            return await self._answer(request, on_text, on_tool)
        except ProviderError:
            raise  # released, with its audit record
        except Exception:
            await self._give_back(request)
            raise
        except asyncio.CancelledError:
            # an answer stopped half-way (Ctrl-C, a shutdown past its grace) charges nothing;
            # shielded, so the cancellation does not cut the release short
            await asyncio.shield(self._give_back(request))
            raise

    async def _answer(
        self, request: AskAI, on_text: OnText | None, on_tool: OnTool | None
    ) -> Answer:
        thread, earlier = await self._threads.resume_thread(
            workspace_id=request.workspace.id,
            platform=request.platform,
            key=request.thread_key,
            project=request.project,
            now=self._clock.now(),
            history=self._policy.history_turns,
        )
        try:
            exchange = await self._converse(request, thread, earlier, on_text, on_tool)
        except ProviderError as exc:
            await self._unanswered(request, thread, exc)
            raise
        return await self._finish(request, thread, earlier, exchange)

    async def _unanswered(self, request: AskAI, thread: Thread, failure: ProviderError) -> None:
        """Give the hold back with the audit record of the failure, in one transaction; the
        person is told what the provider did even when that record cannot be written."""
        record = self._audit_record(request, thread, text=str(failure), outcome="provider_error")
        try:
            await self._pool.release(request.workspace, key=request.event_id, record=record)
        except Exception:
            logger.exception("recording the provider failure of %s failed", request.event_id)
            await self._give_back(request)

    async def _give_back(self, request: AskAI) -> None:
        """Release the hold of an answer that failed; one we cannot release expires by itself."""
        try:
            await self._pool.release(request.workspace, key=request.event_id)
        except Exception as exc:
            logger.warning(
                "could not release the hold of %s (%s); it expires", request.event_id, type(exc)
            )

    async def _converse(
        self,
        request: AskAI,
        thread: Thread,
        earlier: Sequence[Turn],
        on_text: OnText | None,
        on_tool: OnTool | None = None,
    ) -> Exchange:
        project = thread.project or request.project
        ctx = ToolContext(request.workspace.id, request.member.display_name, project)
        messages = [
            system_message(
                member=request.member.display_name, today=self._clock.now().date(), project=project
            ),
            *history(earlier, budget=self._policy.history_budget, count=self._count),
            ChatMessage(speaker=Speaker.USER, text=request.text),
        ]
        specs = self._tools.specs(scoped=project is not None)
        outcomes: list[ToolOutcome] = []
        usage = TokenUsage()
        for round_ in range(self._policy.max_rounds):
            last = round_ == self._policy.max_rounds - 1
            async with self._gate.slot(request.workspace):
                reply = await self._model.complete(
                    messages, tools=() if last else specs, on_text=on_text
                )
            usage += reply.usage
            if not reply.tool_calls:
                return Exchange(reply, outcomes, usage)
            calls = tuple(_storable_call(call) for call in reply.tool_calls)
            messages.append(ChatMessage(Speaker.ASSISTANT, reply.text, tool_calls=calls))
            for call in calls:
                if on_tool is not None:
                    await on_tool(call)
                outcome = await self._tools.run(call, ctx)
                outcomes.append(outcome)
                result = tool_result_text(
                    outcome.result, budget=self._policy.tool_budget, count=self._count
                )
                messages.append(
                    ChatMessage(Speaker.TOOL, result, tool_call_id=call.id, tool_name=call.name)
                )
        raise ProviderError("the model kept calling tools without answering", provider="loop")

    async def _finish(
        self, request: AskAI, thread: Thread, earlier: Sequence[Turn], exchange: Exchange
    ) -> Answer:
        reply, outcomes, usage = exchange.reply, exchange.outcomes, exchange.usage
        # Stored before the charge, shown only with the answer: withdrawn if it never comes.
        proposals = await self._propose(request, thread, outcomes)
        kind = interaction_type(InteractionFacts(outcomes, len(earlier), usage.output_tokens))
        text = storable(reply.text).strip() or "(no answer)"
        now = self._clock.now()
        answer = Answer(text, kind, usage, None, proposals, storable(reply.model))
        record = AnswerRecord(
            turns=(
                Turn(thread.id, TurnSpeaker.MEMBER, request.text, request.member.id, now),
                Turn(thread.id, TurnSpeaker.ASSISTANT, text, None, now),
            ),
            audit=self._audit_record(request, thread, text=text, exchange=exchange, answer=answer),
        )
        try:
            charge = await self._pool.settle(
                request.workspace,
                key=request.event_id,
                usage=usage,
                interaction_type=kind,
                record=record,
            )
        except Exception:
            await self._actions.withdraw(proposals)
            raise
        return replace(answer, charge=charge)

    async def _propose(
        self, request: AskAI, thread: Thread, outcomes: Sequence[ToolOutcome]
    ) -> tuple[ProposedAction, ...]:
        return tuple(
            [
                await self._actions.propose(
                    workspace_id=request.workspace.id,
                    thread_id=thread.id,
                    requester=request.member,
                    draft=o.proposal,
                )
                for o in outcomes
                if o.proposal is not None
            ]
        )

    def _audit_record(
        self,
        request: AskAI,
        thread: Thread,
        *,
        text: str,
        exchange: Exchange | None = None,
        answer: Answer | None = None,
        outcome: str = "answered",
    ) -> AuditRecord:
        """The audit record; its credits are set by the store to what the charge took."""
        outcomes = exchange.outcomes if exchange else []
        usage = exchange.usage if exchange else TokenUsage()
        return AuditRecord(
            workspace_id=request.workspace.id,
            thread_id=thread.id,
            member_id=request.member.id,
            event_id=request.event_id,
            at=self._clock.now(),
            prompt=redact(request.text),
            answer=redact(storable(text)),
            tools=tuple(o.call.name for o in outcomes),
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            tokens_estimated=usage.estimated,
            credits=0,
            interaction_type=answer.interaction_type.value if answer else "",
            model=answer.model if answer else storable(self._model.label),
            outcome=outcome,
            proposals=tuple(p.id for p in answer.proposals) if answer else (),
        )


def _storable_call(call: ToolCall) -> ToolCall:
    """A tool call whose name and arguments can be stored (proposals) and queried with."""
    return replace(call, name=storable(call.name), arguments=storable_values(call.arguments))

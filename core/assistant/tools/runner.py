"""Running the model's tool calls: read tools answer, proposal tools only propose."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from core.assistant.tools import proposals, reads, sprints
from core.assistant.tools.filters import ToolContext
from core.assistant.tools.proposals import ProposalDraft
from core.assistant.tools.specs import proposal_tools, read_tools
from core.clock import Clock, SystemClock
from core.errors import SetGetError
from core.llm import ToolCall, ToolSpec
from core.work.ports import WorkItemStore

logger = logging.getLogger(__name__)

READ_TOOLS = frozenset(
    {
        "count_work_items",
        "list_work_items",
        "sprint_progress",
        "compare_velocity",
        "project_summary",
    }
)


@dataclass(frozen=True)
class ToolOutcome:
    """A tool's JSON result for the model, and the proposal it made, if any."""

    call: ToolCall
    result: dict[str, Any]
    proposal: ProposalDraft | None = None

    @property
    def failed(self) -> bool:
        return "error" in self.result


class WorkTools:
    """The tools over one store; `clock` tells which sprint is running (its date, not the
    latest sprint, makes a sprint current)."""

    def __init__(
        self, store: WorkItemStore, *, clock: Clock | None = None, max_items: int = 15
    ) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._max_items = max_items

    def specs(self, *, scoped: bool) -> list[ToolSpec]:
        return read_tools(scoped=scoped) + proposal_tools(scoped=scoped)

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolOutcome:
        """Run one call; a bad argument becomes an error the model can read and correct."""
        if ctx.day is None:
            ctx = replace(ctx, day=self._clock.now().date())
        try:
            return await self._dispatch(call, ctx)
        except SetGetError as exc:
            return ToolOutcome(call=call, result={"error": str(exc)})

    async def _dispatch(self, call: ToolCall, ctx: ToolContext) -> ToolOutcome:
        if "_raw" in call.arguments:
            return ToolOutcome(call=call, result={"error": "arguments were not valid JSON"})
        handler = _HANDLERS.get(call.name)
        if handler is None:
            logger.info("model called unknown tool %s", call.name)
            return ToolOutcome(call=call, result={"error": f"there is no tool {call.name!r}"})
        result, draft = await handler(self._store, call.arguments, ctx, self._max_items)
        return ToolOutcome(call=call, result=result, proposal=draft)


Result = tuple[dict[str, Any], ProposalDraft | None]
Handler = Callable[[WorkItemStore, Mapping[str, Any], ToolContext, int], Awaitable[Result]]


async def _count(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, _n: int
) -> Result:
    return await reads.count_items(store, args, ctx), None


async def _list(store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, n: int) -> Result:
    return await reads.list_items(store, args, ctx, max_items=n), None


async def _sprint(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, n: int
) -> Result:
    return await sprints.sprint_progress(store, args, ctx, max_items=n), None


async def _velocity(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, _n: int
) -> Result:
    return await sprints.compare_velocity(store, args, ctx), None


async def _summary(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, n: int
) -> Result:
    return await reads.project_summary(store, args, ctx, max_items=n), None


async def _create(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, _n: int
) -> Result:
    return await proposals.propose_create(store, args, ctx)


async def _update(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, n: int
) -> Result:
    return await proposals.propose_update(store, args, ctx, max_items=n)


_HANDLERS: dict[str, Handler] = {
    "count_work_items": _count,
    "list_work_items": _list,
    "sprint_progress": _sprint,
    "compare_velocity": _velocity,
    "project_summary": _summary,
    "propose_create_work_item": _create,
    "propose_update_work_items": _update,
}
READ_TOOLS = frozenset(name for name in _HANDLERS if not name.startswith("propose_"))


__all__ = ["ProposalDraft", "ToolContext", "ToolOutcome", "WorkTools"]

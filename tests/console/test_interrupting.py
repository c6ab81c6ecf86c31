"""Ctrl-C (SIGINT) while the console answers, in this process: the answer stops where it
writes its next words, or its task is cancelled when it writes none; nothing is charged and
the next line is answered."""

from __future__ import annotations

import asyncio
import io
import signal
from collections.abc import Sequence

from adapters.console import ConsoleSession
from core.credits.pricing import TokenUsage
from core.llm import ChatMessage, LLMReply, OnText, ToolSpec
from tests.assistant.conftest import Team
from tests.chat.conftest import layer_for

BOUND = 10  # seconds: far more than any of these takes, so that a failure cannot hang


class Stoppable:
    """A model that writes `before`, then (with Ctrl-C pressed) `after`, or, when `hang`,
    waits for ever before writing anything."""

    def __init__(self, *, before: str = "", after: str = "", hang: bool = False) -> None:
        self._before, self._after, self._hang = before, after, hang

    label = "stoppable"

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        assert on_text is not None
        for word in self._before.split():
            await on_text(word + " ")
        signal.raise_signal(signal.SIGINT)  # the person presses Ctrl-C
        if self._hang:
            await asyncio.Event().wait()
        for word in self._after.split():
            await on_text(word + " ")
        usage = TokenUsage(input_tokens=500, output_tokens=50)
        return LLMReply(self._before + self._after, (), usage, "stoppable")


async def converse(
    team: Team,
    model: Stoppable,
    *,
    grace: float = 0.2,
) -> str:
    out = io.StringIO()
    session = ConsoleSession(
        layer=layer_for(team, model).layer,
        workspace=team.workspace,
        member=team.alice,
        out=out,
        grace=grace,
    )
    lines = iter(["Tell me about Sprint 12", "/setget balance"])
    await asyncio.wait_for(session.run(lines), BOUND)
    return out.getvalue()


async def nothing_held_or_used(team: Team) -> bool:
    balance = (await team.pool.status(team.workspace)).balance
    return (balance.reserved, balance.monthly_used) == (0, 0)


async def test_an_answer_stops_at_its_next_words(team: Team) -> None:
    text = await converse(team, Stoppable(before="Sprint 12 is", after="going well"), grace=60)
    assert "Sprint 12 is \n  Interrupted: nothing was charged.\n" in text
    assert "going" not in text
    assert " left\n" not in text  # no footer
    assert "Remaining: 500 credits" in text  # the next line was answered
    assert await nothing_held_or_used(team)


async def test_an_answer_that_writes_nothing_is_cancelled_after_the_grace(team: Team) -> None:
    text = await converse(team, Stoppable(hang=True), grace=0.2)
    assert "  Interrupted: nothing was charged.\n" in text
    assert "Remaining: 500 credits" in text
    assert await nothing_held_or_used(team)


async def test_a_second_ctrl_c_cancels_at_once(team: Team) -> None:
    class Twice(Stoppable):
        async def complete(self, *args: object, **kwargs: object) -> LLMReply:
            asyncio.get_running_loop().call_later(0.05, signal.raise_signal, signal.SIGINT)
            return await super().complete(*args, **kwargs)  # type: ignore[arg-type]

    text = await converse(team, Twice(hang=True), grace=3600)
    assert "  Interrupted: nothing was charged.\n" in text
    assert await nothing_held_or_used(team)

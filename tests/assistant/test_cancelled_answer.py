"""An answer cancelled half-way (Ctrl-C at the console, a shutdown past its grace on Slack or
Discord) gives its hold back at once: nothing charged, nothing left reserved."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core.llm import ChatMessage, LLMReply, OnText, ToolSpec
from tests.assistant.conftest import Team


class Stalling:
    """A model that writes a little, then never finishes."""

    label = "stalling"

    def __init__(self) -> None:
        self.writing = asyncio.Event()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        if on_text is not None:
            await on_text("Counting")
        self.writing.set()
        await asyncio.Event().wait()
        raise AssertionError("never reached")


async def test_a_cancelled_answer_gives_its_hold_back(team: Team) -> None:
    model = Stalling()
    assistant = team.assistant(model)
    answering = asyncio.create_task(assistant.ask(team.ask("How many open items in WEB?")))
    await model.writing.wait()
    held = (await team.pool.status(team.workspace)).balance
    assert held.reserved == 1  # the hold of the answer in progress

    answering.cancel()
    done = await asyncio.gather(answering, return_exceptions=True)

    assert isinstance(done[0], asyncio.CancelledError)
    balance = (await team.pool.status(team.workspace)).balance
    assert (balance.reserved, balance.monthly_used) == (0, 0)

"""Answers seen as they are written: the offline model's pieces and pace, the console's
stream, and what is left of a line once a terminal's control sequences are taken out."""

from __future__ import annotations

import io

import pytest

from adapters.console.reading import clean
from adapters.console.surface import ConsoleStream
from adapters.offline import OfflineModel
from adapters.offline import model as offline_model
from core.llm import ChatMessage, Speaker

ASK = [ChatMessage(Speaker.USER, "Tell me a joke")]


async def test_the_offline_model_streams_word_by_word_at_its_pace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(offline_model.asyncio, "sleep", pause)
    pieces: list[str] = []

    async def on_text(delta: str) -> None:
        pieces.append(delta)

    reply = await OfflineModel(pace=0.02).complete(ASK, on_text=on_text)
    assert "".join(pieces) == reply.text
    assert len(pieces) > reply.text.count("\n") + 10  # words, not lines
    assert pauses == [0.02] * len(pieces)


async def test_without_a_pace_the_offline_model_never_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def pause(seconds: float) -> None:
        raise AssertionError("waited")

    monkeypatch.setattr(offline_model.asyncio, "sleep", pause)
    pieces: list[str] = []

    async def on_text(delta: str) -> None:
        pieces.append(delta)

    reply = await OfflineModel().complete(ASK, on_text=on_text)
    assert "".join(pieces) == reply.text


async def test_a_live_stream_shows_each_piece_as_it_comes() -> None:
    out = io.StringIO()
    stream = ConsoleStream(out)
    await stream.on_text("Three ")
    assert out.getvalue() == "Three "
    await stream.on_text("items.")
    await stream.finish("Three items.", footer="simple question · 1 credit · 499 left")
    assert out.getvalue() == "Three items.\n  — simple question · 1 credit · 499 left\n"


async def test_a_stream_that_is_not_live_prints_the_answer_at_once() -> None:
    out = io.StringIO()
    stream = ConsoleStream(out, live=False)
    await stream.on_text("Three ")
    await stream.on_text("items.")
    assert out.getvalue() == ""
    await stream.finish("Three items.", footer="simple question · 1 credit · 499 left")
    assert out.getvalue() == "Three items.\n  — simple question · 1 credit · 499 left\n"


@pytest.mark.parametrize(
    ("typed", "left"),
    [
        ("\x1b[A", ""),  # up
        ("\x1b[A\x1b[B\x1b[C\x1b[D", ""),
        ("\x1bOP", ""),  # F1
        ("\x1b[3~", ""),  # delete
        ("How many\x1b[D\x1b[C open items?\n", "How many open items?"),
        ("caf\x08é\x7f", "café"),
        ("\x1b", ""),
    ],
)
def test_control_sequences_are_never_part_of_a_question(typed: str, left: str) -> None:
    assert clean(typed) == left

"""`setget-bot demo` at a terminal: line editing, history across sessions, Ctrl-C and Ctrl-D."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import (
    CTRL_C,
    CTRL_D,
    DELETE,
    DOWN,
    LEFT,
    PROMPT,
    RIGHT,
    UP,
    Demo,
    visible,
)

QUESTION = "How many open items are in the WEB project?"
LONG = "Summarize Sprint 12 progress with completion breakdown"


def test_arrow_keys_edit_the_line_and_are_never_a_question(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    term = demo.start()
    term.send(UP + DOWN + RIGHT + LEFT + "\r")  # nothing in the history yet: an empty line
    term.expect(PROMPT)
    term.send("/quxt" + LEFT + LEFT + DELETE + "i" + RIGHT + "\r")  # edited into "/quit"
    assert term.ended() == 0
    assert "offline demo model" not in term.text  # nothing was asked
    status = demo.status(capsys)
    assert status["monthly_used"] == 0
    assert status["reserved"] == 0


def test_up_arrow_recalls_the_last_question_also_in_the_next_session(
    demo: Demo, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    term = demo.start()
    term.line(QUESTION)
    term.expect(" left")
    term.expect(PROMPT)
    term.send(UP + "\r")  # the same question again, in the same session
    term.expect(" left")
    term.expect(PROMPT)
    term.line("/quit")
    assert term.ended() == 0
    assert term.text.count("open work items in WEB") == 2
    assert QUESTION in history.read_text()

    again = demo.start()
    again.send(UP + UP + "\r")  # /quit, then the question before it
    again.expect(" left")
    again.expect(PROMPT)
    again.line("/quit")
    assert again.ended() == 0
    assert "open work items in WEB" in again.text
    assert demo.status(capsys)["monthly_used"] == 3  # one credit each


def test_ctrl_c_stops_an_answer_nothing_is_charged_and_the_prompt_comes_back(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    term = demo.start(pace_ms=300)  # the long answer would take minutes
    term.line(LONG)
    term.expect("(offline demo model")  # the answer has started to print
    term.send(CTRL_C)
    term.expect("Interrupted: nothing was charged.")
    term.expect(PROMPT)
    term.line("/quit")
    assert term.ended() == 0
    assert " left" not in term.text  # no footer: the answer never finished
    status = demo.status(capsys)
    assert status["monthly_used"] == 0
    assert status["reserved"] == 0  # the hold went back at once


def test_ctrl_c_at_the_prompt_leaves_cleanly(demo: Demo) -> None:
    term = demo.start()
    term.send(CTRL_C)
    assert term.ended() == 0
    assert visible(term.text).endswith("\n")
    assert "^C" not in term.text


def test_ctrl_c_twice_while_answering_leaves_cleanly(demo: Demo) -> None:
    term = demo.start(pace_ms=300)
    term.line(LONG)
    term.expect("(offline demo model")
    term.send(CTRL_C)
    term.expect(PROMPT)
    term.send(CTRL_C)
    assert term.ended() == 0


def test_ctrl_d_leaves_with_the_shell_prompt_on_a_new_line(demo: Demo) -> None:
    term = demo.start()
    term.line(QUESTION)
    term.expect(" left")
    term.expect(PROMPT)
    term.send(CTRL_D)
    assert term.ended() == 0
    assert visible(term.text).endswith("\n")  # the shell's prompt comes on a line of its own


def test_no_stream_prints_each_answer_at_once_without_the_pace(demo: Demo) -> None:
    term = demo.start("--no-stream", pace_ms=1000)  # streamed, it would take half a minute
    term.line(QUESTION)
    term.expect(" left")
    term.line("/quit")
    assert term.ended() == 0
    assert "open work items in WEB" in term.text

"""The console's history file: made with its folder on the first line, without y/n."""

from __future__ import annotations

from pathlib import Path

from adapters.console.session import worth_recalling
from adapters.console.terminal import _KeptHistory


def test_questions_are_kept_in_a_new_folder_and_answers_to_a_proposal_are_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "not yet" / "console-history"
    history = _KeptHistory(path, keep=worth_recalling)
    history.append_string("y")
    history.append_string(" No ")
    assert not path.exists()
    history.append_string("How many open items are in WEB?")
    history.append_string("/setget balance")
    again = _KeptHistory(path, keep=worth_recalling)
    assert list(again.load_history_strings()) == [
        "/setget balance",
        "How many open items are in WEB?",
    ]


def test_a_history_that_cannot_be_written_leaves_the_console_working(tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("")
    history = _KeptHistory(blocked / "console-history", keep=worth_recalling)
    history.append_string("How many open items are in WEB?")  # logged, not raised
    assert blocked.read_text() == ""

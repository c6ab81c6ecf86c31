"""While the console runs, log records go to a file, never into the middle of the chat."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.chatting import console_log_path, logs_out_of_the_chat


@pytest.fixture
def terminal() -> Iterator[io.StringIO]:
    """The handler `setget-bot` sets up on stderr (`logging.basicConfig`)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_warnings_go_to_the_log_file_and_errors_to_stderr_in_one_line(
    terminal: io.StringIO, user_data_home: Path
) -> None:
    log = logging.getLogger("adapters.llm.retries")
    with logs_out_of_the_chat():
        log.warning("openai is slow, trying again in 1 s")
        try:
            raise ConnectionError("refused")
        except ConnectionError:
            log.exception("the provider failed")
    assert console_log_path() == user_data_home / "setget-bot" / "console.log"
    written = console_log_path().read_text()
    assert "trying again in 1 s" in written
    assert "Traceback" in written  # the details are kept
    assert terminal.getvalue() == "ERROR adapters.llm.retries: the provider failed\n"


def test_after_the_console_the_terminal_logs_as_before(terminal: io.StringIO) -> None:
    with logs_out_of_the_chat():
        pass
    logging.getLogger("x").warning("after")
    assert terminal.getvalue().endswith("after\n")

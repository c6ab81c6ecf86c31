"""The real `setget-bot demo` in a pseudo-terminal, as a person at a terminal runs it."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from bot.cli.main import main
from tests.assistant.conftest import team  # noqa: F401  (the `team` fixture)

START = 60  # seconds: the CLI imports for several seconds on a busy machine
STEP = 10  # seconds for anything after start-up
PROMPT = "alice>"  # prompt_toolkit draws the space after it as a cursor move
UP, DOWN, RIGHT, LEFT = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
DELETE = "\x1b[3~"
CTRL_C, CTRL_D = "\x03", "\x04"
_DRAWING = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\r")


def visible(text: str) -> str:
    """What is left of terminal output once cursor moves and colours are taken out."""
    return _DRAWING.sub("", text)


class Terminal:
    """One run of the CLI in a pseudo-terminal; `text` is all it printed."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.text = ""

    def expect(self, pattern: str, timeout: float = STEP) -> str:
        """Wait for `pattern` (literal); returns what came before it."""
        self.child.expect_exact(pattern, timeout=timeout)
        before = str(self.child.before) + str(self.child.after)
        self.text += before
        return before

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def line(self, text: str) -> None:
        self.child.send(text + "\r")

    def ended(self) -> int:
        """Wait for the program to end; its exit status."""
        self.child.expect(pexpect.EOF, timeout=STEP)
        self.text += str(self.child.before)
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, f"killed by signal {self.child.signalstatus}"
        assert "Traceback" not in self.text
        assert "CancelledError" not in self.text
        return int(status)


class Demo:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self._tmp = tmp_path
        self._url = f"sqlite:///{tmp_path / 'x.db'}"
        monkeypatch.setenv("SETGET_DATABASE_URL", self._url)
        monkeypatch.chdir(tmp_path)
        self._running: list[pexpect.spawn] = []

    def start(self, *args: str, pace_ms: int = 0) -> Terminal:
        """`setget-bot demo ARGS` at a terminal, once its prompt is shown."""
        env = {
            **os.environ,
            "SETGET_OFFLINE_PACE_MS": str(pace_ms),
            "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect answers no cursor position request
        }
        child = pexpect.spawn(
            sys.executable,
            ["-m", "bot.cli", "demo", *args],
            env=env,
            cwd=str(self._tmp),
            encoding="utf-8",
            dimensions=(40, 120),
        )
        self._running.append(child)
        terminal = Terminal(child)
        terminal.expect(PROMPT, timeout=START)
        return terminal

    def status(self, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
        """`credits status demo --json` on the same database, run in this process."""
        capsys.readouterr()
        assert main(["credits", "status", "demo", "--json"]) == 0
        result: dict[str, object] = json.loads(capsys.readouterr().out)
        return result

    def close(self) -> None:
        for child in self._running:
            if child.isalive():
                child.terminate(force=True)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    running = Demo(tmp_path, monkeypatch)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def history(user_data_home: Path) -> Path:
    return user_data_home / "setget-bot" / "console-history"

"""A person at a terminal: prompt_toolkit's line editing (arrow keys, Ctrl-A/E, Ctrl-R)
with a history kept across sessions in a file."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory

logger = logging.getLogger(__name__)


class _KeptHistory(FileHistory):
    """A history file whose folder is made when the first line is stored; one that cannot
    be written leaves the history to this session."""

    def __init__(self, path: Path, *, keep: Callable[[str], bool]) -> None:
        super().__init__(str(path))
        self._path = path
        self._keep = keep

    def append_string(self, string: str) -> None:
        if self._keep(string):
            super().append_string(string)

    def store_string(self, string: str) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            super().store_string(string)
        except OSError as exc:
            logger.warning("the console history %s cannot be written: %s", self.filename, exc)


class TerminalLines:
    """Lines a person edits at a terminal; Ctrl-D or Ctrl-C at the prompt leaves."""

    def __init__(self, history: Path, *, keep: Callable[[str], bool] = bool) -> None:
        """`keep`: whether a line is worth recalling with the up arrow."""
        self._session: PromptSession[str] = PromptSession(history=_KeptHistory(history, keep=keep))

    async def read(self, prompt: str) -> str | None:
        try:
            return await self._session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    def answering(self) -> AbstractContextManager[object]:
        """While an answer prints, keys typed are not echoed into it (they wait for the next
        prompt); Ctrl-C still interrupts."""
        return _echo_off()


@contextlib.contextmanager
def _echo_off() -> Iterator[None]:
    try:
        import termios

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):  # not a POSIX terminal: echo stays on
        yield
        return
    quiet = list(saved)
    quiet[3] &= ~(termios.ECHO | termios.ECHOCTL)  # lflags; ISIG stays: Ctrl-C is SIGINT
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)

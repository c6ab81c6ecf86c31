"""Where the console's lines come from: a script, piped input, or a person at a terminal
(`adapters.console.terminal`), and what is left of a line once the terminal's control
sequences are taken out."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol, TextIO

# Escape sequences (arrow keys: ESC [ A, function keys: ESC O P, ...) and other control
# characters a terminal without line editing passes through as text.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[O\[]?.?|[\x00-\x08\x0b-\x1f\x7f]")


def clean(line: str) -> str:
    """The text a person typed, without control sequences: never sent to the model."""
    return _CONTROL.sub("", line).strip()


class LineReader(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line, shown `prompt` first when a person is typing; None when the input
        ended or the person left (Ctrl-D, Ctrl-C at the prompt)."""
        ...

    def answering(self) -> AbstractContextManager[object]:
        """Held while a line is answered (a terminal stops echoing keys into the answer)."""
        ...


class ScriptedLines:
    """Lines given in advance (tests, scripts); no prompt is shown."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    async def read(self, prompt: str) -> str | None:
        return next(self._lines, None)

    def answering(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()


class StreamLines:
    """Lines read from a stream as they come (piped input, or a terminal without line
    editing); the prompt is shown only when `prompt_to` is given."""

    def __init__(self, source: TextIO, *, prompt_to: TextIO | None = None) -> None:
        self._source = source
        self._prompt_to = prompt_to

    async def read(self, prompt: str) -> str | None:
        if self._prompt_to is not None:
            self._prompt_to.write(prompt)
            self._prompt_to.flush()
        try:
            line = self._source.readline()
        except KeyboardInterrupt:  # Ctrl-C while waiting for a line: the person leaves
            line = ""
        except (OSError, ValueError):  # no readable input (closed, or captured by a runner)
            line = ""
        if not line and self._prompt_to is not None:
            self._prompt_to.write("\n")  # the shell's prompt on a line of its own
            self._prompt_to.flush()
        return line or None

    def answering(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()

"""The terminal as a chat surface: answers stream as the model writes them, replies are
lines with a symbol for their tone, proposals wait for a `y` or `n`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TextIO

from adapters.console.interrupts import Interrupted
from core.assistant.actions import ProposedAction
from core.chat.people import Profile
from core.chat.replies import Reply, Tone, resolve_refs
from core.chat.surface import AnswerStream
from core.chat.wording import proposal_text, who_may_confirm
from core.workspaces import Platform

CHANNEL = "console"
_SYMBOL = {Tone.INFO: "", Tone.SUCCESS: "✓ ", Tone.WARNING: "⚠ ", Tone.REFUSAL: "⛔ "}
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<!\w)_(.+?)_(?!\w)")


def render(reply: Reply) -> str:
    """Plain terminal text: the tone's symbol, emphasis marks dropped, mentions by name."""
    text = resolve_refs(reply.text, channel=lambda c: f"#{c}", user=lambda u: f"@{u}")
    return _SYMBOL[reply.tone] + _EMPHASIS.sub(r"\1", _BOLD.sub(r"\1", text))


class ConsoleStream:
    """The answer as the model writes it (or at once, when not `live`), then its footer on
    a line of its own."""

    def __init__(
        self, out: TextIO, *, live: bool = True, stopped: Callable[[], bool] = lambda: False
    ) -> None:
        self._out = out
        self._live = live
        self._stopped = stopped  # the person pressed Ctrl-C: stop at the next words
        self._shown = ""

    message = None  # a terminal has no message to come back to

    async def start(self) -> None:
        return None

    async def on_text(self, delta: str) -> None:
        if self._stopped():
            raise Interrupted
        if not self._live:
            return
        self._shown += delta
        self._out.write(delta)
        self._out.flush()

    def end_line(self) -> None:
        """Leave the line an interrupted answer was printing."""
        if self._shown and not self._shown.endswith("\n"):
            self._shown += "\n"
            self._out.write("\n")

    async def finish(self, text: str, *, footer: str) -> list[str]:
        if not self._shown:  # the model did not stream: show the whole answer now
            self._out.write(text)
            self._shown = text
        if not self._shown.endswith("\n"):
            self._out.write("\n")
        self._line(f"  — {footer}")
        return []

    async def fail(self, reply: Reply) -> None:
        if self._shown and not self._shown.endswith("\n"):
            self._out.write("\n")
        self._line(f"  {render(reply)}")

    async def remove(self) -> None:
        return None

    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


class ConsoleSurface:
    def __init__(
        self, out: TextIO, *, on_offer: Callable[[ProposedAction], None], live: bool = True
    ) -> None:
        self._out = out
        self._on_offer = on_offer
        self._live = live
        self._stream: ConsoleStream | None = None  # the latest answer's
        self._stopping = False

    text_limit = 1_000_000
    edit_interval = 0.0
    placeholder = ""

    def render(self, reply: Reply) -> str:
        return render(reply)

    async def post(self, text: str, *, footer: str | None = None) -> str:
        self.say(text + (f"\n  — {footer}" if footer else ""))
        return ""

    async def edit(self, message: str, text: str, *, footer: str | None = None) -> None:
        return None

    async def delete(self, message: str) -> None:
        return None

    async def tell(self, user: str, reply: Reply) -> None:
        self.say(f"  {render(reply)}")

    async def offer(self, action: ProposedAction, *, requester: str) -> str:
        for line in render(Reply(proposal_text(action))).splitlines():
            self.say(f"  {line}")
        scope = who_may_confirm(action).replace(" can confirm", " may confirm").lower()
        self.say(f"  Reply y to confirm or n to reject ({scope}).")
        self._on_offer(action)
        return str(action.id)

    async def status(self, text: str | None) -> None:
        return None

    def native_stream(self, resume: str | None) -> AnswerStream:
        self._stream = ConsoleStream(self._out, live=self._live, stopped=lambda: self._stopping)
        return self._stream

    def stop(self) -> None:
        """Ctrl-C: the answer being written stops at its next words."""
        self._stopping = True

    def go_on(self) -> None:
        """A new line: a Ctrl-C that came too late to stop the one before is forgotten."""
        self._stopping = False

    def say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def interrupted(self, text: str) -> None:
        """Say why an answer stopped, below what it had printed."""
        if self._stream is not None:
            self._stream.end_line()
            self._stream = None
        self._stopping = False
        self.say(text)


class ConsoleDirectory:
    """At the console, people are who they say they are (`--user`); their role is the one
    the workspace gives their console member."""

    @property
    def platform(self) -> Platform:
        return Platform.CONSOLE

    async def profile(self, team: str, user: str) -> Profile | None:
        return Profile(name=user, platform_admin=False)

    async def platform_admins(self, team: str) -> list[str]:
        return []

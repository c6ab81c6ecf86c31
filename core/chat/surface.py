"""The ports a chat platform implements: a surface for one conversation, and a stream that
shows an answer while the model writes it.

A surface posts and edits messages in its own markup (`render` turns a neutral reply into
it), tells one person privately (Slack: ephemeral; Discord: ephemeral on interactions,
otherwise a DM; the console: a line), offers a proposal with Confirm/Reject, and shows what
the bot is doing now (Slack's assistant status, Discord's typing indicator). Its
`text_limit` and `edit_interval` are the platform's (Slack 3,000 characters and about one
edit a second; Discord 2,000 and about five edits in five seconds).

A platform with native text streaming (Slack's `chat.startStream`/`appendStream`/
`stopStream`) returns its own `AnswerStream` from `native_stream`; otherwise the layer's
`EditedStream` streams by posting a placeholder and editing it. A native stream whose start
the platform refuses here (`StreamRefused`) gives way to the edits, decided by the layer
(`core.chat.streaming.FallbackStream`). A native stream that can put the answer's proposals,
with their buttons, in the answer's last message (`ProposingStream`) is given them; otherwise
each proposal is offered in a message of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.errors import SetGetError


class SurfaceRefused(SetGetError):
    """The platform refused a post or an edit (gone, not allowed, rate limited after
    retries); `code` is the platform's own reason."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class StreamRefused(SurfaceRefused):
    """The platform will not stream natively here (a channel type, an older client, a plan):
    the answer is streamed by edits instead."""


class AnswerStream(Protocol):
    @property
    def message(self) -> str | None:
        """The platform's id of the message that holds the answer, once there is one."""
        ...

    async def start(self) -> None:
        """Show at once that an answer is coming."""
        ...

    async def on_text(self, delta: str) -> None: ...

    async def finish(self, text: str, *, footer: str) -> list[str]:
        """The whole answer, with the usage footer on its last message; returns the ids of
        the messages that hold it."""
        ...

    async def fail(self, reply: Reply) -> None:
        """Replace what was shown with `reply` (no answer, nothing charged); with nothing
        shown yet, post it."""
        ...

    async def remove(self) -> None:
        """Take back what was shown (the person is told another way, or not at all)."""
        ...


@runtime_checkable
class ProposingStream(AnswerStream, Protocol):
    async def finish_proposing(
        self,
        text: str,
        *,
        footer: str,
        proposals: Sequence[ProposedAction],
        requester: str,
    ) -> list[str]:
        """As `finish`, with each proposal and its Confirm/Reject at the end of the answer."""
        ...


class Surface(Protocol):
    @property
    def text_limit(self) -> int: ...

    @property
    def edit_interval(self) -> float: ...

    @property
    def placeholder(self) -> str:
        """What a message shows before its answer arrives, in the platform's markup."""
        ...

    def render(self, reply: Reply) -> str:
        """`reply` in the platform's markup: tone, CommonMark, mentions that never ping."""
        ...

    async def post(self, text: str, *, footer: str | None = None) -> str:
        """Post rendered `text` in the conversation; returns the message's id."""
        ...

    async def edit(self, message: str, text: str, *, footer: str | None = None) -> None: ...

    async def delete(self, message: str) -> None: ...

    async def tell(self, user: str, reply: Reply) -> None:
        """To `user` alone, by the most private means the platform has here."""
        ...

    async def offer(self, action: ProposedAction, *, requester: str) -> str:
        """Post the proposal with Confirm and Reject; returns the message's id."""
        ...

    async def status(self, text: str | None) -> None:
        """What the bot is doing now ("Counting open items in WEB…"); None clears it."""
        ...

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        """The platform's own streaming, continuing in message `resume` if given; None to
        stream by editing a placeholder."""
        ...

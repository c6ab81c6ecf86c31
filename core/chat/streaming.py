"""An answer streamed by edits: a placeholder at once, an edit at most once per the
surface's interval while the model writes, then the final text split to the surface's limit
with the usage footer on the last piece. `FallbackStream` streams natively where the
platform can, and by edits where it refuses to."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.chat.surface import AnswerStream, ProposingStream, StreamRefused, Surface, SurfaceRefused

logger = logging.getLogger(__name__)


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends (else spaces) where possible."""
    pieces: list[str] = []
    rest = text.strip("\n")
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


class EditedStream:
    def __init__(
        self,
        surface: Surface,
        *,
        interval: float | None = None,
        now: Callable[[], float] = time.monotonic,
        message: str | None = None,
    ) -> None:
        """`message`: a placeholder posted before (by an attempt that crashed) to answer in."""
        self._surface = surface
        self._interval = surface.edit_interval if interval is None else interval
        self._now = now
        self._text = ""
        self.message = message
        self._last_edit = 0.0
        self._edit: asyncio.Task[None] | None = None
        self.edits = 0

    async def start(self) -> None:
        if self.message is None:
            self.message = await self._surface.post(self._surface.placeholder)
        self._last_edit = self._now()

    async def on_text(self, delta: str) -> None:
        """Collect streamed text; edit the placeholder when the last edit is old enough."""
        self._text += delta
        if self._edit is not None and not self._edit.done():
            return
        if self._now() - self._last_edit < self._interval:
            return
        self._last_edit = self._now()
        shown = self._surface.render(Reply(self._text))
        limit = self._surface.text_limit
        if len(shown) > limit:
            shown = split(shown, limit)[0] + " …"
        self._edit = asyncio.create_task(self._update(shown, footer=None, quiet=True))

    async def finish(self, text: str, *, footer: str) -> list[str]:
        """The placeholder holds the first piece, later pieces follow, the last with the
        footer; when the placeholder cannot be edited the answer is posted anew (it was
        paid for). Returns every message's id."""
        await self.settled()
        pieces = split(self._surface.render(Reply(text)), self._surface.text_limit)
        try:
            await self._update(pieces[0], footer=footer if len(pieces) == 1 else None)
        except SurfaceRefused as exc:
            logger.warning("the final edit was refused (%s); posting the answer", exc.code)
            return await self._post(pieces, footer=footer)
        return [self.message or "", *await self._post(pieces[1:], footer=footer)]

    async def _post(self, pieces: list[str], *, footer: str) -> list[str]:
        last = len(pieces) - 1
        return [
            await self._surface.post(piece, footer=footer if i == last else None)
            for i, piece in enumerate(pieces)
        ]

    async def fail(self, reply: Reply) -> None:
        await self.settled()
        if self.message is None:
            self.message = await self._surface.post(self._surface.render(reply))
            return
        await self._update(self._surface.render(reply), footer=None)

    async def remove(self) -> None:
        await self.settled()
        if self.message is not None:
            await self._surface.delete(self.message)

    async def settled(self) -> None:
        """Wait for the progress edit in flight, if any."""
        if self._edit is not None:
            await self._edit

    async def _update(self, text: str, *, footer: str | None, quiet: bool = False) -> None:
        if self.message is None:
            return
        try:
            await self._surface.edit(self.message, text, footer=footer)
            self.edits += 1
        except SurfaceRefused as exc:
            if not quiet:
                raise
            # A progress edit that fails is skipped: the final edit carries the whole text.
            logger.warning("a progress edit was refused: %s", exc.code)


class FallbackStream:
    """The platform's own stream; when the platform refuses to start it here, the answer
    streams by edits instead (nothing has been shown yet, so nothing is lost)."""

    def __init__(self, surface: Surface, native: AnswerStream, *, edited: EditedStream) -> None:
        self._surface = surface
        self._native = native
        self._edited = edited
        self._current: AnswerStream = native

    @property
    def message(self) -> str | None:
        return self._current.message

    @property
    def streams_natively(self) -> bool:
        return self._current is self._native

    async def start(self) -> None:
        try:
            await self._native.start()
        except StreamRefused as exc:
            logger.info("native streaming refused (%s): streaming by edits", exc.code)
            self._current = self._edited
            await self._edited.start()

    async def on_text(self, delta: str) -> None:
        await self._current.on_text(delta)

    async def finish(self, text: str, *, footer: str) -> list[str]:
        return await self._current.finish(text, footer=footer)

    async def finish_proposing(
        self,
        text: str,
        *,
        footer: str,
        proposals: Sequence[ProposedAction],
        requester: str,
    ) -> list[str]:
        return await finish_answer(
            self._current,
            self._surface,
            text,
            footer=footer,
            proposals=proposals,
            requester=requester,
        )

    async def fail(self, reply: Reply) -> None:
        await self._current.fail(reply)

    async def remove(self) -> None:
        await self._current.remove()


async def finish_answer(
    stream: AnswerStream,
    surface: Surface,
    text: str,
    *,
    footer: str,
    proposals: Sequence[ProposedAction],
    requester: str,
) -> list[str]:
    """The answer with its footer, then its proposals: in its last message where the stream
    can hold them, else each offered in a message of its own."""
    if proposals and isinstance(stream, ProposingStream):
        return await stream.finish_proposing(
            text, footer=footer, proposals=proposals, requester=requester
        )
    shown = await stream.finish(text, footer=footer)
    for action in proposals:
        await surface.offer(action, requester=requester)
    return shown

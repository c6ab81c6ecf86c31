"""A Discord thread or DM as the chat layer's surface: Markdown messages that never ping,
private words by DM, proposals as an embed with persistent Confirm and Reject buttons."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord.render import MESSAGE_LIMIT, NO_PINGS, markdown, with_footer
from core.assistant.actions import ProposedAction
from core.chat.replies import Reply
from core.chat.surface import AnswerStream, SurfaceRefused
from core.chat.wording import proposal_text, who_may_confirm

logger = logging.getLogger(__name__)

PLACEHOLDER = "⏳ _Thinking…_"
TEXT_LIMIT = MESSAGE_LIMIT - 100  # room for the `-# footer` line under the last piece
EMBED_COLOUR = discord.Colour.blurple()

Channel = discord.Thread | discord.DMChannel | discord.TextChannel
ProposalView = Callable[[int], discord.ui.View]  # Confirm/Reject for one proposal id
# Where the conversation is: the channel, or how to open it on first use (a thread on the
# mention, started only when there is something to post, so a redelivery starts none).
Where = Channel | Callable[[], Awaitable[Channel]]


class DiscordSurface:
    def __init__(
        self,
        *,
        channel: Where,
        client: discord.Client,
        proposal_view: ProposalView,
        edit_interval: float = 1.0,
        feedback_view: Callable[[], discord.ui.View | None] | None = None,
    ) -> None:
        """`feedback_view`: the 👍/👎 buttons under an answer's last message (the one with
        the footer), if offered."""
        self._feedback = feedback_view
        self._where = channel
        self._channel: Channel | None = None if callable(channel) else channel
        self._client = client
        self._proposal_view = proposal_view
        self._interval = edit_interval
        self._typed = False

    text_limit = TEXT_LIMIT
    placeholder = PLACEHOLDER

    @property
    def edit_interval(self) -> float:
        return self._interval

    def render(self, reply: Reply) -> str:
        return markdown(reply)

    async def channel(self) -> Channel:
        if self._channel is None:
            where = self._where
            assert callable(where)
            try:
                self._channel = await where()
            except discord.HTTPException as exc:
                raise refused(exc) from exc
        return self._channel

    async def post(self, text: str, *, footer: str | None = None) -> str:
        try:
            channel = await self.channel()
            sent = await channel.send(
                with_footer(text, footer), allowed_mentions=NO_PINGS, **self._buttons(footer)
            )
        except discord.HTTPException as exc:
            raise refused(exc) from exc
        if text == PLACEHOLDER:  # "typing…" while the model works (until it posts again)
            await self.status("answering")
        return str(sent.id)

    async def edit(self, message: str, text: str, *, footer: str | None = None) -> None:
        try:
            channel = await self.channel()
            await channel.get_partial_message(int(message)).edit(
                content=with_footer(text, footer),
                allowed_mentions=NO_PINGS,
                **self._buttons(footer),
            )
        except discord.HTTPException as exc:
            raise refused(exc) from exc

    def _buttons(self, footer: str | None) -> dict[str, Any]:
        view = self._feedback() if footer is not None and self._feedback is not None else None
        return {} if view is None else {"view": view}

    async def delete(self, message: str) -> None:
        try:
            channel = await self.channel()
            await channel.get_partial_message(int(message)).delete()
        except discord.HTTPException as exc:
            raise refused(exc) from exc

    async def tell(self, user: str, reply: Reply) -> None:
        """By DM (a channel message has no ephemeral form); in the conversation, pinging
        nobody, when the person accepts no DMs from the bot."""
        text = markdown(reply)
        if isinstance(await self.channel(), discord.DMChannel):
            await self.post(text)
            return
        try:
            person = self._client.get_user(int(user)) or await self._client.fetch_user(int(user))
            await person.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            logger.info("discord: a DM was refused (%s); telling in the conversation", exc.code)
            await self.post(text)

    async def offer(self, action: ProposedAction, *, requester: str) -> str:
        try:
            channel = await self.channel()
            sent = await channel.send(
                embed=proposal_embed(action),
                view=self._proposal_view(action.id),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as exc:
            raise refused(exc) from exc
        return str(sent.id)

    async def status(self, text: str | None) -> None:
        """Discord's "typing…" (it lasts about ten seconds, or until the bot posts)."""
        if text is None or self._typed:
            return
        self._typed = True
        try:
            await (await self.channel()).typing()
        except discord.HTTPException as exc:
            logger.info("discord: typing refused: %s", exc.code)

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        return None


def proposal_embed(action: ProposedAction) -> discord.Embed:
    return discord.Embed(
        description=f"{proposal_text(action)}\n-# {who_may_confirm(action)}.",
        colour=EMBED_COLOUR,
    )


def refused(exc: discord.HTTPException) -> SurfaceRefused:
    code = str(exc.code or exc.status)
    return SurfaceRefused(f"Discord refused the message: {exc.status} {code}", code=code)

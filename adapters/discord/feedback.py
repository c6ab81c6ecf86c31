"""👍 and 👎 under the last message of an answer: persistent buttons whose `custom_id` carries
the verdict, the guild (for DMs) and the key of the message answered, so a click works after
a restart and on any replica. The chat layer checks the answer belongs to the clicking
guild's workspace and keeps one verdict per person; the person is told, ephemerally."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord

from adapters.discord.buttons import bound
from adapters.discord.directory import DiscordDirectory
from adapters.discord.dms import clicked_in
from adapters.discord.render import markdown
from core.chat import ChatLayer
from core.chat.feedback import NEGATIVE, POSITIVE, FeedbackClick, button_value
from core.chat.wording import NOT_A_MEMBER

logger = logging.getLogger(__name__)

TEMPLATE = rf"setget:fb:(?P<verdict>{POSITIVE}|{NEGATIVE}):(?P<team>[^:]+):(?P<key>.+)"
CUSTOM_ID_LIMIT = 100  # Discord's limit on a component's custom_id

Button = discord.ui.Button[discord.ui.View]


def custom_id(key: str, team: str, *, positive: bool) -> str:
    return f"setget:fb:{POSITIVE if positive else NEGATIVE}:{team}:{key}"


class FeedbackButton(discord.ui.DynamicItem[Button], template=TEMPLATE):
    """One of an answer's two buttons; `DiscordFeedback.button_class` binds the handler."""

    feedback: DiscordFeedback | None = None

    def __init__(self, key: str, team: str, *, positive: bool) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if positive else "👎",
                style=discord.ButtonStyle.grey,
                custom_id=custom_id(key, team, positive=positive),
            )
        )
        self.key, self.team, self.positive = key, team, positive

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match["key"], match["team"], positive=match["verdict"] == POSITIVE)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.feedback is None:
            return
        await self.feedback.on_click(interaction, self)


class DiscordFeedback:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer
        self.button_class = bound(FeedbackButton, template=TEMPLATE, feedback=self)

    def view(self, team: str, key: str) -> discord.ui.View | None:
        """The two buttons for the answer to message `key` of `team`; None when the ids would
        not fit in Discord's custom_id (the answer then goes without them)."""
        if len(custom_id(key, team, positive=False)) > CUSTOM_ID_LIMIT:
            logger.info("discord: no feedback buttons: the message key is too long")
            return None
        view = discord.ui.View(timeout=None)
        view.add_item(self.button_class(key, team, positive=True))
        view.add_item(self.button_class(key, team, positive=False))
        return view

    async def on_click(self, interaction: discord.Interaction[Any], button: FeedbackButton) -> None:
        user = interaction.user
        team = await clicked_in(interaction, button.team)
        if team is None:
            await interaction.response.send_message(markdown(NOT_A_MEMBER), ephemeral=True)
            return
        seen = user if isinstance(user, discord.Member) else None
        click = FeedbackClick(
            team, str(user.id), button_value(button.key, positive=button.positive)
        )
        told = await self._layer.feedback.give(
            click, directory=DiscordDirectory(interaction.client, seen=seen)
        )
        await interaction.response.send_message(markdown(told), ephemeral=True)

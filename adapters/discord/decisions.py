"""Confirm and Reject on a proposed action: persistent buttons whose `custom_id` carries the
proposal (and the guild, for DMs), so a click works after a restart and on any replica. The
click goes to the chat layer; a refusal is ephemeral, a decision replaces the buttons with
who decided and the outcome (told to the decider alone when Discord will not show it), and
only an expired proposal loses its buttons without one."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord

from adapters.discord.buttons import bound
from adapters.discord.directory import DiscordDirectory
from adapters.discord.dms import clicked_in
from adapters.discord.render import markdown
from adapters.discord.surface import EMBED_COLOUR, ProposalView
from core.assistant.actions import ProposedAction
from core.chat import ChatLayer, Click, DecisionOutcome
from core.chat.replies import user_ref
from core.chat.wording import NOT_A_MEMBER, proposal_text

logger = logging.getLogger(__name__)

TEMPLATE = r"setget:(?P<verb>confirm|reject):(?P<id>\d+):(?P<team>\d+)"

Button = discord.ui.Button[discord.ui.View]


class ProposalButton(discord.ui.DynamicItem[Button], template=TEMPLATE):
    """One of a proposal's two buttons; `DiscordDecisions.button_class` binds the handler."""

    decisions: DiscordDecisions | None = None

    def __init__(self, action_id: int, team: str, *, confirm: bool) -> None:
        verb = "confirm" if confirm else "reject"
        super().__init__(
            discord.ui.Button(
                label=verb.title(),
                style=discord.ButtonStyle.green if confirm else discord.ButtonStyle.grey,
                custom_id=f"setget:{verb}:{action_id}:{team}",
            )
        )
        self.action_id, self.team, self.confirm = action_id, team, confirm

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["id"]), match["team"], confirm=match["verb"] == "confirm")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.decisions is None:
            return
        await self.decisions.on_click(interaction, self)


class DiscordDecisions:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer
        self.button_class = bound(ProposalButton, template=TEMPLATE, decisions=self)

    def view(self, team: str) -> ProposalView:
        """`proposal id -> View` for proposals answered for `team`."""

        def for_action(action_id: int) -> discord.ui.View:
            view = discord.ui.View(timeout=None)
            view.add_item(self.button_class(action_id, team, confirm=True))
            view.add_item(self.button_class(action_id, team, confirm=False))
            return view

        return for_action

    async def on_click(self, interaction: discord.Interaction[Any], button: ProposalButton) -> None:
        user = interaction.user
        team = await clicked_in(interaction, button.team)
        if team is None:
            await show(interaction, DecisionOutcome(private=NOT_A_MEMBER))
            return
        seen = user if isinstance(user, discord.Member) else None
        click = Click(team, str(user.id), str(button.action_id), button.confirm)
        outcome = await self._layer.decisions.decide(
            click,
            directory=DiscordDirectory(interaction.client, seen=seen),
            by=user_ref(str(user.id)),
        )
        await show(interaction, outcome)


async def show(interaction: discord.Interaction[Any], outcome: DecisionOutcome) -> None:
    response = interaction.response
    if outcome.decided is not None and outcome.action is not None:
        decided = markdown(outcome.decided)
        try:
            await response.edit_message(embed=decided_embed(outcome.action, decided), view=None)
        except discord.HTTPException as exc:  # the action ran: the decider is told it
            logger.warning("discord: a decided proposal was not shown: %s", exc.status)
            if not response.is_done():
                await response.send_message(decided, ephemeral=True)
        return
    if outcome.private is not None:
        await response.send_message(markdown(outcome.private), ephemeral=True)
    if outcome.closed is not None and interaction.message is not None:
        embeds = interaction.message.embeds
        embed = embeds[0] if embeds else discord.Embed(colour=EMBED_COLOUR)
        embed.description = f"{embed.description or ''}\n\n_{outcome.closed}_"
        try:
            await interaction.message.edit(embed=embed, view=None)
        except discord.HTTPException as exc:
            logger.info("discord: a closed proposal kept its buttons: %s", exc.code)


def decided_embed(action: ProposedAction, outcome: str) -> discord.Embed:
    return discord.Embed(description=f"{proposal_text(action)}\n\n{outcome}", colour=EMBED_COLOUR)

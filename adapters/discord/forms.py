"""Forms on Discord: buying a credit pack (an ephemeral message with a button per pack size,
then a confirmation) and a self-hosted workspace's model settings (a modal; the key is never
echoed). The chat layer decides; the buttons are persistent (their `custom_id` says what
they do), so a click works after a restart and on any replica. So does a submitted modal:
discord.py keeps a sent modal in its process (one per custom_id, shared by everyone who opened
it), so the modal is sent unkept and its submission is read from the interaction itself."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Self

import discord

from adapters.discord.buttons import bound
from adapters.discord.directory import DiscordDirectory
from adapters.discord.render import NO_PINGS, markdown
from core.chat import BuyForm, ChatLayer, ConfigForm, Reply, Tone

logger = logging.getLogger(__name__)

BUY_TEMPLATE = r"setget:buy:(?P<step>size|confirm):(?P<size>\d+)"
CONFIG_MODAL = "setget:config"
TEXT_INPUT = 4  # the component type of a modal's text field
# Discord modals hold five inputs: Azure's deployment shares the model field.
CONFIG_FIELDS = (
    ("provider", "Provider (openai, azure, anthropic, openai-compatible)"),
    ("model", "Model (Azure: the deployment)"),
    ("base_url", "Endpoint / base URL"),
    ("api_version", "Azure API version"),
    ("api_key", "API key (empty: keep the stored key)"),
)

Button = discord.ui.Button[discord.ui.View]


class LastingView(discord.ui.View):
    """A view that never times out: discord.py gives a view sent on an ephemeral answer the
    interaction's 15 minutes (a timer task per message); these buttons are persistent."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @property
    def timeout(self) -> float | None:
        return None

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        return None


class BuyButton(discord.ui.DynamicItem[Button], template=BUY_TEMPLATE):
    forms: DiscordForms | None = None

    def __init__(self, size: int, *, confirm: bool) -> None:
        step = "confirm" if confirm else "size"
        label = f"Buy {size:,} credits" if confirm else f"{size:,} credits"
        style = discord.ButtonStyle.green if confirm else discord.ButtonStyle.blurple
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"setget:buy:{step}:{size}")
        )
        self.size, self.confirm = size, confirm

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["size"]), confirm=match["step"] == "confirm")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.forms is not None:
            await self.forms.on_buy(interaction, self)


class DiscordForms:
    def __init__(self, *, layer: ChatLayer) -> None:
        self._layer = layer
        self.button_class = bound(BuyButton, template=BUY_TEMPLATE, forms=self)

    def buy_view(self, form: BuyForm) -> discord.ui.View:
        view = LastingView()
        for size in form.sizes:
            view.add_item(self.button_class(size, confirm=False))
        return view

    async def on_buy(self, interaction: discord.Interaction[Any], button: BuyButton) -> None:
        forms, user = self._layer.forms, interaction.user
        seen = user if isinstance(user, discord.Member) else None
        directory = DiscordDirectory(interaction.client, seen=seen)
        team, size = str(interaction.guild_id or ""), str(button.size)
        if button.confirm:
            confirmation = interaction.message  # its id: a replayed click buys once
            told = await forms.buy_confirm(
                team=team,
                user=str(user.id),
                size=size,
                directory=directory,
                purchase=None if confirmation is None else str(confirmation.id),
            )
            await interaction.response.edit_message(content=markdown(told), view=None)
            return
        step = await forms.buy_size(team=team, user=str(user.id), size=size, directory=directory)
        if step.errors or step.confirm is None:
            refusal = Reply(" ".join(step.errors.values()) or "Pick a pack size.", Tone.REFUSAL)
            await interaction.response.send_message(
                markdown(refusal), ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        view = LastingView()
        view.add_item(self.button_class(button.size, confirm=True))
        await interaction.response.edit_message(content=markdown(step.confirm), view=view)

    def config_modal(self, form: ConfigForm) -> discord.ui.Modal:
        """The modal to send: finished already, so discord.py does not keep it (its
        submission reaches `on_interaction`, on whichever process gets it)."""
        modal = ConfigModal(form)
        modal.stop()
        return modal

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Every interaction passes here; a submitted model-settings modal is handled."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: Mapping[str, Any] = interaction.data or {}
        if data.get("custom_id") != CONFIG_MODAL:
            return
        values = submitted_values(data)
        await self.on_config(interaction, {k: v for k, v in values.items() if v})

    async def on_config(
        self, interaction: discord.Interaction[Any], values: dict[str, str]
    ) -> None:
        if values.get("provider") == "azure" and "model" in values:
            values["azure_deployment"] = values.pop("model")
        user = interaction.user
        seen = user if isinstance(user, discord.Member) else None
        step = await self._layer.forms.save_config(
            team=str(interaction.guild_id or ""),
            user=str(user.id),
            values=values,
            directory=DiscordDirectory(interaction.client, seen=seen),
        )
        if step.errors:
            told = Reply("\n".join(step.errors.values()), Tone.REFUSAL)
        else:
            told = step.done or Reply("Saved.", Tone.SUCCESS)
        await interaction.response.send_message(
            markdown(told), ephemeral=True, allowed_mentions=NO_PINGS
        )


class ConfigModal(discord.ui.Modal):
    """What the modal shows; its submission is read by `DiscordForms.on_interaction`."""

    def __init__(self, form: ConfigForm) -> None:
        super().__init__(title="SetGet AI model", custom_id=CONFIG_MODAL, timeout=None)
        own = form.own
        shown = {
            "provider": own.provider if own else "",
            "model": (own.model or own.azure_deployment or "") if own else "",
            "base_url": (own.base_url or "") if own else "",
            "api_version": (own.api_version or "") if own else "",
            "api_key": "",  # never echoed
        }
        for name, label in CONFIG_FIELDS:
            self.add_item(
                discord.ui.TextInput(
                    label=label[:45],
                    custom_id=name,
                    default=shown[name] or None,
                    required=name == "provider",
                )
            )


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The text inputs of a modal submission (in action rows, or in labels), stripped; only
    the fields the modal has."""
    wanted = {name for name, _ in CONFIG_FIELDS}
    found: dict[str, str] = {}

    def walk(component: Mapping[str, Any]) -> None:
        if component.get("type") == TEXT_INPUT and component.get("custom_id") in wanted:
            found[str(component["custom_id"])] = str(component.get("value") or "").strip()
        for child in component.get("components") or ():
            walk(child)
        if isinstance(component.get("component"), Mapping):
            walk(component["component"])

    for row in data.get("components") or ():
        walk(row)
    return found

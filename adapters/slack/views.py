"""Modal submissions: buying a credit pack (pick a size, then confirm) and a self-hosted
workspace's model settings (the key is stored encrypted and never shown again)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.llm.factory import config_for
from adapters.slack.blocks import buy_confirm_modal, form_values
from adapters.slack.people import SlackPeople
from adapters.slack.services import SlackServices
from core.assistant.llm_settings import WorkspaceLLM
from core.errors import SetGetError
from core.workspaces import Member, Platform, Role, Workspace

logger = logging.getLogger(__name__)

ADMINS_ONLY = "Only workspace admins can buy credits."


class SlackViews:
    def __init__(self, *, services: SlackServices, people: SlackPeople) -> None:
        self._services = services
        self._people = people

    async def _admin(
        self, body: dict[str, Any], client: AsyncWebClient
    ) -> tuple[Workspace, Member] | None:
        team, user = body["team"]["id"], body["user"]["id"]
        workspace = await self._services.workspaces.workspace_for(Platform.SLACK, team)
        if workspace is None:
            return None
        member = await self._people.member(workspace, user, client)
        return (workspace, member) if member.role is Role.ADMIN else None

    async def on_buy_size(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        found = await self._admin(body, client)
        size = form_values(view).get("size", "")
        if found is None:
            await ack(response_action="errors", errors={"size": ADMINS_ONLY})
            return
        if not size.isdigit() or int(size) not in self._services.pack_sizes:
            await ack(response_action="errors", errors={"size": "Pick one of the pack sizes."})
            return
        channel = view.get("private_metadata", "")
        modal = buy_confirm_modal(int(size), workspace=found[0].name, channel=channel)
        await ack(response_action="update", view=modal)

    async def on_buy_confirm(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        channel, _, size = view.get("private_metadata", "").partition("|")
        found = await self._admin(body, client)
        await ack()  # the confirm modal has no input to hang an error on: say it instead
        if found is None or not size.isdigit() or int(size) not in self._services.pack_sizes:
            refusal = ADMINS_ONLY if found is None else f"No pack of {size or '?'} credits is sold."
            await _tell(client, channel, body["user"]["id"], f":no_entry: {refusal}")
            return
        workspace, member = found
        try:
            balance = await self._services.admin.buy_pack(workspace.name, int(size))
            text = (
                f":white_check_mark: Added a pack of {int(size):,} credits to {workspace.name}: "
                f"{balance.remaining:,} credits remaining."
            )
        except SetGetError as exc:
            text = f":warning: The purchase did not go through: {exc}."
        await _tell(client, channel, member.external_id, text)

    async def on_config(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        found = await self._admin(body, client)
        if found is None or found[0].metered:
            await ack(
                response_action="errors",
                errors={"provider": "Only an admin of a self-hosted workspace can set the model."},
            )
            return
        workspace, member = found
        try:
            stored = await self._services.llm_settings.load(workspace.id)
        except SetGetError:  # a key sealed under another SETGET_SECRET_KEY: it must be re-entered
            stored = None
        own = _settings_from(form_values(view), stored)
        errors = _problems(own)
        if not errors:
            try:
                await self._services.llm_settings.save(workspace.id, own)
            except SetGetError as exc:  # e.g. no SETGET_SECRET_KEY to seal the key with
                logger.warning(
                    "slack: model settings of workspace %d not saved: %s", workspace.id, exc
                )
                errors = {"api_key": f"Not saved: {exc}."}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        what = own.model or own.azure_deployment or ""
        key = "; the API key is stored encrypted" if own.api_key else ""
        await _tell(
            client,
            view.get("private_metadata", ""),
            member.external_id,
            f":white_check_mark: {workspace.name} now answers with {own.provider} {what}{key}.",
        )


def _settings_from(values: dict[str, str], stored: WorkspaceLLM | None) -> WorkspaceLLM:
    """The submitted settings; an empty key field keeps the stored key, unless the provider
    changed (a key is never sent to another provider than the one it was given for)."""
    provider = values.get("provider", "")
    kept = stored.api_key if stored and stored.provider == provider else None
    return WorkspaceLLM(
        provider=provider,
        model=values.get("model", ""),
        base_url=values.get("base_url"),
        azure_deployment=values.get("azure_deployment"),
        api_version=values.get("api_version"),
        api_key=values.get("api_key") or kept,
    )


def _problems(own: WorkspaceLLM) -> dict[str, str]:
    """What is wrong with the settings, by modal field (nothing: they can be saved)."""
    try:
        config_for(own)
    except SetGetError as exc:
        return {_field_of(str(exc)): str(exc)}
    return {}


def _field_of(message: str) -> str:
    """The modal field an LLM settings error is about (the provider field otherwise)."""
    for field in ("api_key", "base_url", "azure_deployment", "api_version", "model"):
        if field in message:
            return field
    return "provider"


async def _tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    """To the admin: ephemeral in the channel the command came from, else by DM."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except Exception:
            logger.info("slack: ephemeral reply refused; sending a DM")
    opened = await client.conversations_open(users=user)
    await client.chat_postMessage(channel=opened["channel"]["id"], text=text)

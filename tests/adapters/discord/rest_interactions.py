"""The fake's interaction routes: callbacks, the interaction webhook (followups, @original) and
application commands.

As on Discord: an interaction is answered once (a second callback gets 40060); a followup needs
an answered interaction; the first followup after a deferred answer (type 5) replaces the
"is thinking..." message; `?with_response=1` (which discord.py 2.7 always sends) gets the
`{"interaction": ..., "resource": ...}` body, otherwise 204.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.adapters.discord.discord_events import APPLICATION_COMMAND, FakeInteraction
from tests.adapters.discord.discord_models import EPHEMERAL, LOADING
from tests.adapters.discord.fake_rest import (
    NO_CONTENT,
    DiscordCall,
    Reply,
    RouteSpec,
    error,
    invalid_form,
    ok,
    unknown,
)

if TYPE_CHECKING:
    from tests.adapters.discord.fake_discord import FakeDiscord
    from tests.adapters.discord.rest_messages import MessageOps

# interaction callback types
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
_NO_MESSAGE = frozenset({8, 9, 10, 12})  # autocomplete, modal, premium required, activity
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class InteractionRoutes:
    def __init__(self, fake: FakeDiscord, ops: MessageOps) -> None:
        self.fake = fake
        self.world = fake.world
        self.events = fake.events
        self.ops = ops

    def routes(self) -> list[RouteSpec]:
        hook = "/webhooks/{application_id}/{token}"
        original = f"{hook}/messages/@original"
        followup = f"{hook}/messages/{{message_id}}"
        commands = "/applications/{application_id}/commands"
        guild_commands = "/applications/{application_id}/guilds/{guild_id}/commands"
        return [
            RouteSpec(
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                "create_interaction_response",
                self.callback,
                auth=False,
            ),
            RouteSpec("POST", hook, "send_followup", self.send_followup, auth=False),
            RouteSpec("GET", original, "get_original_response", self.get_hook, auth=False),
            RouteSpec("PATCH", original, "edit_original_response", self.edit_hook, auth=False),
            RouteSpec("DELETE", original, "delete_original_response", self.delete_hook, False),
            RouteSpec("GET", followup, "get_followup", self.get_hook, auth=False),
            RouteSpec("PATCH", followup, "edit_followup", self.edit_hook, auth=False),
            RouteSpec("DELETE", followup, "delete_followup", self.delete_hook, auth=False),
            RouteSpec("PUT", commands, "bulk_upsert_global_commands", self.put_commands),
            RouteSpec("GET", commands, "get_global_commands", self.get_commands),
            RouteSpec("PUT", guild_commands, "bulk_upsert_guild_commands", self.put_commands),
            RouteSpec("GET", guild_commands, "get_guild_commands", self.get_commands),
        ]

    # -- callbacks -----------------------------------------------------------------------------

    async def callback(self, call: DiscordCall) -> Reply:
        interaction = self.events.interactions.get(call.params["interaction_id"])
        if interaction is None or interaction.token != call.params["token"]:
            return unknown("interaction", 10062)
        if interaction.acknowledged:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = call.json or {}
        kind = body.get("type")
        outcome = await self._perform(interaction, call, kind, body.get("data") or {})
        if isinstance(outcome, Reply):
            return outcome
        interaction.responses.append(body)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return NO_CONTENT
        return ok(_callback_body(interaction, kind, outcome))

    async def _perform(
        self, interaction: FakeInteraction, call: DiscordCall, kind: Any, data: dict[str, Any]
    ) -> dict[str, Any] | Reply | None:
        """Carry out a callback: the message it posted or changed, or a refusal."""
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            answer = _as_body(call, data if kind == CHANNEL_MESSAGE else {})
            fields = self.ops.compose(answer) if kind == CHANNEL_MESSAGE else {}
            if isinstance(fields, Reply):
                return fields
            flags = int(data.get("flags") or 0) | (LOADING if kind != CHANNEL_MESSAGE else 0)
            message = await self._answer(interaction, answer, {**fields, "flags": flags})
            interaction.original_id = message["id"]
            return message
        if kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE) and interaction.message_id:
            interaction.original_id = interaction.message_id
            if kind == DEFERRED_UPDATE_MESSAGE:
                return None
            updated = self.world.messages[interaction.message_id]
            reply = await self.ops.update(_as_body(call, data), updated)
            return reply if reply.status != 200 else updated
        if kind in _NO_MESSAGE:
            return None
        return invalid_form("type", "INTERACTION_CALLBACK_TYPE", f"Bad type {kind!r}.")

    async def _answer(
        self, interaction: FakeInteraction, call: DiscordCall, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The message an interaction answer (or followup) posts in the interaction's channel."""
        metadata = {
            "id": interaction.id,
            "type": interaction.type,
            "user": interaction.user.payload(),
            "authorizing_integration_owners": interaction.payload["authorizing_integration_owners"],
        }
        return await self.ops.create(
            interaction.channel,
            call,
            fields,
            type=20 if interaction.type == APPLICATION_COMMAND else 0,
            webhook_id=self.world.application_id,
            application_id=self.world.application_id,
            interaction_metadata=metadata,
        )

    # -- the interaction webhook ---------------------------------------------------------------

    async def send_followup(self, call: DiscordCall) -> Reply:
        interaction = self._hook_interaction(call)
        if interaction is None or not interaction.acknowledged:
            return unknown("Webhook", 10015)
        original = self.world.messages.get(interaction.original_id or "")
        deferred = interaction.responses[0].get("type") == DEFERRED_CHANNEL_MESSAGE
        if deferred and original is not None and original["flags"] & LOADING:
            # the first followup of a deferred answer replaces the "thinking" message
            reply = await self.ops.update(call, original)
        else:
            fields = self.ops.compose(call)
            if isinstance(fields, Reply):
                return fields
            message = await self._answer(interaction, call, fields)
            reply = ok(message)
        if reply.status != 200:
            return reply
        interaction.followup_ids.append(reply.body["id"])
        wait = call.query.get("wait", "false").lower() in ("1", "true")
        return reply if wait else NO_CONTENT

    async def get_hook(self, call: DiscordCall) -> Reply:
        message = self._hook_message(call)
        return unknown("Message", 10008) if message is None else ok(message)

    async def edit_hook(self, call: DiscordCall) -> Reply:
        message = self._hook_message(call)
        if message is None:
            return unknown("Message", 10008)
        return await self.ops.update(call, message)

    async def delete_hook(self, call: DiscordCall) -> Reply:
        message = self._hook_message(call)
        if message is None:
            return unknown("Message", 10008)
        await self.ops.remove(message)
        return NO_CONTENT

    def _hook_interaction(self, call: DiscordCall) -> FakeInteraction | None:
        if call.params["application_id"] != self.world.application_id:
            return None
        return self.events.by_token(call.params["token"])

    def _hook_message(self, call: DiscordCall) -> dict[str, Any] | None:
        interaction = self._hook_interaction(call)
        if interaction is None:
            return None
        wanted = call.params.get("message_id", interaction.original_id)
        known = [interaction.original_id, *interaction.followup_ids]
        if wanted is None or wanted not in known:
            return None
        return self.world.messages.get(wanted)

    # -- application commands ------------------------------------------------------------------

    async def put_commands(self, call: DiscordCall) -> Reply:
        """Bulk overwrite: the scope's commands become exactly these (ids kept by name)."""
        if call.params["application_id"] != self.world.application_id:
            return error(403, 20012, "You are not authorized to perform this action")
        guild_id = call.params.get("guild_id")
        if guild_id is not None and guild_id not in self.world.guilds:
            return error(403, 50001, "Missing Access")
        payload = call.json if isinstance(call.json, list) else []
        for index, command in enumerate(payload):
            refusal = _check_command(index, command)
            if refusal is not None:
                return refusal
        scope = self.events.commands
        old = {name: scope.pop((g, name)) for (g, name) in list(scope) if g == guild_id}
        for command in payload:
            kept = old.get(command["name"])
            scope[(guild_id, command["name"])] = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                **command,
                "id": kept["id"] if kept else self.world.ids.next(),
                "application_id": self.world.application_id,
                "version": self.world.ids.next(),
                **({"guild_id": guild_id} if guild_id else {}),
            }
        return await self.get_commands(call)

    async def get_commands(self, call: DiscordCall) -> Reply:
        guild_id = call.params.get("guild_id")
        return ok([c for (g, _), c in self.events.commands.items() if g == guild_id])


def _check_command(index: int, command: dict[str, Any]) -> Reply | None:
    name = str(command.get("name", ""))
    if not _COMMAND_NAME.match(name) or name != name.lower():
        return invalid_form(f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME", "Bad name.")
    kind = command.get("type", 1)
    if kind == 1 and not 1 <= len(str(command.get("description", ""))) <= 100:
        return invalid_form(f"{index}.description", "BASE_TYPE_BAD_LENGTH", "1 to 100.")
    if len(command.get("options") or []) > 25:
        return invalid_form(f"{index}.options", "BASE_TYPE_MAX_LENGTH", "25 or fewer.")
    return None


def _as_body(call: DiscordCall, data: Any) -> DiscordCall:
    """`call` with the callback's `data` as the message body (its files stay)."""
    return DiscordCall(
        call.name, call.method, call.route, call.path, call.params, call.query, data, call.files
    )


def _callback_body(
    interaction: FakeInteraction, kind: Any, message: dict[str, Any] | None
) -> dict[str, Any]:
    flags = int(message["flags"]) if message else 0
    answered: dict[str, Any] = {"id": interaction.id, "type": interaction.type}
    resource: dict[str, Any] = {"type": kind}
    if message is not None:
        answered.update(
            response_message_id=message["id"],
            response_message_loading=bool(flags & LOADING),
            response_message_ephemeral=bool(flags & EPHEMERAL),
        )
        resource["message"] = message
    return {"interaction": answered, "resource": resource}

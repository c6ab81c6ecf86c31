"""The fake's message routes: channels, messages, threads, typing, DMs (and what they echo).

Like Discord, what the bot posts, edits or deletes comes back on the gateway (MESSAGE_CREATE,
MESSAGE_UPDATE, MESSAGE_DELETE, THREAD_CREATE), so a bot sees (and must ignore) itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.adapters.discord.discord_models import (
    EPHEMERAL,
    LOADING,
    FakeChannel,
    now_iso,
    parse_mentions,
)
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

MAX_CONTENT = 2000
MAX_EMBEDS = 10
_MESSAGE_FIELDS = ("embeds", "components", "flags", "tts", "nonce", "poll", "sticker_ids")


class MessageRoutes:
    def __init__(self, fake: FakeDiscord, ops: MessageOps) -> None:
        self.fake = fake
        self.world = fake.world
        self.ops = ops

    def routes(self) -> list[RouteSpec]:
        message = "/channels/{channel_id}/messages/{message_id}"
        return [
            RouteSpec("GET", "/channels/{channel_id}", "get_channel", self.get_channel),
            RouteSpec("POST", "/channels/{channel_id}/messages", "send_message", self.send),
            RouteSpec("GET", message, "get_message", self.get_message),
            RouteSpec("PATCH", message, "edit_message", self.edit),
            RouteSpec("DELETE", message, "delete_message", self.delete),
            RouteSpec("POST", f"{message}/threads", "start_thread_with_message", self.thread),
            RouteSpec("POST", "/channels/{channel_id}/typing", "send_typing", self.typing),
            RouteSpec("POST", "/users/@me/channels", "start_private_message", self.open_dm),
        ]

    async def get_channel(self, call: DiscordCall) -> Reply:
        channel = self.world.channels.get(call.params["channel_id"])
        return unknown("Channel", 10003) if channel is None else ok(channel.payload())

    async def send(self, call: DiscordCall) -> Reply:
        channel = self.world.channels.get(call.params["channel_id"])
        if channel is None:
            return unknown("Channel", 10003)
        fields = self.ops.compose(call)
        if isinstance(fields, Reply):
            return fields
        reference = (call.json or {}).get("message_reference")
        if reference:
            fields["type"] = 19
            fields["message_reference"] = {"type": 0, "channel_id": channel.id, **reference}
            if reference.get("message_id") in self.world.messages:
                fields["referenced_message"] = self.world.messages[reference["message_id"]]
        return ok(await self.ops.create(channel, call, fields))

    async def get_message(self, call: DiscordCall) -> Reply:
        message = self._message(call)
        return unknown("Message", 10008) if message is None else ok(message)

    async def edit(self, call: DiscordCall) -> Reply:
        message = self._message(call)
        if message is None:
            return unknown("Message", 10008)
        if message["author"]["id"] != self.world.bot.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        return await self.ops.update(call, message)

    async def delete(self, call: DiscordCall) -> Reply:
        message = self._message(call)
        if message is None:
            return unknown("Message", 10008)
        await self.ops.remove(message)
        return NO_CONTENT

    async def thread(self, call: DiscordCall) -> Reply:
        channel = self.world.channels.get(call.params["channel_id"])
        message = self._message(call)
        if channel is None:
            return unknown("Channel", 10003)
        if channel.guild_id is None or channel.is_thread:
            return error(400, 50024, "Cannot execute action on this channel type")
        if message is None:
            return unknown("Message", 10008)
        if message["id"] in self.world.channels:
            return error(400, 160004, "A thread has already been created for this message")
        name = str((call.json or {}).get("name") or "")
        if not 1 <= len(name) <= 100:
            return invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100.")
        thread = self.world.add_thread(channel, name, owner=self.world.bot, id=message["id"])
        message["thread"] = thread.payload()
        await self.fake.gateway.broadcast(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}
        )
        return ok(thread.payload())

    async def typing(self, call: DiscordCall) -> Reply:
        if call.params["channel_id"] not in self.world.channels:
            return unknown("Channel", 10003)
        return NO_CONTENT

    async def open_dm(self, call: DiscordCall) -> Reply:
        recipient = str((call.json or {}).get("recipient_id", ""))
        if recipient not in self.world.users or recipient == self.world.bot.id:
            return error(400, 50033, "Invalid Recipient(s)")
        return ok(self.world.dm_channel(self.world.users[recipient]).payload())

    def _message(self, call: DiscordCall) -> dict[str, Any] | None:
        message = self.world.messages.get(call.params["message_id"])
        if message is None or message["channel_id"] != call.params["channel_id"]:
            return None
        return message


class MessageOps:
    """Creating, changing and removing the fake's messages: shared by channels and webhooks."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def compose(
        self, call: DiscordCall, *, editing: dict[str, Any] | None = None
    ) -> dict[str, Any] | Reply:
        """The message fields of `call` (content aside), or Discord's refusal."""
        body = call.json or {}
        refusal = check_content(body, new=editing is None, files=len(call.files))
        if refusal is not None:
            return refusal
        fields = {key: body[key] for key in _MESSAGE_FIELDS if key in body}
        if "attachments" in body or call.files:
            fields["attachments"] = self._attachments(call, body.get("attachments"), editing)
        return fields

    async def create(
        self, channel: FakeChannel, call: DiscordCall, fields: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        body = call.json or {}
        message = self.world.new_message(
            channel,
            self.world.bot,
            body.get("content") or "",
            allowed_mentions=body.get("allowed_mentions"),
            **fields,
            **extra,
        )
        if not message["flags"] & EPHEMERAL:
            await self.fake.gateway.broadcast("MESSAGE_CREATE", message)
        return message

    async def update(self, call: DiscordCall, message: dict[str, Any]) -> Reply:
        """PATCH semantics: fields absent from the body stay as they were."""
        fields = self.compose(call, editing=message)
        if isinstance(fields, Reply):
            return fields
        body = call.json or {}
        if "content" in body:
            content = body["content"] or ""
            users, roles, everyone = parse_mentions(content, body.get("allowed_mentions"))
            channel = self.world.channels[message["channel_id"]]
            message.update(
                content=content,
                mentions=self.world.mentions(channel, users),
                mention_roles=roles,
                mention_everyone=everyone,
            )
        for key in ("embeds", "components", "attachments"):
            if key in fields:
                message[key] = fields[key] or []
        flags = int(message.get("flags", 0))
        if "flags" in fields:  # EPHEMERAL never changes once set
            flags = (flags & EPHEMERAL) | int(fields["flags"] or 0)
        message["flags"] = flags & ~LOADING
        message["edited_timestamp"] = now_iso()
        if not flags & EPHEMERAL:
            await self.fake.gateway.broadcast("MESSAGE_UPDATE", message)
        return ok(message)

    async def remove(self, message: dict[str, Any]) -> None:
        del self.world.messages[message["id"]]
        if not message["flags"] & EPHEMERAL:
            deleted = {"id": message["id"], "channel_id": message["channel_id"]}
            if "guild_id" in message:
                deleted["guild_id"] = message["guild_id"]
            await self.fake.gateway.broadcast("MESSAGE_DELETE", deleted)

    def _attachments(
        self,
        call: DiscordCall,
        described: list[dict[str, Any]] | None,
        editing: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """Kept attachments (listed by id) and the uploaded files (`files[N]` for id N)."""
        kept = {str(a["id"]): a for a in (editing or {}).get("attachments", [])}
        by_field = {upload.field: upload for upload in call.files}
        result: list[dict[str, Any]] = []
        entries = described if described is not None else [{"id": n} for n in range(len(by_field))]
        for entry in entries:
            upload = by_field.get(f"files[{entry.get('id')}]")
            if upload is None:
                if str(entry.get("id")) in kept:
                    result.append(kept[str(entry["id"])])
                continue
            attachment_id = self.world.ids.next()
            self.fake.uploads[attachment_id] = upload.data
            url = f"{self.fake.root}/attachments/{attachment_id}/{upload.filename}"
            result.append(
                {
                    "id": attachment_id,
                    "filename": entry.get("filename") or upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": _content_type(upload.filename),
                    **({"description": entry["description"]} if "description" in entry else {}),
                }
            )
        return result


def check_content(body: dict[str, Any], *, new: bool, files: int) -> Reply | None:
    """Discord's refusals of a message body: too long, too many embeds, nothing to send."""
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        return invalid_form(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    if len(body.get("embeds") or []) > MAX_EMBEDS:
        return invalid_form(
            "embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length."
        )
    has_something = content or body.get("embeds") or body.get("components") or files
    if new and not has_something and not body.get("sticker_ids") and not body.get("poll"):
        return error(400, 50006, "Cannot send an empty message")
    return None


def _content_type(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()
    known = {"png": "image/png", "json": "application/json", "jsonl": "application/jsonl"}
    return known.get(suffix, "text/plain" if suffix == "txt" else "application/octet-stream")

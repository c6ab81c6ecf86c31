"""A local fake Slack Web API on 127.0.0.1 that the real `slack_sdk` / `slack_bolt` talk to.

The idea of bolt-python's `tests/mock_web_api_server`, on aiohttp and in the test's own event
loop. Every Web API method is accepted at `/api/{method}` (POST or GET; query string, form,
multipart or JSON arguments), recorded in arrival order and answered like Slack would:

    async with FakeSlack() as slack:
        slack.add_user("U0ALICE", "alice", admin=True)
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C0GENERAL", text="hi", thread_ts="1.2")
        [call] = await slack.wait_for("chat.postMessage")
        assert call.args["text"] == "hi" and call.token == "xoxb-test"

        slack.fail("chat.postMessage", status=429, retry_after=3)  # the next call is limited
        slack.answer("conversations.replies", {"ok": True, "messages": []})  # custom answer

Recorded arguments: the query string, then the body, merged into one dict. Form values stay
strings as slack_sdk sent them (booleans arrive as "1"/"0", numbers as text); JSON-encoded
fields such as `blocks`, `attachments`, `view` or `files` are decoded. A `token` argument is
moved into `SlackCall.token` (normally it comes from the `Authorization: Bearer` header);
HTTP Basic auth (oauth.v2.access) fills `client_id` / `client_secret` when the body lacks them.

Messages are kept as Slack would show them (`slack.messages`, by ts): posted, updated,
deleted, and streamed (`chat.startStream` / `appendStream` / `stopStream` assemble the text
of one message; `stopStream`'s blocks go below it); `conversations.replies` reads them back,
metadata included (Bolt's assistant thread-context store lives there). Text streaming is off
until `slack.streaming = True`: until then `chat.startStream` answers `not_allowed`, as Slack
does for an app or client without it. The assistant panel's methods
(`assistant.threads.setStatus` / `setSuggestedPrompts` / `setTitle`) are recorded per thread
in `slack.statuses`, `slack.prompts` and `slack.titles`. Any of them fails on demand with
`slack.fail(method, error=...)`.

Other endpoints: `POST /upload/{file_id}` takes the bytes of `files_upload_v2` (stored in
`slack.uploads`), and `POST slack.response_url` stands in for an interaction's
`response_url` (recorded as method "response_url", so `wait_for("response_url")` works).

The server runs in the test's event loop: use `AsyncWebClient`, not the blocking `WebClient`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.local_server import LocalServer, Served

# Arguments slack_sdk JSON-encodes when it sends them as form fields or query parameters.
JSON_FIELDS = frozenset(
    {
        "attachments",
        "blocks",
        "files",
        "metadata",
        "unfurls",
        "user_auth_blocks",
        "view",
        "chunks",
        "inputs",
        "outputs",
        "elements",
        "options",
        "option_groups",
    }
)
FIRST_TS_MICROS = 1_700_000_000_000_000
DEFAULT_SCOPES = "app_mentions:read,chat:write,commands,im:history,im:write,users:read,files:write"


@dataclass(frozen=True)
class SlackCall:
    """One recorded Web API call. `failed`: answered by an injected failure (`FakeSlack.fail`)."""

    method: str
    args: dict[str, Any]
    token: str | None
    failed: bool = False
    at: float = field(default_factory=time.perf_counter, compare=False)  # arrival (benchmarks)


@dataclass
class SlackUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False


@dataclass(frozen=True)
class _Failure:
    error: str
    status: int
    retry_after: str | None


Answer = Mapping[str, Any] | Callable[[SlackCall], Mapping[str, Any]]


class FakeSlack(Served):
    """The fake Slack Web API; `async with FakeSlack() as slack:` starts and stops it."""

    def __init__(
        self,
        *,
        team_id: str = "T0001",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0APP",
        delay: float = 0.0,
    ) -> None:
        self.team_id = team_id
        self.team_name = "Fake Team"
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_scopes = DEFAULT_SCOPES  # sent as the `x-oauth-scopes` header, like Slack
        # what oauth.v2.access answers; auth.test with `oauth_bot_token` reports `oauth_team_id`
        self.oauth_team_id = team_id
        self.oauth_team_name = "Fake Team"
        self.oauth_bot_token = "xoxb-fake-installed-token"
        self.oauth_authed_user_id = "U0ALICE"
        self.delay = delay  # seconds added before every answer
        self.calls: list[SlackCall] = []
        self.users: dict[str, SlackUser] = {bot_user_id: SlackUser(bot_user_id, "setget")}
        self.users[bot_user_id].is_bot = True
        self.uploads: dict[str, bytes] = {}
        self.root = ""
        self._by_method: dict[str, list[SlackCall]] = {}
        self._waiters: dict[str, list[tuple[int, asyncio.Event]]] = {}
        self._failures: dict[str, deque[_Failure | None]] = {}
        self._answers: dict[str, Answer] = {}
        self._stalls: dict[str, tuple[Callable[[SlackCall], bool], asyncio.Event]] = {}
        self.thread_of: dict[str, str] = {}  # a posted message's ts -> the thread it is in
        self.messages: dict[str, dict[str, Any]] = {}  # ts -> the message as it stands
        self.streaming = False  # chat.startStream answers not_allowed until this is True
        self.statuses: dict[tuple[str, str], list[str]] = {}  # (channel, thread) -> statuses
        self.prompts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.titles: dict[tuple[str, str], list[str]] = {}
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._filenames: dict[str, str] = {}
        self._ts_serial = 0
        self._id_serial = 0
        self._server = LocalServer()
        self._builtin: dict[str, Callable[[SlackCall], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "bots.info": self._bots_info,
            "apps.connections.open": self._connections_open,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.postMessage": self._post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "conversations.replies": self._replies,
            "assistant.threads.setStatus": self._set_status,
            "assistant.threads.setSuggestedPrompts": self._set_prompts,
            "assistant.threads.setTitle": self._set_title,
            "conversations.open": self._conversations_open,
            "files.completeUploadExternal": self._complete_upload,
            "files.getUploadURLExternal": self._get_upload_url,
            "oauth.v2.access": self._oauth_v2_access,
            "team.info": self._team_info,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._view,
            "views.publish": self._view,
            "views.push": self._view,
            "views.update": self._view,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The `base_url` for `AsyncWebClient`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.root}/api/"

    @property
    def response_url(self) -> str:
        """A `response_url` for command / action payloads; posts to it are recorded."""
        return f"{self.root}/response_url"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/upload/{file_id}", self._upload),
                web.post("/response_url", self._respond),
                web.get("/socket", self._socket),
            ]
        )
        self.root = await self._server.start(app)

    async def close(self) -> None:
        for _, gate in self._stalls.values():
            gate.set()
        for ws in self.sockets:
            await ws.close()
        await self._server.stop()

    # -- test API ----------------------------------------------------------------------------

    def add_user(
        self, id: str, name: str, *, admin: bool = False, owner: bool = False, bot: bool = False
    ) -> SlackUser:
        """Make `users.info` know a user."""
        user = SlackUser(id=id, name=name, is_admin=admin, is_owner=owner, is_bot=bot)
        self.users[id] = user
        return user

    def calls_to(self, method: str) -> list[SlackCall]:
        """The calls to `method` so far, in arrival order."""
        return list(self._by_method.get(method, ()))

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> list[SlackCall]:
        """All calls to `method` once there are at least `count`; AssertionError on timeout."""
        if len(self._by_method.get(method, ())) < count:
            waiter = (count, asyncio.Event())
            self._waiters.setdefault(method, []).append(waiter)
            try:
                async with asyncio.timeout(timeout):
                    await waiter[1].wait()
            except TimeoutError:
                seen = [call.method for call in self.calls]
                got = len(self._by_method.get(method, ()))
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {got}; "
                    f"methods seen in order: {seen}"
                ) from None
            finally:
                waiters = self._waiters.get(method, [])
                if waiter in waiters:
                    waiters.remove(waiter)
        return self.calls_to(method)

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        error: str | None = None,
        status: int = 200,
        retry_after: int | str | None = None,
        after: int = 0,
    ) -> None:
        """Make the next `times` calls of `method` fail (once `after` more have succeeded:
        a stream that breaks half-way).

        Status 200 answers `{"ok": false, "error": error}` (slack_sdk raises SlackApiError);
        any other status answers that HTTP status with the same body; 429 carries
        `Retry-After` (default "1"). `error` defaults to "ratelimited" for 429, otherwise
        "internal_error".
        """
        resolved = error or ("ratelimited" if status == 429 else "internal_error")
        retry = str(retry_after) if retry_after is not None else ("1" if status == 429 else None)
        self._failures.setdefault(method, deque()).extend(
            [None] * after + [_Failure(resolved, status, retry)] * times
        )

    def stall(
        self, method: str, when: Callable[[SlackCall], bool] = lambda _call: True
    ) -> asyncio.Event:
        """Leave later calls of `method` that `when` accepts unanswered, as a hung Slack
        would, until the returned event is set (or the fake closes); they are recorded on
        arrival, so `wait_for` sees them."""
        gate = asyncio.Event()
        self._stalls[method] = (when, gate)
        return gate

    def answer(self, method: str, answer: Answer) -> None:
        """Answer every later call of `method` with `answer` (a body, or a function of the call)."""
        self._answers[method] = answer

    def next_ts(self) -> str:
        """A new message timestamp, unique and increasing: "1700000000.000100", ..."""
        self._ts_serial += 1
        micros = FIRST_TS_MICROS + self._ts_serial * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_serial += 1
        return f"{prefix}{self._id_serial:09d}"

    # -- HTTP handlers -----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args, token = await _parse_arguments(request)
        except ValueError:  # malformed JSON (json.JSONDecodeError is a ValueError)
            self._record(SlackCall(method, {}, None))
            return web.json_response({"ok": False, "error": "invalid_json"})
        failure, call = self._arrive(method, args, token)
        stalled = self._stalls.get(method)
        if stalled is not None and stalled[0](call):
            await stalled[1].wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if failure is not None:
            return self._failure_response(failure)
        custom = self._answers.get(method)
        if custom is not None:
            body = dict(custom(call) if callable(custom) else custom)
        elif method in self._builtin:
            body = self._builtin[method](call)
        else:
            body = {"ok": True}
        return web.json_response(body, headers={"X-OAuth-Scopes": self.bot_scopes})

    async def _respond(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"raw": raw.decode("utf-8", "replace")}
        failure, _ = self._arrive("response_url", body if isinstance(body, dict) else {}, None)
        if self.delay:
            await asyncio.sleep(self.delay)
        if failure is not None:
            return self._failure_response(failure)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}")

    def _arrive(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[_Failure | None, SlackCall]:
        pending = self._failures.get(method)
        failure = pending.popleft() if pending else None
        call = SlackCall(method, args, token, failed=failure is not None)
        self._record(call)
        return failure, call

    def _record(self, call: SlackCall) -> None:
        self.calls.append(call)
        same = self._by_method.setdefault(call.method, [])
        same.append(call)
        waiters = self._waiters.get(call.method)
        if waiters:
            for count, event in waiters:
                if len(same) >= count:
                    event.set()

    @staticmethod
    def _failure_response(failure: _Failure) -> web.Response:
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
        return web.json_response(
            {"ok": False, "error": failure.error}, status=failure.status, headers=headers
        )

    # -- default answers ---------------------------------------------------------------------

    def _auth_test(self, call: SlackCall) -> dict[str, Any]:
        installed = call.token is not None and call.token == self.oauth_bot_token
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": self.oauth_team_name if installed else self.team_name,
            "user": "setget",
            "team_id": self.oauth_team_id if installed else self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, call: SlackCall) -> dict[str, Any]:
        ts = self.next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": call.args.get("text", ""),
            "ts": ts,
        }
        for key in ("thread_ts", "blocks", "attachments", "metadata"):
            if key in call.args:
                message[key] = call.args[key]
        if "thread_ts" in call.args:
            self.thread_of[ts] = str(call.args["thread_ts"])
        self.messages[ts] = {**message, "channel": call.args.get("channel", "")}
        return {"ok": True, "channel": call.args.get("channel", ""), "ts": ts, "message": message}

    def _chat_update(self, call: SlackCall) -> dict[str, Any]:
        message = {"text": call.args.get("text", ""), "user": self.bot_user_id}
        if "blocks" in call.args:
            message["blocks"] = call.args["blocks"]
        stored = self.messages.get(str(call.args.get("ts", "")))
        if stored is not None:
            stored.update(message)
            if "metadata" in call.args:
                stored["metadata"] = call.args["metadata"]
            stored.pop("streaming", None)
        return {
            "ok": True,
            "channel": call.args.get("channel", ""),
            "ts": call.args.get("ts", ""),
            "text": call.args.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, call: SlackCall) -> dict[str, Any]:
        ts = str(call.args.get("ts", ""))
        self.messages.pop(ts, None)
        return {"ok": True, "channel": call.args.get("channel", ""), "ts": ts}

    # -- text streaming and the assistant panel ----------------------------------------------

    def _start_stream(self, call: SlackCall) -> dict[str, Any]:
        if not self.streaming:
            return {"ok": False, "error": "not_allowed"}
        if not call.args.get("thread_ts") or not call.args.get("channel"):
            return {"ok": False, "error": "invalid_arguments"}
        ts = self.next_ts()
        thread = str(call.args["thread_ts"])
        self.thread_of[ts] = thread
        self.messages[ts] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "channel": call.args["channel"],
            "thread_ts": thread,
            "ts": ts,
            "text": _streamed_text(call.args),
            "streaming": True,
            "recipient_team_id": call.args.get("recipient_team_id"),
            "recipient_user_id": call.args.get("recipient_user_id"),
        }
        return {"ok": True, "channel": call.args["channel"], "ts": ts}

    def _streaming_message(self, call: SlackCall) -> dict[str, Any] | None:
        message = self.messages.get(str(call.args.get("ts", "")))
        return message if message is not None and message.get("streaming") else None

    def _append_stream(self, call: SlackCall) -> dict[str, Any]:
        message = self._streaming_message(call)
        if message is None:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        message["text"] += _streamed_text(call.args)
        return {"ok": True, "channel": message["channel"], "ts": message["ts"]}

    def _stop_stream(self, call: SlackCall) -> dict[str, Any]:
        message = self._streaming_message(call)
        if message is None:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        message["text"] += _streamed_text(call.args)
        message.pop("streaming")
        if "blocks" in call.args:
            message["blocks"] = call.args["blocks"]
        if "metadata" in call.args:
            message["metadata"] = call.args["metadata"]
        return {"ok": True, "channel": message["channel"], "ts": message["ts"], "message": message}

    def _replies(self, call: SlackCall) -> dict[str, Any]:
        """The thread's messages this fake holds, oldest first (with their metadata)."""
        thread = str(call.args.get("ts", ""))
        found = [
            m
            for ts, m in sorted(self.messages.items())
            if ts == thread or self.thread_of.get(ts) == thread
        ]
        return {"ok": True, "messages": found, "has_more": False}

    def _thread(self, call: SlackCall) -> tuple[str, str]:
        return str(call.args.get("channel_id", "")), str(call.args.get("thread_ts", ""))

    def _set_status(self, call: SlackCall) -> dict[str, Any]:
        self.statuses.setdefault(self._thread(call), []).append(str(call.args.get("status", "")))
        return {"ok": True}

    def _set_prompts(self, call: SlackCall) -> dict[str, Any]:
        prompts = call.args.get("prompts")
        self.prompts.setdefault(self._thread(call), []).extend(
            prompts if isinstance(prompts, list) else []
        )
        return {"ok": True}

    def _set_title(self, call: SlackCall) -> dict[str, Any]:
        self.titles.setdefault(self._thread(call), []).append(str(call.args.get("title", "")))
        return {"ok": True}

    def _post_ephemeral(self, call: SlackCall) -> dict[str, Any]:
        return {"ok": True, "message_ts": self.next_ts()}

    def _connections_open(self, call: SlackCall) -> dict[str, Any]:
        return {"ok": True, "url": self.root.replace("http://", "ws://") + "/socket"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: `hello`, then envelopes pushed by `push`, acked back."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        self._connected.set()
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                data = json.loads(message.data)
                waiting = self._acks.pop(str(data.get("envelope_id")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(data)
        return ws

    async def push(
        self, payload: dict[str, Any], *, kind: str = "events_api", within: float = 10.0
    ) -> dict[str, Any]:
        """Send an envelope over the Socket Mode connection; returns the app's ack."""
        await asyncio.wait_for(self._connected.wait(), within)
        envelope = f"env-{len(self.calls)}-{len(self._acks)}-{self.next_ts()}"
        acked: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope] = acked
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope,
                "type": kind,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        return await asyncio.wait_for(acked, within)

    def _users_list(self, call: SlackCall) -> dict[str, Any]:
        members = [self._user_json(u) for u in self.users.values()]
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _users_info(self, call: SlackCall) -> dict[str, Any]:
        user = self.users.get(str(call.args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user_json(user)}

    def _user_json(self, user: SlackUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "real_name": user.name,
            "deleted": False,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_bot": user.is_bot,
            "profile": {"display_name": user.name, "real_name": user.name},
        }

    def _conversations_open(self, call: SlackCall) -> dict[str, Any]:
        channel = call.args.get("channel")
        if not channel:
            users = str(call.args.get("users", ""))
            channel = "D" + users.split(",", maxsplit=1)[0].strip()
        return {"ok": True, "channel": {"id": channel}}

    def _view(self, call: SlackCall) -> dict[str, Any]:
        view = call.args.get("view")
        view_id = call.args.get("view_id") or self._next_id("V")
        return {
            "ok": True,
            "view": {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "state": {"values": {}},
                "hash": f"{self._id_serial}.fakehash",
                **(view if isinstance(view, dict) else {}),
            },
        }

    def _get_upload_url(self, call: SlackCall) -> dict[str, Any]:
        file_id = self._next_id("F")
        self._filenames[file_id] = str(call.args.get("filename", ""))
        return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, call: SlackCall) -> dict[str, Any]:
        files = call.args.get("files")
        described = [
            {
                "id": item.get("id"),
                "title": item.get("title", ""),
                "name": self._filenames.get(str(item.get("id")), ""),
            }
            for item in (files if isinstance(files, list) else [])
            if isinstance(item, dict)
        ]
        return {"ok": True, "files": described}

    def _oauth_v2_access(self, call: SlackCall) -> dict[str, Any]:
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": self.oauth_authed_user_id},
            "scope": self.bot_scopes,
            "token_type": "bot",
            "access_token": self.oauth_bot_token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": self.oauth_team_id, "name": self.oauth_team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _team_info(self, call: SlackCall) -> dict[str, Any]:
        team_id = call.args.get("team") or self.team_id
        return {"ok": True, "team": {"id": team_id, "name": self.team_name, "domain": "fake"}}

    def _bots_info(self, call: SlackCall) -> dict[str, Any]:
        return {
            "ok": True,
            "bot": {
                "id": call.args.get("bot") or self.bot_id,
                "deleted": False,
                "name": "setget",
                "user_id": self.bot_user_id,
                "app_id": self.app_id,
            },
        }


def _streamed_text(args: Mapping[str, Any]) -> str:
    """The text a streaming call adds: `markdown_text`, then its markdown chunks."""
    text = str(args.get("markdown_text") or "")
    chunks = args.get("chunks")
    for chunk in chunks if isinstance(chunks, list) else []:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            text += str(chunk.get("text", ""))
    return text


async def _parse_arguments(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The call's arguments (query string, then body) and its token."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw = await request.read()
            body = json.loads(raw) if raw.strip() else {}
            if isinstance(body, dict):
                args.update(body)
        else:  # form-urlencoded or multipart; anything else reads as an empty form
            form = await request.post()
            for key, value in form.items():
                args[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in JSON_FIELDS.intersection(args):
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # not JSON after all: keep the text
                args[key] = json.loads(value)
    token = args.pop("token", None)
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        token = credentials
    elif scheme.lower() == "basic" and credentials:
        try:
            client_id, _, client_secret = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
        else:
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", client_secret)
    return args, None if token is None else str(token)

"""The fake Discord REST plumbing: recorded calls, answers, errors and injected faults.

discord.py reads a body as JSON only when `Content-Type` is exactly `application/json`, so
every answer is built here. Errors look like Discord's: `{"message", "code", "errors"}`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web


@dataclass(frozen=True)
class UploadedFile:
    """A file of a multipart request (`files[0]`, ...)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DiscordCall:
    """One recorded REST call.

    `name` is the route's name (discord.py's `HTTPClient` method where there is one:
    "send_message", "edit_message", "start_thread_with_message", "create_interaction_response",
    ...); `route` its template ("POST /channels/{channel_id}/messages"); `params` the path's
    values; `json` the JSON body, or a multipart request's `payload_json`; `failed` tells an
    injected fault answered it.
    """

    name: str
    method: str
    route: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: tuple[UploadedFile, ...] = ()
    token: str | None = None
    failed: bool = False
    at: float = field(default_factory=time.perf_counter, compare=False)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON-able; None: no body (204)


Handler = Callable[[DiscordCall], Awaitable[Reply]]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # under /api/v10
    name: str
    handler: Handler
    auth: bool = True  # webhooks and interaction callbacks carry their token in the path


def ok(body: Any) -> Reply:
    return Reply(200, body)


NO_CONTENT = Reply(204)


def error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> Reply:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return Reply(status, body)


def invalid_form(field_name: str, code: str, message: str) -> Reply:
    """400 / 50035, what Discord answers a field it refuses (discord.py: HTTPException)."""
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    return error(400, 50035, "Invalid Form Body", errors)


def unknown(what: str, code: int) -> Reply:
    return error(404, code, f"Unknown {what}")


def json_response(reply: Reply) -> web.Response:
    if reply.body is None:
        return web.Response(status=reply.status)
    return web.Response(
        status=reply.status,
        body=json.dumps(reply.body).encode(),
        content_type="application/json",  # exactly: discord.py compares the whole header
    )


@dataclass(frozen=True)
class Fault:
    """What answers a call instead of the route: a status, a rate limit or a dropped socket."""

    kind: Literal["status", "rate_limit", "drop"]
    status: int = 500
    code: int = 0
    message: str = "500: Internal Server Error"
    retry_after: float = 0.0
    is_global: bool = False
    via: bool = True

    def respond(self, request: web.Request, name: str) -> web.Response:
        if self.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never reaches the client
        if self.kind == "status":
            return json_response(Reply(self.status, {"message": self.message, "code": self.code}))
        return self._rate_limited(name)

    def _rate_limited(self, name: str) -> web.Response:
        headers = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": f"fake-{name}",
            "X-RateLimit-Scope": "global" if self.is_global else "user",
            "Retry-After": str(math.ceil(self.retry_after)),
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        if not self.via:  # what Cloudflare's ban looks like: discord.py raises at once
            return web.Response(
                status=429, text="<html>banned</html>", content_type="text/html", headers=headers
            )
        headers["Via"] = "1.1 google"
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
            "code": 0,
        }
        return web.Response(
            status=429,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers=headers,
        )


async def read_call(request: web.Request, spec: RouteSpec) -> DiscordCall:
    """The call as discord.py sent it: JSON, or multipart with `payload_json` and files."""
    body: Any = None
    files: list[UploadedFile] = []
    if request.content_type == "application/json":
        raw = await request.read()
        body = json.loads(raw) if raw.strip() else None
    elif request.content_type.startswith("multipart/"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files.append(
                    UploadedFile(key, value.filename, value.content_type, value.file.read())
                )
            elif key == "payload_json":
                body = json.loads(value)
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return DiscordCall(
        name=spec.name,
        method=request.method,
        route=f"{spec.method} {spec.path}",
        path=request.path,
        params=dict(request.match_info),
        query=dict(request.query),
        json=body,
        files=tuple(files),
        token=credentials if scheme == "Bot" else None,
    )

"""The fake's REST front: every call recorded, injected faults, custom answers, the bot token.

discord.py's own reactions to faults, found on 2.7.1: a 429 is slept on and retried only with
a `Via` header and a JSON `retry_after` (otherwise it is taken for a Cloudflare ban and raises
HTTPException); 500, 502, 504 and 524 are retried after 1, 3, 5 and 7 s and raise
DiscordServerError after 5 tries, while 503 and 4xx raise at once; the webhook adapter (used
for interaction callbacks and followups) retries every 5xx. A connection closed without an
answer is not retried: the call raises aiohttp.ServerDisconnectedError.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.adapters.discord.fake_rest import (
    DiscordCall,
    Fault,
    Reply,
    RouteSpec,
    error,
    json_response,
    read_call,
)
from tests.adapters.discord.waiting import Signal

Answer = Callable[[DiscordCall], Awaitable[Reply]]


class RestCalls:
    """Serves `specs` under `prefix`; records each call, then a fault, a 401 or the answer."""

    def __init__(self, specs: list[RouteSpec], *, token_ok: Callable[[str | None], bool]) -> None:
        self.calls: list[DiscordCall] = []
        self._specs = specs
        self._token_ok = token_ok
        self._faults: dict[str, deque[Fault]] = {}
        self._answers: dict[str, Answer] = {}
        self._signal = Signal()

    def add_routes(self, app: web.Application, prefix: str) -> None:
        for spec in self._specs:
            app.router.add_route(spec.method, f"{prefix}{spec.path}", self._handler(spec))
        app.router.add_route("*", f"{prefix}/{{tail:.*}}", self._unknown_route)

    def route_names(self) -> list[str]:
        return [spec.name for spec in self._specs]

    def calls_to(self, name: str) -> list[DiscordCall]:
        """The calls to route `name` (or route template "POST /channels/{channel_id}/messages")."""
        return [call for call in self.calls if name in (call.name, call.route)]

    async def wait_for(
        self,
        name: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the test, not I/O
    ) -> list[DiscordCall]:
        """All calls to `name` once there are at least `count`; AssertionError on timeout."""
        await self._signal.wait_until(
            lambda: len(self.calls_to(name)) >= count,
            timeout=timeout,
            describe=lambda: (
                f"{count} call(s) to {name}, got {len(self.calls_to(name))}; "
                f"seen in order: {[call.name for call in self.calls]}"
            ),
        )
        return self.calls_to(name)

    def fail(
        self, name: str, *, status: int = 500, times: int = 1, code: int = 0, message: str = ""
    ) -> None:
        """Answer the next `times` calls to `name` with `status` (and a Discord error body)."""
        text = message or f"{status}: fake failure"
        self._add_fault(name, times, Fault("status", status=status, code=code, message=text))

    def rate_limit(
        self,
        name: str,
        *,
        retry_after: float = 0.0,
        times: int = 1,
        is_global: bool = False,
        via: bool = True,
    ) -> None:
        """Answer the next `times` calls to `name` with a 429 that discord.py sleeps on and
        retries; `via=False` is Cloudflare's ban instead (no `Via`, an HTML body)."""
        fault = Fault(
            "rate_limit", status=429, retry_after=retry_after, is_global=is_global, via=via
        )
        self._add_fault(name, times, fault)

    def drop(self, name: str, *, times: int = 1) -> None:
        """Close the connection of the next `times` calls to `name` without an answer."""
        self._add_fault(name, times, Fault("drop"))

    def answer(self, name: str, answer: Answer) -> None:
        """Answer every later call to `name` with `answer(call)` instead of the built-in route."""
        self._answers[name] = answer

    def _add_fault(self, name: str, times: int, fault: Fault) -> None:
        if name not in self.route_names():
            raise ValueError(f"no route named {name!r}; known: {self.route_names()}")
        self._faults.setdefault(name, deque()).extend([fault] * times)

    def _handler(self, spec: RouteSpec) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            call = await read_call(request, spec)
            pending = self._faults.get(spec.name)
            fault = pending.popleft() if pending else None
            if fault is not None:
                call = dataclasses.replace(call, failed=True)
            self._record(call)
            if fault is not None:
                return fault.respond(request, spec.name)
            if spec.auth and not self._token_ok(call.token):
                return json_response(error(401, 0, "401: Unauthorized"))
            custom = self._answers.get(spec.name)
            return json_response(await (custom or spec.handler)(call))

        return handle

    async def _unknown_route(self, request: web.Request) -> web.StreamResponse:
        spec = RouteSpec(request.method, request.path, "unknown", self._not_found)
        self._record(await read_call(request, spec))
        return json_response(error(404, 0, "404: Not Found"))

    @staticmethod
    async def _not_found(call: DiscordCall) -> Reply:
        return error(404, 0, "404: Not Found")

    def _record(self, call: DiscordCall) -> None:
        self.calls.append(call)
        self._signal.notify()

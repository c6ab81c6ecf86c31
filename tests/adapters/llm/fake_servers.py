"""Local fake LLM servers on 127.0.0.1 speaking the OpenAI and Anthropic streaming wire formats.

Each fake answers requests in order from a script, records every request, and speaks the
real SSE format, so the real `openai` / `anthropic` SDKs (and the adapters) run unchanged:

    async with FakeOpenAI() as fake:
        fake.script(
            Failure(500),  # the first request fails ...
            Reply(text=chunks("Hello there"), usage=Usage(12, 3)),  # ... the retry streams
            Reply(tool_calls=[tool_call("create_task", {"title": "Ship"})], usage=Usage(20, 9)),
        )
        config = LLMConfig(provider="openai-compatible", model="m", base_url=fake.url)
        ...
        assert fake.requests[0].body["messages"][0]["role"] == "system"

A scripted step is a `Reply`, a `Failure` (HTTP error, optionally with `retry-after`), a
`Stall` (no answer until the server closes, so the client times out), or a function of the
`RecordedRequest` returning one of those (for answers that depend on the conversation).
When the script runs out, `fallback` answers; without one the fake answers HTTP 400
"no scripted reply left", which the adapters report as `ProviderRejected`.

`FakeOpenAI.url` is an OpenAI `base_url` (`.../v1`); `FakeOpenAI.endpoint` is an Azure
endpoint (requests arrive at `/openai/deployments/{d}/chat/completions?api-version=...`).
`FakeAnthropic.url` is an Anthropic `base_url`. Tests under `tests/adapters/llm/` get started
fakes from the `fake_openai` / `fake_anthropic` fixtures (its conftest); other packages open
one with `async with FakeOpenAI() as fake:` in their own fixture. Close models before fakes.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.adapters.llm.fake_wire import anthropic_events, error_body, openai_events, sse
from tests.local_server import LocalServer, Served


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call whose JSON `arguments` text is streamed in `pieces` fragments."""

    name: str
    arguments: str
    id: str = "call_1"
    pieces: int = 3


def tool_call(
    name: str, arguments: Mapping[str, Any] | str, *, id: str = "call_1", pieces: int = 3
) -> ScriptedToolCall:
    """A scripted tool call; a `str` is sent as is (e.g. to script malformed JSON)."""
    text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    return ScriptedToolCall(name=name, arguments=text, id=id, pieces=pieces)


def chunks(text: str) -> tuple[str, ...]:
    """`text` split into word-sized stream chunks: "Hi there" -> ("Hi", " there")."""
    words = text.split(" ")
    return (words[0], *(" " + word for word in words[1:]))


@dataclass(frozen=True)
class Reply:
    """A streamed answer. `usage=None` sends no usage at all (like some local servers).

    `gate`: after the first text chunk the fake waits for this event before the rest, so a
    test can prove text is forwarded while the reply is still streaming.
    `disconnect`: drop the connection after the text chunks, before the reply completes.
    """

    text: Sequence[str] = ()
    tool_calls: Sequence[ScriptedToolCall] = ()
    usage: Usage | None = None
    model: str | None = None
    finish_reason: str | None = None
    gate: asyncio.Event | None = None
    disconnect: bool = False


@dataclass(frozen=True)
class Failure:
    """An HTTP error answer in the provider's error format."""

    status: int
    message: str = "scripted failure"
    retry_after: str | None = None


@dataclass(frozen=True)
class Stall:
    """No answer until the server closes: the client's timeout fires."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names lower-cased
    body: Any  # parsed JSON
    raw: bytes = field(repr=False)


Outcome = Reply | Failure | Stall
Step = Outcome | Callable[[RecordedRequest], Outcome]
NO_SCRIPT_LEFT = Failure(400, "fake server: no scripted reply left for this request")


class FakeLLMServer(Served):
    """Shared machinery: an aiohttp app on an ephemeral port that replays a script."""

    provider = ""

    def __init__(self, *, fallback: Step | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.fallback = fallback
        self._script: deque[Step] = deque()
        self._released = asyncio.Event()
        self._server = LocalServer()
        self.root = ""

    def script(self, *steps: Step) -> None:
        """Queue answers for the next requests, one step per request."""
        self._script.extend(steps)

    @property
    def unused(self) -> int:
        """Scripted steps no request has consumed yet."""
        return len(self._script)

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.post(path, self._handle) for path in self.paths()])
        self.root = await self._server.start(app)

    async def close(self) -> None:
        self._released.set()
        await self._server.stop()

    def paths(self) -> Sequence[str]:
        raise NotImplementedError

    def events(self, reply: Reply, request: RecordedRequest) -> tuple[list[bytes], list[bytes]]:
        """The SSE events of `reply`: (up to and including the text, everything after)."""
        raise NotImplementedError

    def _next(self, record: RecordedRequest) -> Outcome:
        step = self._script.popleft() if self._script else (self.fallback or NO_SCRIPT_LEFT)
        return step(record) if callable(step) else step

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=json.loads(raw) if raw else None,
            raw=raw,
        )
        self.requests.append(record)
        outcome = self._next(record)
        if isinstance(outcome, Stall):
            await self._released.wait()
            return web.Response(status=503)
        if isinstance(outcome, Failure):
            return self._failure(outcome)
        if not (isinstance(record.body, dict) and record.body.get("stream") is True):
            return self._failure(Failure(400, "the fake LLM server only streams (stream=true)"))
        return await self._stream(request, outcome, record)

    def _failure(self, failure: Failure) -> web.Response:
        headers = {"retry-after": failure.retry_after} if failure.retry_after else {}
        return web.json_response(
            error_body(self.provider, failure.status, failure.message),
            status=failure.status,
            headers=headers,
        )

    async def _stream(
        self, request: web.Request, reply: Reply, record: RecordedRequest
    ) -> web.StreamResponse:
        head, tail = self.events(reply, record)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for position, event in enumerate(head):
            await response.write(event)
            if position == len(head) - len(reply.text) and reply.gate is not None:
                await reply.gate.wait()
        if reply.disconnect:
            if request.transport is not None:
                request.transport.close()
            return response
        for event in tail:
            await response.write(event)
        await response.write_eof()
        return response


class FakeOpenAI(FakeLLMServer):
    """OpenAI chat completions (also Azure deployments and OpenAI-compatible servers)."""

    provider = "openai"

    @property
    def url(self) -> str:
        """A `base_url` for `AsyncOpenAI` or an OpenAI-compatible config."""
        return f"{self.root}/v1"

    @property
    def endpoint(self) -> str:
        """An `azure_endpoint` for `AsyncAzureOpenAI`."""
        return self.root

    def paths(self) -> Sequence[str]:
        return (
            "/v1/chat/completions",
            "/chat/completions",
            "/openai/deployments/{deployment}/chat/completions",
        )

    def events(self, reply: Reply, request: RecordedRequest) -> tuple[list[bytes], list[bytes]]:
        options = request.body.get("stream_options") or {}
        usage = reply.usage if options.get("include_usage") else None
        model = reply.model or str(request.body.get("model", "fake-model"))
        head, tail = openai_events(reply, model=model, usage=usage)
        return [sse(event) for event in head], [*(sse(event) for event in tail), sse("[DONE]")]


class FakeAnthropic(FakeLLMServer):
    """Anthropic messages API (`POST /v1/messages`, streamed events)."""

    provider = "anthropic"

    @property
    def url(self) -> str:
        """A `base_url` for `AsyncAnthropic`."""
        return self.root

    def paths(self) -> Sequence[str]:
        return ("/v1/messages",)

    def events(self, reply: Reply, request: RecordedRequest) -> tuple[list[bytes], list[bytes]]:
        model = reply.model or str(request.body.get("model", "fake-model"))
        head, tail = anthropic_events(reply, model=model)
        return (
            [sse(event, name=event["type"]) for event in head],
            [sse(event, name=event["type"]) for event in tail],
        )

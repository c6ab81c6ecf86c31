"""Fake LLM servers that misbehave in ways the scripted fakes do not: a stream of garbled
JSON, and an answer that never ends; and the Slack deployment the LLM fault tests ask."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from adapters.llm.factory import LLMConfig
from adapters.offline import OfflineModel
from bot.app import App
from bot.conversation import Conversations, conversations_with
from core.chat.services import SessionFor
from core.llm import ChatMessage, ChatModel, LLMReply, OnText, ToolSpec
from core.workspaces import Workspace
from tests.adapters.llm.fake_servers import (
    FakeAnthropic,
    FakeLLMServer,
    FakeOpenAI,
    RecordedRequest,
)
from tests.adapters.slack.conftest import SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack

KEYS = {"openai-compatible": "sk-fault-test-key-0001", "anthropic": "sk-ant-fault-test-key-0002"}


@dataclass(frozen=True)
class Garbled:
    """A 200 stream whose events are not JSON."""


@dataclass(frozen=True)
class Endless:
    """Text chunks forever (a server that ignores `max_tokens` and never finishes);
    `pause` seconds between chunks."""

    pause: float = 0.0


class _Misbehaving:
    """Mixed into a fake: `Garbled` and `Endless` steps besides the scripted ones."""

    sent_chunks = 0

    async def _stream(  # type: ignore[override]
        self, request: web.Request, reply: Any, record: RecordedRequest
    ) -> web.StreamResponse:
        if not isinstance(reply, Garbled | Endless):
            return await super()._stream(request, reply, record)  # type: ignore[misc]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if isinstance(reply, Garbled):
            await response.write(b'data: {"id": "x", "choices": [{"delta": {"content": \n\n')
            await response.write(b"event: content_block_delta\ndata: {oops not json\n\n")
            await response.write_eof()
            return response
        head = self._endless_head(record)  # type: ignore[attr-defined]
        for event in head:
            await response.write(event)
        try:
            while True:
                await response.write(self._endless_chunk())  # type: ignore[attr-defined]
                self.sent_chunks += 1
                await asyncio.sleep(reply.pause)
        except (ConnectionError, asyncio.CancelledError):
            return response


def _sse(data: dict[str, Any], name: str | None = None) -> bytes:
    prefix = f"event: {name}\n" if name else ""
    return f"{prefix}data: {json.dumps(data)}\n\n".encode()


class MisbehavingOpenAI(_Misbehaving, FakeOpenAI):
    def _endless_head(self, record: RecordedRequest) -> list[bytes]:
        return []

    def _endless_chunk(self) -> bytes:
        return _sse(
            {
                "id": "chatcmpl-endless",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake-model",
                "choices": [{"index": 0, "delta": {"content": "more "}, "finish_reason": None}],
            }
        )


class MisbehavingAnthropic(_Misbehaving, FakeAnthropic):
    def _endless_head(self, record: RecordedRequest) -> list[bytes]:
        start = {
            "type": "message_start",
            "message": {
                "id": "msg_endless",
                "type": "message",
                "role": "assistant",
                "model": "fake-model",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1},
            },
        }
        block = {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        return [_sse(start, "message_start"), _sse(block, "content_block_start")]

    def _endless_chunk(self) -> bytes:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "more "},
        }
        return _sse(delta, "content_block_delta")


def fake_for(provider: str) -> FakeLLMServer:
    return MisbehavingAnthropic() if provider == "anthropic" else MisbehavingOpenAI()


def config_for(provider: str, fake: FakeLLMServer, **options: Any) -> LLMConfig:
    base = fake.root if provider == "anthropic" else f"{fake.root}/v1"
    options = {"timeout": 2.0, "max_retries": 2, "retry_base_delay": 0.01, **options}
    return LLMConfig(provider, "fault-model", KEYS[provider], base, **options)


def chat_with(app: App, model: ChatModel) -> SessionFor:
    """The chat sessions of the served app, every workspace answered by `model`."""

    @asynccontextmanager
    async def chat(_workspace: Workspace) -> AsyncIterator[Conversations]:
        yield conversations_with(app, model)

    return chat


@asynccontextmanager
async def slack_bot(
    app: App, slack: FakeSlack, workspace: Workspace, model: ChatModel, **options: Any
) -> AsyncIterator[SlackBot]:
    """The served Slack app answering with `model`; `options` go to `serve`."""
    async with (
        serve(app, slack, chat=chat_with(app, model), **options) as url,
        aiohttp.ClientSession() as http,
    ):
        yield SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)


class CountingModel:
    """The offline model; `gate` (when set up) holds every call until the test opens it."""

    def __init__(self, *, gated: bool = False) -> None:
        self.calls = 0
        self.arrived = asyncio.Condition()
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()
        self._model = OfflineModel()

    @property
    def label(self) -> str:
        return self._model.label

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        async with self.arrived:
            self.calls += 1
            self.arrived.notify_all()
        await self.gate.wait()
        return await self._model.complete(
            messages, tools=tools, on_text=on_text, max_output_tokens=max_output_tokens
        )

    async def until(self, calls: int) -> None:
        async with asyncio.timeout(20), self.arrived:
            await self.arrived.wait_for(lambda: self.calls >= calls)

"""A real slack-bolt app served over HTTP on 127.0.0.1, on a real database, against the fake
Slack Web API; requests are signed as Slack signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import SlackConfig, build_slack_app
from adapters.slack.server import slack_web_app
from adapters.storage import SqlThreadStore
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from bot.health import not_ready
from bot.slack import installation_store
from core.chat.services import SessionFor
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform, Workspace
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import (
    action_body,
    command_body,
    event_body,
    signed_headers,
    view_submission_body,
)
from tests.local_server import LocalServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"


@dataclass
class SlackBot:
    """The served app, its database and the fake Web API it talks to."""

    app: App
    slack: FakeSlack
    url: str
    http: aiohttp.ClientSession
    workspace: Workspace
    events: int = 0

    @property
    def threads(self) -> SqlThreadStore:
        return SqlThreadStore(self.app.db)

    async def remaining(self) -> int:
        return (await self.app.pool.status(self.workspace)).balance.remaining

    async def drain(self) -> None:
        """Spend every credit left (charges of the maximum price, as long answers would)."""
        heavy = TokenUsage(input_tokens=40_000, output_tokens=0)
        n = 0
        while await self.remaining() > 0:
            n += 1
            await self.app.pool.reserve(self.workspace, key=f"drain-{n}", member=None)
            await self.app.pool.settle(
                self.workspace,
                key=f"drain-{n}",
                usage=heavy,
                interaction_type=InteractionType.DATA_ANALYSIS,
            )
        self.app.clock.advance(minutes=2)  # type: ignore[attr-defined]  # past the rate limit

    async def answered(self, count: int = 1) -> list[SlackCall]:
        """Wait until `count` answers got their final edit (the one with the usage footer)."""
        while True:
            updates = self.slack.calls_to("chat.update")
            final = [u for u in updates if u.args.get("blocks", [{}])[-1].get("type") == "context"]
            if len(final) >= count:
                return final
            await self.slack.wait_for("chat.update", count=len(updates) + 1)

    async def turns(self, key: str) -> list[str]:
        """The texts of a Slack thread's turns, oldest first."""
        thread = await self.threads.find_thread(self.workspace.id, Platform.SLACK, key)
        assert thread is not None, f"no thread {key}"
        return [t.text for t in await self.threads.turns(thread.id, limit=50)]

    async def post(
        self, body: str, *, headers: dict[str, str] | None = None, secret: str = SECRET
    ) -> aiohttp.ClientResponse:
        sent = {**signed_headers(body, secret=secret), **(headers or {})}
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=sent) as resp:
            await resp.read()
            return resp

    async def event(self, event: dict[str, Any], *, event_id: str | None = None) -> int:
        self.events += 1
        body = event_body(event, event_id=event_id or f"Ev{self.events:04d}")
        return (await self.post(body)).status

    async def command(self, text: str, **kwargs: Any) -> int:
        kwargs.setdefault("response_url", self.slack.response_url)
        return (await self.post(command_body(text, **kwargs))).status

    async def click(self, action_id: str, value: str, **kwargs: Any) -> int:
        kwargs.setdefault("response_url", self.slack.response_url)
        return (await self.post(action_body(action_id, value, **kwargs))).status

    async def submit(self, callback_id: str, values: dict[str, Any], **kwargs: Any) -> Any:
        sent = view_submission_body(callback_id, values, **kwargs)
        headers = signed_headers(sent, secret=SECRET)
        async with self.http.post(f"{self.url}/slack/events", data=sent, headers=headers) as resp:
            text = await resp.text()
            return resp.status, text


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM) as fake:
        fake.add_user("U0ALICE", "alice", admin=True)
        fake.add_user("U0BOB", "bob")
        fake.add_user("U0CAROL", "carol")
        yield fake


@pytest.fixture
async def bot(app: App, slack: FakeSlack) -> AsyncIterator[SlackBot]:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("acme", Platform.SLACK, TEAM)
    async with serve(app, slack) as url, aiohttp.ClientSession() as http:
        yield SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)


def slack_config(slack: FakeSlack, **overrides: Any) -> SlackConfig:
    config = SlackConfig(
        signing_secret=SECRET,
        api_url=slack.api_url,
        bot_token="xoxb-test-token",
        stream_interval=0.0,
        process_before_response=True,  # each request's work is done when its response arrives
    )
    return replace(config, **overrides)


class serve:
    """The Slack web app on an ephemeral port; yields its base URL."""

    def __init__(
        self, app: App, slack: FakeSlack, *, chat: SessionFor | None = None, **overrides: Any
    ) -> None:
        self._app = app
        self._sessions = ChatSessions(app)
        self._config = slack_config(slack, **overrides)
        self._layer = chat_layer(app, self._sessions, chat=chat)
        self._server = LocalServer()
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> str:
        self._http = aiohttp.ClientSession()
        bolt = build_slack_app(
            self._config,
            layer=self._layer,
            engine=self._app.db.engine,
            installations=installation_store(self._app, self._config),
            session=self._http,
        )
        ready = slack_web_app(bolt, not_ready=lambda: not_ready(self._app.db))
        return await self._server.start(ready)

    async def __aexit__(self, *exc: object) -> None:
        await self._server.stop()
        if self._http is not None:
            await self._http.close()
        await self._sessions.aclose()

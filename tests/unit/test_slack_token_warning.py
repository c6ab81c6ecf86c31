"""`serve slack` with SLACK_BOT_TOKEN set: Bolt's "`token` will be unused" is not printed,
since the client Bolt is given carries that very token; with OAuth it is really unused."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from adapters.slack.app import SlackConfig, build_slack_app
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import ChatSessions
from bot.slack import installation_store
from core.chat.layer import ChatLayer

TOKEN = "xoxb-test-token"
UNUSED = "`token` will be unused"


@pytest.fixture
def env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)


@pytest.fixture
async def layer(app: App) -> AsyncIterator[ChatLayer]:
    sessions = ChatSessions(app)
    try:
        yield chat_layer(app, sessions)
    finally:
        await sessions.aclose()


@pytest.mark.usefixtures("env_token")
def test_a_bot_token_install_does_not_claim_the_token_is_unused(
    layer: ChatLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = SlackConfig(signing_secret="s", bot_token=TOKEN)
    bolt = build_slack_app(config, layer=layer)
    assert bolt.client.token == TOKEN
    assert UNUSED not in caplog.text


@pytest.mark.usefixtures("env_token")
def test_an_oauth_install_still_says_the_variable_is_unused(
    app: App, layer: ChatLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = SlackConfig(signing_secret="s", client_id="1.2", client_secret="shh")
    build_slack_app(
        config,
        layer=layer,
        engine=app.db.engine,
        installations=installation_store(app, config),
    )
    assert UNUSED in caplog.text

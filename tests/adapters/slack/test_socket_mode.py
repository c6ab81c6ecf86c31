"""`serve slack --socket`: the same app over a Socket Mode connection (no public endpoint)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace

from bot.app import App
from bot.settings import Settings
from bot.slack import serve_socket
from tests.adapters.slack.conftest import SlackBot
from tests.adapters.slack.signing import event_body, mention_event


async def test_a_mention_over_socket_mode_is_acked_answered_and_charged(bot: SlackBot) -> None:
    settings = Settings.model_validate(
        {
            "database_url": bot.app.settings.database_url,
            "SLACK_BOT_TOKEN": "xoxb-socket",
            "SLACK_APP_TOKEN": "xapp-1-socket",
            "SLACK_API_URL": bot.slack.api_url,
            "slack_stream_interval": 0,
        }
    )
    app: App = replace(bot.app, settings=settings)
    ready = asyncio.Event()
    running = asyncio.create_task(serve_socket(app, on_ready=lambda _where: ready.set()))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        payload = json.loads(event_body(mention_event("How many open items are in WEB?")))
        ack = await bot.slack.push(payload)
        (final_call,) = await bot.answered()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert ack["envelope_id"]
    opened = bot.slack.calls_to("apps.connections.open")[0]
    assert opened.token == "xapp-1-socket"
    final = final_call
    assert "open work items in WEB" in final.args["text"]
    assert final.token == "xoxb-socket"
    assert await bot.remaining() == 499

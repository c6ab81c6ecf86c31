"""The peer for `bench.slack_pipeline`: a slack-bolt app shaped like the well-known
ChatGPT-in-Slack bot, written for this benchmark. On a mention it posts a placeholder in the
thread, asks the LLM with the openai SDK (stream=True, same local fake as ours), edits the
placeholder with the text so far at most every SETGET_SLACK_STREAM_INTERVAL seconds (as ours
does), then writes the final text into it. No database, no metering. Served the same way as
`bench.bare_slack` (aiohttp, /slack/events, /healthz)."""

from __future__ import annotations

import os
import time
from typing import Any

from openai import AsyncOpenAI
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.bare_slack import serve_bolt

PLACEHOLDER = ":hourglass_flowing_sand: Wait a second, please ..."
WRITING = " ..."  # after the text while the answer is still streaming
SYSTEM = "You are a bot in a Slack chat room. Answer the user's question."


def peer_app() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    llm = AsyncOpenAI(base_url=os.environ["SETGET_LLM_BASE_URL"], api_key="bench")
    model = os.environ.get("SETGET_LLM_MODEL", "gpt-4o-mini")
    interval = float(os.environ.get("SETGET_SLACK_STREAM_INTERVAL", "1"))
    app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    async def on_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
        wip = await client.chat_postMessage(channel=channel, thread_ts=thread, text=PLACEHOLDER)
        messages: Any = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": event.get("text", "")},
        ]
        stream = await llm.chat.completions.create(model=model, messages=messages, stream=True)
        text, last_edit = "", time.monotonic()
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            if text and time.monotonic() - last_edit >= interval:
                await client.chat_update(channel=channel, ts=wip["ts"], text=text + WRITING)
                last_edit = time.monotonic()
        await client.chat_update(channel=channel, ts=wip["ts"], text=text)

    app.event("app_mention")(on_mention)
    return app


def main() -> None:
    serve_bolt(peer_app(), description=__doc__)


if __name__ == "__main__":
    main()

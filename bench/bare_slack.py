"""The baseline for `bench.slack_pipeline`: a bare slack-bolt app that answers each mention
with one `chat.postMessage` in its thread, served the same way (aiohttp, /slack/events)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    async def on_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(
            channel=event["channel"], thread_ts=event["ts"], text="Hello from the bare app."
        )

    app.event("app_mention")(on_mention)
    return app


def serve_bolt(bolt: AsyncApp, *, description: str | None) -> None:
    """Serve `bolt` on `--port` as ours is served: /slack/events and /healthz over aiohttp."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.add_routes([web.post("/slack/events", events), web.get("/healthz", health)])
    web.run_app(web_app, host="127.0.0.1", port=port, print=None)


def main() -> None:
    serve_bolt(bare_app(), description=__doc__)


if __name__ == "__main__":
    main()

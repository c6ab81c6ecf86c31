"""The HTTP endpoint: Events API, interactivity and slash commands on `/slack/events`, the
OAuth install pages when distributing, and `/healthz` for the load balancer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def slack_web_app(app: AsyncApp, *, healthy: Callable[[], Awaitable[bool]]) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def health(_request: web.Request) -> web.Response:
        if await healthy():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unreachable"}, status=503)

    web_app = web.Application()
    web_app.add_routes([web.post(EVENTS_PATH, events), web.get("/healthz", health)])
    flow = app.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.add_routes(
            [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, redirect)]
        )
    return web_app

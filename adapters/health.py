"""The health endpoints every serving process answers over HTTP: `/healthz` (the process
serves), `/readyz` (it can answer; why not, with 503) and, when given, `/metrics`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

NotReady = Callable[[], Awaitable[str | None]]  # why the process cannot answer; None: ready
Exposition = Callable[[], Awaitable[tuple[bytes, str]]]  # the metrics text, its content type


def health_routes(*, not_ready: NotReady, metrics: Exposition | None) -> list[web.RouteDef]:
    async def live(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(_request: web.Request) -> web.Response:
        problem = await not_ready()
        if problem is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": problem}, status=503)

    async def scrape(_request: web.Request) -> web.Response:
        assert metrics is not None
        body, content_type = await metrics()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    routes = [web.get("/healthz", live), web.get("/readyz", ready)]
    return routes if metrics is None else [*routes, web.get("/metrics", scrape)]

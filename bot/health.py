"""Whether this process should take traffic: what `/readyz` answers (`/healthz` only says the
process serves), and the small HTTP port that serves both, with `/metrics`, for processes
that have no HTTP server of their own (`serve discord`, `serve slack --socket`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.storage import Database, SchemaOutOfDate, check_schema

Exposition = Callable[[], Awaitable[tuple[bytes, str]]]  # the metrics text and content type


async def not_ready(db: Database) -> str | None:
    """Why not (None: ready): the database must answer and hold this version's schema."""
    if not await db.ping():
        return "database unreachable"
    try:
        await check_schema(db)
    except SchemaOutOfDate:
        return "database schema out of date"
    return None


class Readiness:
    """`/readyz` of a serving process: not ready once it shuts down (a load balancer stops
    sending it traffic while its answers in flight finish), else `not_ready`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.stopping = False

    async def problem(self) -> str | None:
        if self.stopping:
            return "shutting down"
        return await not_ready(self._db)


def health_web_app(
    *, not_ready: Callable[[], Awaitable[str | None]], metrics: Exposition | None
) -> web.Application:
    """`/healthz`, `/readyz` and (with `metrics`) `/metrics` on a port of their own."""

    async def live(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(_request: web.Request) -> web.Response:
        problem = await not_ready()
        if problem is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": problem}, status=503)

    web_app = web.Application()
    web_app.add_routes([web.get("/healthz", live), web.get("/readyz", ready)])
    if metrics is not None:
        web_app.add_routes([web.get("/metrics", metrics_handler(metrics))])
    return web_app


def metrics_handler(metrics: Exposition) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def scrape(_request: web.Request) -> web.Response:
        body, content_type = await metrics()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    return scrape

"""Whether this process should take traffic: what `/readyz` answers (`/healthz` only says the
process serves), and the small HTTP port that serves both, with `/metrics`, for processes
that have no HTTP server of their own (`serve discord`, `serve slack --socket`)."""

from __future__ import annotations

from aiohttp import web

from adapters.health import Exposition, NotReady, health_routes
from adapters.storage import Database, SchemaOutOfDate, check_schema

__all__ = ["Exposition", "Readiness", "health_web_app", "not_ready"]


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


def health_web_app(*, not_ready: NotReady, metrics: Exposition | None) -> web.Application:
    """`/healthz`, `/readyz` and (with `metrics`) `/metrics` on a port of their own."""
    web_app = web.Application()
    web_app.add_routes(health_routes(not_ready=not_ready, metrics=metrics))
    return web_app

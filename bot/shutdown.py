"""SIGTERM for a serving process: wait for it, then stop taking new work, let the answers in
flight finish within `SETGET_SHUTDOWN_GRACE_SECONDS`, cancel what is left, and return (the
command exits 0)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot.health import Exposition, Readiness, health_web_app
from bot.settings import Settings
from core.chat.draining import AnswersInFlight, DrainReport

logger = logging.getLogger(__name__)

OnStop = Callable[[str], None]


async def until_terminated() -> None:
    """Return once the process gets SIGTERM (Ctrl-C still stops it at once)."""
    loop = asyncio.get_running_loop()
    terminated = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, terminated.set)
    try:
        await terminated.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def drain(
    in_flight: AnswersInFlight,
    readiness: Readiness,
    *,
    grace: float,
    on_stop: OnStop | None = None,
) -> DrainReport:
    """Stop taking answers (`/readyz` says so), finish or cancel those in flight."""
    readiness.stopping = True
    waiting = len(in_flight)
    logger.info("SIGTERM: stopping; %d answer(s) in flight", waiting)
    if on_stop is not None:
        on_stop(f"stopping: {waiting} answer(s) in flight, {grace:g} s to finish")
    report = await in_flight.drain(grace)
    logger.info("stopped: %d answer(s) finished, %d cancelled", report.finished, report.cancelled)
    return report


@asynccontextmanager
async def health_port(
    settings: Settings, readiness: Readiness, metrics: Exposition | None
) -> AsyncIterator[str | None]:
    """`SETGET_HEALTH_PORT`'s server while the block runs (its URL), or nothing when unset."""
    if settings.health_port is None:
        yield None
        return
    runner = web.AppRunner(health_web_app(not_ready=readiness.problem, metrics=metrics))
    await runner.setup()
    site = web.TCPSite(runner, host=settings.health_host, port=settings.health_port)
    try:
        await site.start()
        yield f"http://{settings.health_host}:{settings.health_port}"
    finally:
        await runner.cleanup()

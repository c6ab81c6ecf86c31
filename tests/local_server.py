"""An aiohttp app served on 127.0.0.1 at an ephemeral port: the fakes' and served apps' home."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web


class Served:
    """A fake used as `async with fake:` — its `start()` on entering, `close()` on leaving."""

    async def start(self) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class LocalServer:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application) -> str:
        """Serve `app`; returns its base URL (`http://127.0.0.1:PORT`)."""
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

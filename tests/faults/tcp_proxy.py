"""A TCP proxy on 127.0.0.1 in front of a server (the shared PostgreSQL), that a test can cut:
every connection closed at once, new ones refused for a while, then accepted again. From the
client's side that is a database server restarting (or failing over), without touching the
real server that other tests use."""

from __future__ import annotations

import asyncio
import contextlib

from tests.local_server import Served


class TcpProxy(Served):
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0  # connections taken, over the proxy's life
        self.cuts = 0

    async def start(self) -> int:
        """Listen (on the same port again after a cut); returns the port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self, *, refuse_for: float = 0.0) -> None:
        """Close every connection; refuse new ones for `refuse_for` seconds (then accept)."""
        self.cuts += 1
        if refuse_for > 0:
            await self._stop_listening()
        for writer in list(self._links):
            writer.transport.abort()  # no goodbye: as a crashed or restarted server
        self._links.clear()
        if refuse_for > 0:
            await asyncio.sleep(refuse_for)
            await self.start()

    async def refuse(self) -> None:
        """Close every connection and refuse new ones until `start` (an outage)."""
        await self._stop_listening()
        await self.cut()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        await self.refuse()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            server_r, server_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.transport.abort()
            return
        self._links |= {client_w, server_w}
        for source, sink in ((client_r, server_w), (server_r, client_w)):
            pump = asyncio.create_task(self._pump(source, sink, (client_w, server_w)))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        for writer in pair:  # one side went: the other goes too
            self._links.discard(writer)
            writer.transport.abort()

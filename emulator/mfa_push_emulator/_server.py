"""uvicorn's server, with a shutdown that does not hang on idle HTTPS clients."""

from __future__ import annotations

import asyncio
import socket

import uvicorn


class Server(uvicorn.Server):
    """On shutdown uvicorn closes idle keep-alive connections; over TLS, asyncio's close then
    waits for the client's close_notify (up to 30 s), which an idle client never sends, so a stop
    took 30 s while any client kept a pooled connection. Connections already closing are aborted."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        reaper = asyncio.ensure_future(self._abort_closing())
        try:
            await super().shutdown(sockets)
        finally:
            reaper.cancel()

    async def _abort_closing(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            for connection in list(self.server_state.connections):
                transport = getattr(connection, "transport", None)
                if isinstance(transport, asyncio.BaseTransport) and transport.is_closing():
                    abort = getattr(transport, "abort", None)
                    if callable(abort):
                        abort()

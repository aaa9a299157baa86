"""A real HTTP proxy on a loopback port, as corporate proxies behave: `CONNECT host:port` opens a
tunnel (what clients do for https), an absolute-form request (`GET http://host/...`, what clients
do for http) is forwarded. It counts what it carried, by target `host:port`."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from urllib.parse import urlsplit


class Proxy:
    def __init__(self) -> None:
        self.connects: Counter[str] = Counter()
        self.forwards: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def carried(self, host_port: str) -> int:
        """Tunnels and forwarded requests to `host_port`."""
        return self.connects[host_port] + self.forwards[host_port]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, _, headers = head.partition(b"\r\n")
        method, target, version = request_line.decode("latin-1").split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            self.connects[target] += 1
            upstream = await self._open(host.strip("[]"), int(port), writer)
            if upstream is None:
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._pipe(reader, writer, *upstream)
            return
        # Forwarding: one request per connection, in origin form, so the origin never sees the
        # absolute form and the client does not reuse the connection for another host.
        url = urlsplit(target)
        port = url.port or 80
        self.forwards[f"{url.hostname}:{port}"] += 1
        upstream = await self._open(url.hostname or "", port, writer)
        if upstream is None:
            return
        origin_target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        kept = [
            line
            for line in headers.split(b"\r\n")
            if line and not line.lower().startswith((b"connection:", b"proxy-connection:", b"keep-alive:"))
        ]
        upstream[1].write(
            f"{method} {origin_target} {version}\r\n".encode("latin-1")
            + b"\r\n".join([*kept, b"Connection: close"])
            + b"\r\n\r\n"
        )
        await self._pipe(reader, writer, *upstream)

    async def _open(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.open_connection(host, port)
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return None

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))

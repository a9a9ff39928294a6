"""A small real HTTP server that serves documents for subscription tests: set a route to a
body, content type and status, optionally an ETag (answered with 304), a delay, a redirect
or a body of any size streamed in chunks."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from tests.support.smtp import free_port


@dataclass
class Served:
    body: bytes = b""
    content_type: str = "text/csv"
    status: int = 200
    etag: str | None = None
    delay: float = 0.0
    location: str | None = None
    size: int | None = None  # stream this many bytes of filler instead of `body`


@dataclass
class ListServer:
    routes: dict[str, Served] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            parts = (await reader.readline()).decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else "/"
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode("latin-1")) not in ("\r\n", "\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.hits.append((path, headers))
            served = self.routes.get(path, Served(b"not found", "text/plain", 404))
            if served.delay:
                await asyncio.sleep(served.delay)
            if served.etag and headers.get("if-none-match") == served.etag:
                writer.write(
                    f"HTTP/1.1 304 Not Modified\r\nETag: {served.etag}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
            elif served.location:
                writer.write(
                    f"HTTP/1.1 302 Found\r\nLocation: {served.location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )
            else:
                length = served.size if served.size is not None else len(served.body)
                extra = f"ETag: {served.etag}\r\n" if served.etag else ""
                writer.write(
                    f"HTTP/1.1 {served.status} X\r\nContent-Type: {served.content_type}\r\n{extra}Content-Length: {length}\r\nConnection: close\r\n\r\n".encode()
                )
                if served.size is None:
                    writer.write(served.body)
                else:
                    chunk = b"x" * 65536
                    sent = 0
                    while sent < served.size:
                        piece = chunk[: served.size - sent]
                        writer.write(piece)
                        sent += len(piece)
                        await writer.drain()
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                writer.close()

    def start(self) -> ListServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self.port)
            )
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def cancel_handlers() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_handlers(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

"""A small real HTTP server that serves documents for subscription tests: set a route to a
body, content type and status, optionally an ETag (answered with 304), a delay, a redirect
or a body of any size streamed in chunks."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.support.loopback_server import LoopbackServer


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
class ListServer(LoopbackServer):
    routes: dict[str, Served] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

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

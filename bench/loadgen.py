"""A minimal HTTP/1.1 keep-alive client for driving benchmarks.

The benchmarks measure the server, so the load generator must cost far less than what it
measures. httpx spends 1–3 ms of client CPU per request on this kind of machine (more with many
requests in flight on one pool), which is the same order as the server work being timed; this
client writes each request in one call and reads the response with Content-Length or chunked
framing, nothing more. It is only for loopback benchmarks against servers we start ourselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive connection; requests on it are sequential."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = parts.netloc
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        params: dict[str, str] | None = None,
    ) -> Reply:
        assert self._reader is not None and self._writer is not None, "use 'async with'"
        target = f"{path}?{urlencode(params)}" if params else path
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.authority}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return await self._read_reply()

    async def _read_reply(self) -> Reply:
        assert self._reader is not None
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self._reader.readexactly(int(headers.get("content-length", "0")))
        return Reply(status, headers, body)

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        chunks = []
        while True:
            size = int((await self._reader.readline()).split(b";")[0], 16)
            if size == 0:
                while (await self._reader.readline()) not in (b"\r\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readline()


async def wait_until_serving(base_url: str, path: str, tries: int = 100) -> None:
    """Poll until a server started in another process answers on path."""
    for _ in range(tries):
        try:
            async with Connection(base_url) as conn:
                await conn.request("GET", path)
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base_url} did not start")

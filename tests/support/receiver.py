"""A tiny real HTTP server that plays remote inboxes: it records what it receives and can
answer 202, fail with 500/403, answer slowly, or never answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from tests.support.loopback_server import LoopbackServer


@dataclass
class Received:
    path: str
    activity_id: str | None
    signature_header: str | None


@dataclass
class InboxReceiver(LoopbackServer):
    """Behaviour by path prefix: {"/ok": "ok", "/fail": 500, "/slow": "slow", "/hang": "hang"}."""

    behaviours: dict[str, object] = field(default_factory=dict)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    backlog = 1024

    def _behaviour(self, path: str) -> object:
        for prefix, behaviour in self.behaviours.items():
            if path.startswith(prefix):
                return behaviour
        return "ok"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until the client closes it (keep-alive, like a
        real inbox)."""
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        request_line = (await reader.readline()).decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "POST":
            return False  # closed, or cut before its request (a killed sender): nothing received
        path = parts[1]
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        behaviour = self._behaviour(path)
        if behaviour == "hang":
            await asyncio.sleep(3600)
        if behaviour == "slow":
            await asyncio.sleep(5)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = behaviour if isinstance(behaviour, int) else 202
        if status == 202:
            try:
                activity_id = json.loads(body).get("id")
            except ValueError:
                activity_id = None
            with self._lock:
                self.received.append(
                    Received(
                        path,
                        activity_id,
                        headers.get("signature") or headers.get("signature-input"),
                    )
                )
        reason = {
            202: "Accepted",
            500: "Internal Server Error",
            403: "Forbidden",
            401: "Unauthorized",
        }.get(status, "Status")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    def unique_deliveries(self) -> Counter[tuple[str, str | None]]:
        with self._lock:
            return Counter((r.path, r.activity_id) for r in self.received)

"""Cross-process events on PostgreSQL: NOTIFY out, LISTEN in, no Redis.

Every process that emits events (web processes and `fedianon worker`) runs a Publisher:
each event becomes `NOTIFY fedianon_events, '<json>'`, sent in order through the ORM's
pool after the emitting transaction committed. Every web process runs a Listener on its
own asyncpg connection (reconnecting with backoff, checked every few seconds) and hands
what arrives to its hub. A process hears its own NOTIFYs too, which is how it delivers to
its own readers: nothing is dispatched twice.

Payloads carry ids only. PostgreSQL refuses payloads of 8000 bytes or more, so an event
whose id lists would not fit is sent without them and marked `truncated`; the hub then
looks the holders up (or, for deletes, tells every reader: a stray id is harmless).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from fedianon.db import connection
from fedianon.services.events import Event

log = logging.getLogger("fedianon.streaming.postgres")

CHANNEL = "fedianon_events"
MAX_PAYLOAD = 7900  # bytes; PostgreSQL's limit is 8000
BACKLOG = 10_000
HEALTH_INTERVAL = 10.0  # seconds between liveness checks of the LISTEN connection
CONNECT_TIMEOUT = 10.0


def encode(event: Event) -> str:
    body: dict[str, Any] = {"kind": event.kind, "data": event.data}
    text = json.dumps(body, separators=(",", ":"))
    if len(text.encode()) <= MAX_PAYLOAD:
        return text
    slim = {k: v for k, v in event.data.items() if not isinstance(v, list | dict)}
    slim["truncated"] = True
    return json.dumps({"kind": event.kind, "data": slim}, separators=(",", ":"))


def decode(text: str) -> Event | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        return None
    data = body.get("data")
    return Event(body["kind"], data if isinstance(data, dict) else {})


class Publisher:
    """Sends this process's events as NOTIFY, in emission order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=BACKLOG)
        self._task: asyncio.Task[None] | None = None

    def publish(self, event: Event) -> None:
        """The event-bus subscriber: never blocks the request that emitted."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("NOTIFY backlog full; dropped a %s event", event.kind)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fedianon-notify")

    async def stop(self, drain_seconds: float = 2.0) -> None:
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), drain_seconds)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._send(encode(event))
            finally:
                self._queue.task_done()

    @staticmethod
    async def _send(payload: str) -> None:
        for attempt in range(3):
            try:
                await connection().execute_query("SELECT pg_notify($1, $2)", [CHANNEL, payload])
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the pool reconnects; try again shortly
                log.warning("NOTIFY failed (%s), attempt %d", exc.__class__.__name__, attempt + 1)
                await asyncio.sleep(0.2 * (attempt + 1))
        log.error("NOTIFY gave up; streaming clients miss one event")


class Listener:
    """LISTENs on a dedicated connection and hands each event to `deliver`."""

    def __init__(self, dsn: str, deliver: Callable[[Event], None]) -> None:
        self.dsn = dsn
        self.deliver = deliver
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, wait_seconds: float = 10.0) -> None:
        """Start listening; waits (a little) for the first connection, so a process that
        answers requests already hears events."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fedianon-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), wait_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        event = decode(payload)
        if event is None:
            log.warning("ignored a malformed %s notification", CHANNEL)
            return
        try:
            self.deliver(event)
        except Exception:
            log.exception("delivering a %s event failed", event.kind)

    async def _run(self) -> None:
        failures = 0
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self.connected.set()
                if failures:
                    log.info("LISTEN %s restored", CHANNEL)
                failures = 0
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), HEALTH_INTERVAL)
                    if not lost.is_set():
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), CONNECT_TIMEOUT)
                raise ConnectionError("the LISTEN connection closed")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("LISTEN %s lost (%s); reconnecting", CHANNEL, exc.__class__.__name__)
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))

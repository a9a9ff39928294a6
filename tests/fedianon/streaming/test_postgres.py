"""NOTIFY/LISTEN on a real PostgreSQL: events arrive, in order, and the listener comes back
after its connection is killed (PostgreSQL only)."""

from __future__ import annotations

import asyncio

import pytest

from fedianon.db import connection
from fedianon.services.events import Event
from fedianon.streaming.postgres import Listener, Publisher
from tests.support.databases import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")


async def _wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


async def test_events_cross_and_the_listener_reconnects(db: str) -> None:
    received: list[Event] = []
    listener = Listener(db, received.append)
    publisher = Publisher()
    await listener.start()
    await publisher.start()
    try:
        assert listener.connected.is_set()
        for n in range(5):
            publisher.publish(Event("filters.changed", {"account_id": n}))
        await _wait_for(lambda: len(received) == 5)
        assert [e.data["account_id"] for e in received] == [0, 1, 2, 3, 4]

        # Kill the LISTEN session, as a database restart or a network cut would.
        killed = await connection().execute_query_dict(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE 'LISTEN%'"
        )
        assert killed and all(row["done"] for row in killed)
        await _wait_for(lambda: not listener.connected.is_set())
        await _wait_for(listener.connected.is_set)
        publisher.publish(Event("filters.changed", {"account_id": 99}))
        await _wait_for(lambda: len(received) == 6)
        assert received[-1].data == {"account_id": 99}
    finally:
        await publisher.stop()
        await listener.stop()

"""The PostgreSQL pool skips asyncpg's session reset (one round trip per query saved); what a
pooled connection must never carry over to its next user still does not."""

from __future__ import annotations

import pytest

from fedianon.db import connection, is_postgres


@pytest.fixture
async def pool(db: str):  # type: ignore[no-untyped-def]
    if not is_postgres():
        pytest.skip("the connection pool is PostgreSQL's")
    await connection().execute_query("SELECT 1")  # the pool opens lazily
    return connection()._pool  # type: ignore[attr-defined]


async def test_a_connection_released_inside_a_transaction_is_rolled_back(pool) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE left_open (x int)")
        assert conn.is_in_transaction()
        backend = await conn.fetchval("SELECT pg_backend_pid()")
    reused = False
    for _ in range(pool.get_max_size() + 1):
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            if await conn.fetchval("SELECT pg_backend_pid()") == backend:
                reused = True
                assert await conn.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
    assert reused


async def test_the_pool_does_not_reset_sessions_with_an_extra_query(pool) -> None:  # type: ignore[no-untyped-def]
    from fedianon.db import _keep_session

    assert pool._reset is _keep_session

"""PostgreSQL helpers for benchmarks: a fresh database per run, dropped afterwards."""

from __future__ import annotations

import os
import secrets

import asyncpg

PG_URL = os.environ.get("FEDIANON_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


async def create_database(label: str) -> str:
    name = f"fedianon_bench_{label}_{secrets.token_hex(3)}"
    conn = await asyncpg.connect(f"{PG_URL}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{PG_URL}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(f"{PG_URL}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]

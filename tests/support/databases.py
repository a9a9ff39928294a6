"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per use, dropped after.

FEDIANON_TEST_DB chooses the engine (sqlite by default, or postgres); FEDIANON_TEST_PG_URL
points at the server (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import asyncpg

ENGINE = os.environ.get("FEDIANON_TEST_DB", "sqlite")
PG_URL = os.environ.get("FEDIANON_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432")


async def create_database(tmp: Path, label: str = "t") -> str:
    """A URL for a new, empty database of the configured engine."""
    if ENGINE == "postgres":
        name = f"fedianon_test_{label}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(f"{PG_URL}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return f"{PG_URL}/{name}"
    path = tmp / f"{label}-{secrets.token_hex(4)}.sqlite3"
    return f"sqlite://{path}"


async def drop_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(f"{PG_URL}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def dump_database(url: str) -> str:
    """Every row of every table as text (for the privacy tests)."""
    chunks: list[str] = []
    if url.startswith("postgres"):
        conn = await asyncpg.connect(url)
        try:
            tables = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            for table in tables:
                rows = await conn.fetch(f'SELECT * FROM "{table}"')
                chunks.append(f"== {table}\n" + "\n".join(repr(dict(row)) for row in rows))
        finally:
            await conn.close()
    else:
        import sqlite3

        path = url[len("sqlite://") :]
        with sqlite3.connect(path) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
                chunks.append(f"== {table}\n" + "\n".join(repr(row) for row in rows))
        # The WAL and any other file next to it count too.
        for sibling in Path(path).parent.glob(Path(path).name + "*"):
            chunks.append(sibling.read_bytes().decode("latin-1"))
    return "\n".join(chunks)

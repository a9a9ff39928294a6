"""Every migration applies to a database that already has data, not only to an empty one.

A test database is always migrated from nothing, so a migration that adds a NOT NULL column
without a database default passes every other test and then fails on the first real upgrade
(it did, once). Here each migration is applied to a database migrated up to the one before it,
with a row in every table (foreign keys off while they are written), and must succeed.
Migrations run in a subprocess: they set up and close Tortoise's global connections, which the
rest of the session uses."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.support.databases import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(p.stem for p in (ROOT / "migrations").glob("0*.py"))
MIGRATE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from fedianon.db import tortoise_config
from fedianon.settings import parse_database_url
async def main():
    try:
        await migrate(config=tortoise_config(parse_database_url(sys.argv[1])), target=sys.argv[2])
    finally:
        await Tortoise.close_connections()
asyncio.run(main())
"""


def _migrate(url: str, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE, url, f"models.{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{name} failed over existing rows:\n{done.stderr[-3000:]}"


def _dummy(kind: str, n: int) -> object:
    """A value of the column's type for a row that only has to exist."""
    kind = kind.lower()
    if "bool" in kind:
        return False
    if "int" in kind or "serial" in kind:
        return n
    if any(t in kind for t in ("double", "real", "numeric", "decimal", "float")):
        return 0.5
    if "timestamp" in kind or "date" in kind:
        return "2026-01-01 00:00:00+00:00"
    if "json" in kind:
        return "[]"
    return f"x{n}"


async def _fill_postgres(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET session_replication_role = replica")  # no FK checks
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'tortoise_migrations'"
            )
        ]
        for table in tables:
            columns = await conn.fetch(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = $1 AND is_nullable = 'NO' AND column_default IS NULL",
                table,
            )
            names = ", ".join(f'"{c["column_name"]}"' for c in columns)
            marks = ", ".join(
                f"${i + 1}::{'jsonb' if 'json' in c['data_type'] else c['data_type']}"
                for i, c in enumerate(columns)
            )
            values = [_pg_value(c["data_type"], n) for n, c in enumerate(columns, start=1)]
            await conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', *values)
        return tables
    finally:
        await conn.close()


def _pg_value(kind: str, n: int) -> object:
    from datetime import UTC, datetime

    value = _dummy(kind, n)
    if "timestamp" in kind or "date" in kind:
        return datetime(2026, 1, 1, tzinfo=UTC)
    return value


def _fill_sqlite(url: str) -> list[str]:
    conn = sqlite3.connect(url.removeprefix("sqlite://"))
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> 'tortoise_migrations'"
            )
        ]
        for table in tables:
            columns = [
                (name, kind)
                for _cid, name, kind, notnull, default, _pk in conn.execute(
                    f'PRAGMA table_info("{table}")'
                )
                if notnull and default is None
            ]
            names = ", ".join(f'"{name}"' for name, _ in columns)
            marks = ", ".join("?" for _ in columns)
            values = [_dummy(kind, n) for n, (_, kind) in enumerate(columns, start=1)]
            conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)
        conn.commit()
        return tables
    finally:
        conn.close()


@pytest.mark.parametrize(("previous", "following"), list(itertools.pairwise(MIGRATIONS)))
async def test_each_migration_applies_over_existing_rows(
    tmp_path: Path, previous: str, following: str
) -> None:
    url = await create_database(tmp_path, "upgrade")
    try:
        _migrate(url, previous)
        filled = await _fill_postgres(url) if url.startswith("postgres") else _fill_sqlite(url)
        assert "accounts" in filled and "statuses" in filled
        _migrate(url, following)
    finally:
        await drop_database(url)

"""Database: Tortoise configuration, start-up and shut-down, migrations, dialect helpers."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from fedianon.models import MODEL_MODULES
from fedianon.settings import DatabaseConfig

log = logging.getLogger("fedianon.db")


POOL_SIZE = 20  # PostgreSQL connections per process; Tortoise's default of 5 starves the worker


def _connection_url(database: DatabaseConfig) -> str:
    if database.engine != "postgres" or "maxsize=" in database.url:
        return database.url
    return database.url + ("&" if "?" in database.url else "?") + f"maxsize={POOL_SIZE}"


def tortoise_config(database: DatabaseConfig) -> dict[str, Any]:
    return {
        "connections": {"default": _connection_url(database)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session(connection: object) -> None:
    """Pool reset that skips asyncpg's default `RESET ALL; UNLISTEN *; CLOSE ALL; ...`, a
    round trip after every query (Tortoise takes a pool connection per query). asyncpg still
    rolls back an open transaction first. Safe because nothing here changes session state on a
    pooled connection: no SET, no LISTEN (streaming has its own connection), no cursors, no
    advisory locks."""


def _runtime_config(database: DatabaseConfig) -> dict[str, Any]:
    config = tortoise_config(database)
    if database.engine == "postgres":
        from tortoise.backends.base.config_generator import expand_db_url

        expanded = expand_db_url(config["connections"]["default"])
        expanded["credentials"]["reset"] = _keep_session
        config["connections"]["default"] = expanded
    return config


async def init_db(database: DatabaseConfig) -> None:
    """Open connections. `_enable_global_fallback` makes them visible to every request task."""
    if database.sqlite_path is not None:
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    await Tortoise.init(config=_runtime_config(database), _enable_global_fallback=True)
    if database.engine == "sqlite":
        conn = connections.get("default")
        await conn.execute_script(
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
        )


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(database: DatabaseConfig) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    from tortoise.migrations.api import migrate as run_migrations

    if database.sqlite_path is not None:
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    await run_migrations(config=tortoise_config(database), progress=progress)
    await Tortoise.close_connections()
    return applied


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def is_postgres() -> bool:
    return connection().capabilities.dialect == "postgres"


_MARKER = re.compile(r"\{p(\d+)\}")


async def fetch_rows(sql: str, values: list[object]) -> list[dict[str, Any]]:
    """Run a read-only raw query written with `{p1}`, `{p2}`… markers on either engine.

    A marker may repeat: PostgreSQL reuses `$1`; SQLite gets one `?` per occurrence.
    """
    if is_postgres():
        return await connection().execute_query_dict(
            _MARKER.sub(lambda m: f"${m.group(1)}", sql), values
        )
    ordered = [values[int(m.group(1)) - 1] for m in _MARKER.finditer(sql)]
    return await connection().execute_query_dict(_MARKER.sub("?", sql), ordered)


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[BaseDBAsyncClient]:
    async with in_transaction("default") as conn:
        yield conn


_after_commit: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "fedianon_after_commit", default=None
)


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction whose `on_commit` callbacks run only once it committed.

    Nested uses become savepoints; their callbacks wait for the outermost commit.
    """
    if _after_commit.get() is not None:
        async with in_transaction("default") as conn:
            yield conn
        return
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    try:
        async with in_transaction("default") as conn:
            yield conn
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        callback()


def on_commit(callback: Callable[[], None]) -> None:
    """Run `callback` after the current `atomic()` block commits (at once outside one)."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


_COLUMNS: dict[tuple[type[Any], str], tuple[tuple[str, str], ...]] = {}


def _column_keys(model: type[Any], alias: str) -> tuple[tuple[str, str], ...]:
    keys = _COLUMNS.get((model, alias))
    if keys is None:
        keys = tuple((column, f"{alias}__{column}") for column in sorted(model._meta.db_fields))
        _COLUMNS[(model, alias)] = keys
    return keys


def select_columns(model: type[Any], alias: str) -> str:
    """`alias."col" AS "alias__col", …` for every column of `model`, for hand-written joins."""
    return ", ".join(f'{alias}."{column}" AS "{key}"' for column, key in _column_keys(model, alias))


def hydrate(model: type[Any], row: dict[str, Any], alias: str) -> Any:
    """A model instance from the `alias__col` columns of a joined row (None for a NULL join)."""
    if row.get(f"{alias}__{model._meta.db_pk_column}") is None:
        return None
    return model._init_from_db(**{column: row[key] for column, key in _column_keys(model, alias)})

"""Shared fixtures: one migrated database per test session (SQLite or PostgreSQL, chosen by
FEDIANON_TEST_DB), emptied after every test, plus settings and an in-process API client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fedianon.db import close_db, connection, init_db, is_postgres, migrate
from fedianon.settings import Settings, parse_database_url
from tests.support.databases import ENGINE, create_database, drop_database

TEST_SECRET = "test-secret-key-" + "x" * 40
TEST_PEPPER = "test-email-pepper-" + "y" * 40


def pytest_report_header(config: pytest.Config) -> str:
    return f"fedianon test database engine: {ENGINE}"


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    url = await create_database(tmp_path_factory.mktemp("db"), "unit")
    config = parse_database_url(url)
    await migrate(config)
    await init_db(config)
    yield url
    await close_db()
    await drop_database(url)


async def _empty_all_tables() -> None:
    conn = connection()
    if is_postgres():
        rows = await conn.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        names = ", ".join(f'"{r["tablename"]}"' for r in rows)
        if names:
            await conn.execute_script(f"TRUNCATE {names} CASCADE")
    else:
        rows = await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> 'tortoise_migrations'"
        )
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f'DELETE FROM "{r["name"]}";' for r in rows)
            + "PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """A migrated, empty database for this test."""
    yield database_url
    await _empty_all_tables()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        domain="campus.test",
        scheme="https",
        database=parse_database_url(database_url),
        data_dir=tmp_path,
        campus_domains=("campus.test", "*.uni.test"),
        secret_key=TEST_SECRET,
        email_pepper=TEST_PEPPER,
        workers=0,
    )


@pytest.fixture
async def app(settings: Settings, db: str):  # type: ignore[no-untyped-def]
    from fedianon.activitypub.setup import start_federation, stop_federation
    from fedianon.app import create_app
    from fedianon.jobs.setup import register_all

    application = create_app(settings, start_worker=False)
    register_all()
    await start_federation(application.state.ctx)
    yield application
    await stop_federation(application.state.ctx)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """An HTTP client talking to the app in-process (the database is already open)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://campus.test") as http:
        yield http


@pytest.fixture
def captured_mail(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Replaces SMTP: (address, subject, body) of every mail sent."""
    sent: list[tuple[str, str, str]] = []

    async def fake_send(settings, to, mail):  # type: ignore[no-untyped-def]
        sent.append((to.value, mail.subject, mail.body))

    monkeypatch.setattr("fedianon.services.signup.send_mail", fake_send)
    return sent


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.getLogger("fedianon.access").setLevel(logging.WARNING)

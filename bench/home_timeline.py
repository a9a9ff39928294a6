"""Home timeline latency at 10k, 100k and 1M statuses on PostgreSQL.

Measured through HTTP (a real `fedianon serve`, limit 20, pages at random depths of the
reader's feed, one request at a time from bench.loadgen so the client's cost stays out of the
figure), next to floors taken in the same run on the same database:
  raw SQL      one query for the same page (feed entries ⨝ statuses ⨝ accounts), asyncpg
  HTTP + SQL   that query served as JSON by a bare Starlette app under uvicorn
Goal (issue 4): p99 <= 2x raw SQL and flat from 10k to 1M.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import loadgen
from bench.pg import create_database, drop_database, percentile
from bench.report import Figure
from tests.support.oauth import obtain_token
from tests.support.servers import Instance
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(s) for s in os.environ.get("FEDIANON_BENCH_SIZES", "10000,100000,1000000").split(",")]
AUTHORS = 1000
FOLLOWED = 100
REQUESTS = int(os.environ.get("FEDIANON_BENCH_REQUESTS", "300"))
PAGE_SQL = """
SELECT s.id, s.uri, s.url, s.content, s.spoiler_text, s.visibility, s.sensitive, s.language, s.created_at,
       s.replies_count, s.reblogs_count, s.favourites_count, s.in_reply_to_id, s.reblog_of_id,
       a.id AS account_id, a.username, a.acct_key, a.display_name, a.note, a.url AS account_url, a.avatar_remote_url,
       a.followers_count, a.following_count, a.statuses_count, a.created_at AS account_created_at
FROM (SELECT status_id FROM home_feed_entries WHERE account_id = $1 AND status_id < $2
      ORDER BY status_id DESC LIMIT 20) h
JOIN statuses s ON s.id = h.status_id
JOIN accounts a ON a.id = s.account_id
ORDER BY h.status_id DESC
"""
BARE_APP = """
import asyncpg, json, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
URL, PORT, READER = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SQL = open(sys.argv[4]).read()
pool = None
async def page(request):
    global pool
    if pool is None:
        pool = await asyncpg.create_pool(URL, min_size=1, max_size=4)
    rows = await pool.fetch(SQL, READER, int(request.query_params["max_id"]))
    return Response(json.dumps([{k: (str(v) if not isinstance(v, (int, bool, type(None))) else v) for k, v in r.items()} for r in rows]), media_type="application/json")
uvicorn.run(Starlette(routes=[Route("/page", page)]), host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""


async def _seed_accounts(conn: asyncpg.Connection, reader_id: int) -> list[int]:
    now = datetime.now(UTC)
    base = int(now.timestamp() * 1000) << 16
    authors = [base + 1000 + i for i in range(AUTHORS)]
    await conn.executemany(
        """INSERT INTO accounts (id, username, domain, acct_key, uri, url, actor_type, display_name, note, note_source, fields_json,
           locked, bot, "group", discoverable, indexable, hide_collections, role, session_version, default_visibility, default_sensitive,
           statuses_count, followers_count, following_count, created_at, updated_at)
           VALUES ($1, $2, 'bench.example', $3, $4, $4, 'Person', $2, '<p>bench author</p>', '', '[]', false, false, false, true, false, false,
           'user', 0, 'public', false, 0, 0, 0, $5, $5)""",
        [
            (
                aid,
                f"author{i}",
                f"author{i}@bench.example",
                f"https://bench.example/users/author{i}",
                now,
            )
            for i, aid in enumerate(authors)
        ],
    )
    await conn.executemany(
        "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, notify, created_at) VALUES ($1, $2, $3, true, false, $4)",
        [(base + 5000 + i, reader_id, authors[i], now) for i in range(FOLLOWED)],
    )
    return authors


async def _seed_statuses(
    conn: asyncpg.Connection, reader_id: int, authors: list[int], start: int, count: int
) -> None:
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    followed = set(authors[:FOLLOWED])
    statuses, feed = [], []
    rng = random.Random(start)
    for n in range(start, start + count):
        created = origin + timedelta(seconds=n)
        sid = (int(created.timestamp() * 1000) << 16) | (n & 0xFFFF)
        author = authors[rng.randrange(len(authors))]
        uri = f"https://bench.example/statuses/{n}"
        statuses.append(
            (
                sid,
                uri,
                uri,
                False,
                f"<p>status number {n} with a little text</p>",
                "",
                "",
                "public",
                False,
                "en",
                False,
                False,
                0,
                0,
                0,
                created,
                created,
                author,
            )
        )
        if author in followed:
            feed.append((sid + 1, created, reader_id, sid))
    await conn.copy_records_to_table(
        "statuses",
        records=statuses,
        columns=[
            "id",
            "uri",
            "url",
            "local",
            "content",
            "text",
            "spoiler_text",
            "visibility",
            "sensitive",
            "language",
            "reply_to_other",
            "has_media",
            "replies_count",
            "reblogs_count",
            "favourites_count",
            "created_at",
            "updated_at",
            "account_id",
        ],
    )
    await conn.copy_records_to_table(
        "home_feed_entries", records=feed, columns=["id", "created_at", "account_id", "status_id"]
    )
    await conn.execute("ANALYZE")


async def _time_http(
    base_url: str, path: str, params: list[dict[str, str]], headers: dict[str, str]
) -> list[float]:
    """Milliseconds per GET, one keep-alive connection, requests one after another."""
    async with loadgen.Connection(base_url) as conn:
        for p in params[:20]:
            reply = await conn.request("GET", path, headers, params=p)
            assert reply.status == 200, reply.body[:300]
        timings = []
        for p in params:
            started = time.perf_counter()
            reply = await conn.request("GET", path, headers, params=p)
            timings.append((time.perf_counter() - started) * 1000)
            assert reply.status == 200, reply.body[:300]
    return timings


async def _time_sql(conn: asyncpg.Connection, reader_id: int, max_ids: list[int]) -> list[float]:
    for max_id in max_ids[:20]:
        await conn.fetch(PAGE_SQL, reader_id, max_id)
    timings = []
    for max_id in max_ids:
        started = time.perf_counter()
        rows = await conn.fetch(PAGE_SQL, reader_id, max_id)
        timings.append((time.perf_counter() - started) * 1000)
        assert rows
    return timings


async def run() -> list[Figure]:
    url = await create_database("home")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Instance(
            Path(tmp),
            label="bench-home",
            env={"FEDIANON_WORKERS": "0", "FEDIANON_API_RATE_LIMIT": "1000000"},
        )
        server.database_url = url
        bare = None
        try:
            await server.start()
            server.cli(
                "accounts", "create", "reader", "--password-stdin", stdin="a long enough password\n"
            )
            grant = await obtain_token(server.base_url, "reader", "a long enough password")
            headers = {"Authorization": f"Bearer {grant.access_token}"}
            conn = await asyncpg.connect(url)
            reader_id = await conn.fetchval("SELECT id FROM accounts WHERE acct_key = 'reader'")
            authors = await _seed_accounts(conn, reader_id)
            sql_file = Path(tmp) / "page.sql"
            sql_file.write_text(PAGE_SQL)
            bare_port = free_port()
            bare = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    BARE_APP,
                    url,
                    str(bare_port),
                    str(reader_id),
                    str(sql_file),
                ],
                cwd=ROOT,
            )
            seeded = 0
            bare_url = f"http://127.0.0.1:{bare_port}"
            for size in SIZES:
                await _seed_statuses(conn, reader_id, authors, seeded, size - seeded)
                seeded = size
                feed = [
                    r["status_id"]
                    for r in await conn.fetch(
                        "SELECT status_id FROM home_feed_entries WHERE account_id = $1 ORDER BY status_id DESC",
                        reader_id,
                    )
                ]
                rng = random.Random(size)
                max_ids = [feed[rng.randrange(0, max(1, len(feed) // 2))] for _ in range(REQUESTS)]
                params = [{"limit": "20", "max_id": str(m)} for m in max_ids]
                await loadgen.wait_until_serving(bare_url, f"/page?max_id={max_ids[0]}")
                api_ms = await _time_http(
                    server.base_url, "/api/v1/timelines/home", params, headers
                )
                sql_ms = await _time_sql(conn, reader_id, max_ids)
                bare_ms = await _time_http(
                    bare_url, "/page", [{"max_id": str(m)} for m in max_ids], {}
                )
                label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"
                async with loadgen.Connection(server.base_url) as page:
                    reply = await page.request(
                        "GET", "/api/v1/timelines/home", headers, params=params[0]
                    )
                sample = json.loads(reply.body)
                assert len(sample) == 20, json.dumps(sample)[:200]
                for name, fraction in (("p50", 0.5), ("p99", 0.99)):
                    value = percentile(api_ms, fraction)
                    figures.append(
                        Figure(
                            f"home timeline {name} @{label} vs raw SQL",
                            value,
                            percentile(sql_ms, fraction),
                            "ms",
                            "goal: p99 <= 2x, flat",
                        )
                    )
                    figures.append(
                        Figure(
                            f"home timeline {name} @{label} vs HTTP+raw SQL",
                            value,
                            percentile(bare_ms, fraction),
                            "ms",
                            "",
                        )
                    )
            await conn.close()
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(timeout=10)
            server.stop()
            await drop_database(url)
    return figures

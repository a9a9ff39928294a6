"""Inbox throughput: signed Create(Note) activities accepted (202) and stored (the Note in the
database) per second by one `fedianon serve` process on PostgreSQL, against floors measured in
the same run:
  floor        RSA-2048 verify + SHA-256 of the body + JSON parse + one raw INSERT per
               activity, in process (the issue's floor; goal (issue 6): ratio <= 3)
  HTTP floor   the same work behind HTTP: a bare Starlette app under uvicorn, one process,
               driven by the same client with the same concurrency
The load generator is bench.loadgen (a bare keep-alive client), so the client's own cost does
not count against the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bench import loadgen
from bench.pg import create_database, drop_database
from bench.report import Figure
from federation.activitystreams import PUBLIC
from federation.signatures import cavage, sign
from federation.signatures.keys import generate_rsa_keypair
from tests.support.servers import ROOT, Instance
from tests.support.smtp import free_port

COUNT = int(os.environ.get("FEDIANON_BENCH_INBOX_COUNT", "600"))
CONCURRENCY = 16
BARE_INBOX = """
import hashlib, json, sys, asyncpg, uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from federation.signatures import cavage
URL, PORT = sys.argv[1], int(sys.argv[2])
KEY = serialization.load_pem_public_key(open(sys.argv[3], "rb").read())
pool = None
async def inbox(request):
    global pool
    if pool is None:
        pool = await asyncpg.create_pool(URL, min_size=1, max_size=16)
    body = await request.body()
    if request.method == "GET":
        return Response("ready")
    parsed = cavage.parse_signature_header(request.headers["signature"])
    signing_string = cavage.build_signing_string(parsed, "POST", "/inbox", dict(request.headers))
    KEY.verify(parsed.signature, signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    hashlib.sha256(body).digest()
    document = json.loads(body)
    await pool.execute("INSERT INTO bench_floor (uri, body) VALUES ($1, $2)", document["object"]["id"], body.decode())
    return Response(status_code=202)
uvicorn.run(Starlette(routes=[Route("/inbox", inbox, methods=["GET", "POST"])]), host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""


def _activities(actor: str, private_pem: str, url: str) -> list[tuple[bytes, dict[str, str]]]:
    prepared = []
    for n in range(COUNT):
        note = f"https://bench.example/notes/{n}"
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note}/activity",
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "object": {
                "id": note,
                "type": "Note",
                "attributedTo": actor,
                "content": f"<p>benchmark note {n}</p>",
                "to": [PUBLIC],
                "published": "2026-11-27T10:00:00Z",
            },
        }
        body = json.dumps(document).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign("cavage", "POST", url, headers, body, f"{actor}#main-key", private_pem))
        prepared.append((body, headers))
    return prepared


async def _floor(url: str, prepared: list[tuple[bytes, dict[str, str]]], public_pem: str) -> float:
    """Seconds per activity for verify + digest + parse + one INSERT, sequentially."""
    key = serialization.load_pem_public_key(public_pem.encode())
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    for body, headers in prepared:
        parsed = cavage.parse_signature_header(headers["Signature"])
        signing_string = cavage.build_signing_string(
            parsed, "POST", "/inbox", {k.lower(): v for k, v in headers.items()}
        )
        key.verify(  # type: ignore[union-attr, call-arg]
            parsed.signature,
            signing_string.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        hashlib.sha256(body).digest()
        document = json.loads(body)
        await conn.execute(
            "INSERT INTO bench_floor (uri, body) VALUES ($1, $2)",
            document["object"]["id"],
            body.decode(),
        )
    elapsed = time.perf_counter() - started
    await conn.close()
    return elapsed / len(prepared)


async def _post_all(base_url: str, prepared: list[tuple[bytes, dict[str, str]]]) -> float:
    """Seconds to POST every activity to /inbox over CONCURRENCY keep-alive connections; each
    must be answered 202."""

    async def one_connection(share: list[tuple[bytes, dict[str, str]]]) -> None:
        async with loadgen.Connection(base_url) as conn:
            for body, headers in share:
                reply = await conn.request("POST", "/inbox", headers, body)
                assert reply.status == 202, (reply.status, reply.body[:300])

    started = time.perf_counter()
    await asyncio.gather(*(one_connection(prepared[n::CONCURRENCY]) for n in range(CONCURRENCY)))
    return time.perf_counter() - started


async def _http_floor(
    url: str, tmp: Path, actor: str, private_pem: str, public_key_file: Path
) -> float:
    """Seconds per activity for the floor's work served by a bare Starlette app."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prepared = _activities(actor, private_pem, f"{base_url}/inbox")
    bare = subprocess.Popen(
        [sys.executable, "-c", BARE_INBOX, url, str(port), str(public_key_file)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await loadgen.wait_until_serving(base_url, "/inbox")
        await _post_all(base_url, prepared[:50])  # warm the pool and the code paths
        return await _post_all(base_url, prepared) / len(prepared)
    finally:
        bare.terminate()
        bare.wait(timeout=10)


async def run() -> list[Figure]:
    url = await create_database("inbox")
    with tempfile.TemporaryDirectory() as tmp:
        server = Instance(Path(tmp), label="bench-inbox", env={"FEDIANON_WORKERS": "1"})
        server.database_url = url
        try:
            await server.start()
            private_pem, public_pem = generate_rsa_keypair()
            (Path(tmp) / "key.pem").write_text(public_pem)
            actor = "https://bench.example/users/poster"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.support.seed",
                    "remote-actor",
                    actor,
                    str(Path(tmp) / "key.pem"),
                ],
                env={**server.env(), "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            prepared = _activities(actor, private_pem, f"{server.base_url}/inbox")
            conn = await asyncpg.connect(url)
            started = time.perf_counter()
            accepted = await _post_all(server.base_url, prepared)
            while await conn.fetchval("SELECT count(*) FROM statuses WHERE local = false") < COUNT:
                await asyncio.sleep(0.02)
            stored = time.perf_counter() - started
            await conn.execute(
                "CREATE TABLE bench_floor (id bigserial primary key, uri text, body jsonb)"
            )
            await conn.close()
            server.stop()
            floor = await _floor(url, prepared, public_pem)
            http_floor = await _http_floor(
                url, Path(tmp), actor, private_pem, Path(tmp) / "key.pem"
            )
        finally:
            server.stop()
            await drop_database(url)
    per_accept, per_store = accepted / COUNT * 1000, stored / COUNT * 1000
    return [
        Figure(
            "inbox: ms per Create accepted (202)",
            per_accept,
            floor * 1000,
            "ms",
            f"= {COUNT / accepted:.0f}/s; goal ratio <= 3",
        ),
        Figure(
            "inbox: ms per Create stored (Note in DB)",
            per_store,
            floor * 1000,
            "ms",
            f"= {COUNT / stored:.0f}/s; goal ratio <= 3",
        ),
        Figure(
            "inbox: ms per Create accepted, vs HTTP floor",
            per_accept,
            http_floor * 1000,
            "ms",
            "floor = the same work behind a bare Starlette app",
        ),
    ]

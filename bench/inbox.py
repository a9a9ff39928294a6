"""Inbox throughput: signed Create(Note) activities accepted (202) and stored (the Note in the
database) per second by one `fedianon serve` process on PostgreSQL, against the floor of
RSA-2048 verify + SHA-256 of the body + JSON parse + one raw INSERT per activity, measured in
the same run. Goal (issue 6): ratio <= 3.
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
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bench.pg import create_database, drop_database
from bench.report import Figure
from federation.activitystreams import PUBLIC
from federation.signatures import cavage, sign
from federation.signatures.keys import generate_rsa_keypair
from tests.support.servers import ROOT, Instance

COUNT = int(os.environ.get("FEDIANON_BENCH_INBOX_COUNT", "600"))
CONCURRENCY = 16


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
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial primary key, uri text, body jsonb)"
    )
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
            inbox = f"{server.base_url}/inbox"
            prepared = _activities(actor, private_pem, inbox)
            conn = await asyncpg.connect(url)
            semaphore = asyncio.Semaphore(CONCURRENCY)
            async with httpx.AsyncClient(
                timeout=60, limits=httpx.Limits(max_connections=CONCURRENCY)
            ) as http:

                async def send(body: bytes, headers: dict[str, str]) -> int:
                    async with semaphore:
                        return (await http.post(inbox, content=body, headers=headers)).status_code

                started = time.perf_counter()
                codes = await asyncio.gather(*(send(b, h) for b, h in prepared))
                accepted = time.perf_counter() - started
                assert set(codes) == {202}, set(codes)
                while (
                    await conn.fetchval("SELECT count(*) FROM statuses WHERE local = false") < COUNT
                ):
                    await asyncio.sleep(0.02)
                stored = time.perf_counter() - started
            await conn.close()
            floor = await _floor(url, prepared, public_pem)
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
    ]

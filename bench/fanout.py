"""Fan-out: one status delivered to 1,000 distinct inboxes (a local receiver that only counts)
by one `fedianon serve` process with its in-process worker, on PostgreSQL, against floors
measured in the same run:
  signatures   1,000 RSA-2048 signatures (the issue's floor; goal (issue 6): ratio <= 2)
  transport    1,000 signed POSTs by httpx (the client DESIGN.md prescribes) from another
               process to the same receiver, 16 in flight like the server's per-host limit:
               no database, no queue, no activity rendering
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bench.pg import create_database, drop_database
from bench.report import Figure
from federation.signatures.keys import generate_rsa_keypair
from tests.support.oauth import obtain_token
from tests.support.receiver import InboxReceiver
from tests.support.servers import ROOT, Instance

INBOXES = int(os.environ.get("FEDIANON_BENCH_FANOUT_INBOXES", "1000"))
TRANSPORT = """
import asyncio, json, sys, time
import httpx
from federation.signatures import sign
from federation.signatures.keys import generate_rsa_keypair
BASE, COUNT = sys.argv[1], int(sys.argv[2])
private_pem, _ = generate_rsa_keypair()
body = json.dumps({"type": "Create", "object": {"type": "Note", "content": "x" * 300}}).encode()
async def main():
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=16)) as http:
        async def post(n):
            url = f"{BASE}/transport/{n}"
            headers = {"Content-Type": "application/activity+json"}
            async with gate:
                headers.update(sign("cavage", "POST", url, headers, body, "https://a.example/k", private_pem))
                (await http.post(url, content=body, headers=headers)).raise_for_status()
        started = time.perf_counter()
        await asyncio.gather(*(post(n) for n in range(COUNT)))
        print(time.perf_counter() - started)
asyncio.run(main())
"""


def _transport_floor(receiver: InboxReceiver) -> float:
    """Seconds for INBOXES signed httpx POSTs from a separate process, as the server sends."""
    done = subprocess.run(
        [sys.executable, "-c", TRANSPORT, receiver.url(""), str(INBOXES)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip())


def _signature_floor() -> float:
    private_pem, _ = generate_rsa_keypair()
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    started = time.perf_counter()
    for n in range(INBOXES):
        key.sign(
            f"(request-target): post /inbox/f{n}\nhost: 127.0.0.1\ndate: now\ndigest: x".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )  # type: ignore[union-attr, call-arg]
    return time.perf_counter() - started


async def run() -> list[Figure]:
    url = await create_database("fanout")
    receiver = InboxReceiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        server = Instance(
            Path(tmp),
            label="bench-fanout",
            env={"FEDIANON_WORKERS": os.environ.get("FEDIANON_BENCH_WORKERS", "4")},
        )
        server.database_url = url
        try:
            await server.start()
            server.cli(
                "accounts",
                "create",
                "speaker",
                "--password-stdin",
                stdin="a long enough password\n",
            )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.support.seed",
                    "remote-followers",
                    "speaker",
                    str(INBOXES),
                    receiver.url("/inbox"),
                ],
                env={**server.env(), "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            grant = await obtain_token(server.base_url, "speaker", "a long enough password")
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
                started = time.perf_counter()
                response = await http.post(
                    "/api/v1/statuses",
                    data={"status": "one post, a thousand inboxes"},
                    headers={"Authorization": f"Bearer {grant.access_token}"},
                )
                assert response.status_code == 200, response.text
                while len({r.path for r in receiver.received}) < INBOXES:
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started
        finally:
            server.stop()
            await drop_database(url)
        try:
            transport = await asyncio.to_thread(_transport_floor, receiver)
        finally:
            receiver.stop()
    floor = _signature_floor()
    return [
        Figure(
            f"fan-out: one status to {INBOXES} inboxes",
            elapsed,
            floor,
            "s",
            f"floor = {INBOXES} RSA-2048 signatures; goal ratio <= 2",
        ),
        Figure(
            f"fan-out: vs {INBOXES} signed httpx POSTs",
            elapsed,
            transport,
            "s",
            "floor = the transport alone, no DB or queue",
        ),
    ]

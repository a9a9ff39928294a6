"""Idle memory of `fedianon serve` on SQLite vs. a bare uvicorn + Starlette app (the floor).

Goal (DESIGN section 9): <= 100 MB RSS.
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

from bench.report import Figure
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
BARE_APP = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def ok(request): return JSONResponse({"ok": True})
uvicorn.run(Starlette(routes=[Route("/api/v1/instance", ok)]), host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning")
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _measure(command: list[str], env: dict[str, str], port: int) -> float:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/instance", timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        for _ in range(20):  # warm the common paths a little, then let it settle
            httpx.get(f"http://127.0.0.1:{port}/api/v1/instance", timeout=5)
        time.sleep(2)
        return _rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FEDIANON_DATA_DIR": tmp,
            "FEDIANON_DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3",
        }
        port = free_port()
        env["FEDIANON_DOMAIN"] = f"127.0.0.1:{port}"
        subprocess.run(
            [sys.executable, "-m", "fedianon.cli", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        value = await asyncio.to_thread(
            _measure,
            [sys.executable, "-m", "fedianon.cli", "serve", "--port", str(port)],
            env,
            port,
        )
        floor_port = free_port()
        floor = await asyncio.to_thread(
            _measure, [sys.executable, "-c", BARE_APP, str(floor_port)], env, floor_port
        )
    return [Figure("idle RSS of fedianon serve (SQLite)", value, floor, "MB", "goal: <= 100 MB")]

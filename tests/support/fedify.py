"""The Fedify peer (a real third-party ActivityPub server, Node.js): copied to a temporary
folder and started with its own run.sh, as its README says. Its control API lets a test make
it follow, post and reply, and read what it received."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "peers" / "fedify"
VENDORED = ROOT / "tests" / "peers" / "fedify"


def source_dir() -> Path:
    """The workspace's shared copy when present, else the one kept in this repository."""
    override = os.environ.get("FEDIANON_FEDIFY_DIR")
    if override:
        return Path(override)
    return SHARED if (SHARED / "server.mjs").is_file() else VENDORED


class FedifyPeer:
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir = workdir / "fedify"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "fedify.log"

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def handle(self) -> str:
        return f"peer@localhost:{self.port}"

    def start(self) -> FedifyPeer:
        shutil.copytree(
            source_dir(), self.dir, ignore=shutil.ignore_patterns("node_modules", "data")
        )
        for path in [self.dir, *self.dir.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        env = {**os.environ, "PEER_DATA_DIR": str(self.dir / "data"), "PEER_HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            ["bash", str(self.dir / "run.sh"), str(self.port)],
            cwd=self.dir,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the Fedify peer exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/control/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the Fedify peer did not start:\n{self.log.read_text()[-3000:]}")

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.base_url}/control/{path}", json=body, timeout=60)
        assert response.status_code < 300, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

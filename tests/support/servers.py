"""Real fedianon instances for end-to-end tests: `fedianon migrate` then `fedianon serve`
as subprocesses on 127.0.0.1 ports, each with its own database and data directory (or,
with `Instance.sharing`, a second web process of the same instance on another port)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.databases import create_database, drop_database
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


class Instance:
    def __init__(
        self,
        workdir: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: dict[str, str] | None = None,
        label: str = "i",
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.host = host
        self.label = label
        self.extra_env = env or {}
        self.database_url = ""
        self.owns_database = True
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{label}-server.log"

    @classmethod
    def sharing(cls, first: Instance, *, label: str) -> Instance:
        """Another `fedianon serve` process of `first`'s instance: same domain, database and
        data directory (so the same secrets), its own port. It leaves the database alone."""
        other = cls(
            first.workdir,
            label=label,
            env={
                **first.extra_env,
                "FEDIANON_DOMAIN": first.domain,
                "FEDIANON_DATA_DIR": str(first.workdir / f"{first.label}-data"),
            },
        )
        other.database_url = first.database_url
        other.owns_database = False
        return other

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIANON_")}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "FEDIANON_DOMAIN": self.domain,
                "FEDIANON_DATABASE_URL": self.database_url,
                "FEDIANON_DATA_DIR": str(self.workdir / f"{self.label}-data"),
                "FEDIANON_ALLOW_PRIVATE_ADDRESSES": "true",
                "FEDIANON_BIND": f"127.0.0.1:{self.port}",
            }
        )
        env.update(self.extra_env)
        return env

    def cli(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "fedianon.cli", *args],
            env=self.env(),
            cwd=self.workdir,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"fedianon {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    async def start(self) -> Instance:
        if not self.database_url:
            self.database_url = await create_database(self.workdir, self.label)
        self.cli("migrate")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fedianon.cli", "serve"],
            env=self.env(),
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.process.returncode}:\n{self.logs()}"
                )
            try:
                if (
                    httpx.get(
                        f"http://127.0.0.1:{self.port}/api/v1/instance",
                        timeout=2,
                        headers={"Host": self.domain},
                    ).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.logs()}")

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    async def destroy(self) -> None:
        self.stop()
        if self.database_url and self.owns_database:
            await drop_database(self.database_url)

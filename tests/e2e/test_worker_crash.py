"""Fault test: kill -9 the worker in the middle of a fan-out to many inboxes. After a new
worker starts, every inbox has the activity (receivers dedupe by id): nothing was lost, and
what was not acknowledged was delivered again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from mastodon import Mastodon

from tests.support.oauth import obtain_token
from tests.support.receiver import InboxReceiver
from tests.support.servers import ROOT, Instance
from tests.support.waiting import eventually

INBOXES = 200


def start_worker(server: Instance, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fedianon.cli", "worker", "--concurrency", "8"],
        env=server.env(),
        cwd=server.workdir,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_kill_worker_mid_fan_out_loses_nothing(workdir: Path) -> None:
    receiver = InboxReceiver(delay=0.03).start()
    server = Instance(
        workdir, label="crash", env={"FEDIANON_WORKERS": "0", "FEDIANON_JOB_LEASE_SECONDS": "3"}
    )
    worker = None
    try:
        await server.start()
        server.cli(
            "accounts", "create", "speaker", "--password-stdin", stdin="a long enough password\n"
        )
        seeded = subprocess.run(
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
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        grant = await obtain_token(server.base_url, "speaker", "a long enough password")
        api = Mastodon(access_token=grant.access_token, api_base_url=server.base_url)
        assert api.me()["followers_count"] == INBOXES

        worker_log = workdir / "worker.log"
        worker = start_worker(server, worker_log)
        status = api.status_post("one post for two hundred inboxes")
        activity_id = f"{status['uri']}/activity"
        await eventually(
            lambda: len(receiver.received) >= 40, timeout=60, what="the fan-out to start"
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        delivered_before = {r.path for r in receiver.received}
        assert len(delivered_before) < INBOXES, (
            "the fan-out finished before the kill; make the receiver slower"
        )

        worker = start_worker(server, worker_log)
        await eventually(
            lambda: len({r.path for r in receiver.received}) == INBOXES,
            timeout=120,
            what="every inbox to receive the activity",
        )
        deliveries = receiver.unique_deliveries()
        assert {path for path, _ in deliveries} == {f"/inbox/f{i}" for i in range(INBOXES)}
        assert {aid for _, aid in deliveries} == {activity_id}
        duplicates = sum(count - 1 for count in deliveries.values())
        assert duplicates <= 8 * 2, (
            f"{duplicates} redeliveries: more than the in-flight jobs at the kill"
        )
        # The jobs the killed worker had in flight are retried once their lease runs out.
        await eventually(
            lambda: "pending 0, dead 0" in server.cli("jobs", "list").stdout,
            timeout=60,
            what="the queue to drain",
        )
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
        receiver.stop()
        await server.destroy()

"""The job worker: claims due jobs and runs their handlers with bounded concurrency.

Runs in-process under `fedianon serve` (FEDIANON_WORKERS > 0) or alone as `fedianon worker`.
A handler's exception never stops the worker: the job is retried later or marked dead.
Every SCHEDULE_EVERY seconds it also enqueues the periodic jobs that are due
(`jobs.schedule`), so each process that runs jobs keeps the schedule without duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from fedianon.context import AppContext
from fedianon.jobs import queue, schedule
from fedianon.jobs.registry import HANDLERS, PermanentJobError
from fedianon.models.federation import Job

log = logging.getLogger("fedianon.worker")
IDLE_SLEEP = 0.2
SCHEDULE_EVERY = 30.0


class Worker:
    def __init__(self, context: AppContext, concurrency: int = 4) -> None:
        self.context = context
        self.concurrency = max(1, concurrency)
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.lease = timedelta(seconds=context.settings.job_lease_seconds)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        log.info("worker started (concurrency %d)", self.concurrency)
        loop = asyncio.get_running_loop()
        next_schedule = loop.time()
        while not self._stopping.is_set():
            if loop.time() >= next_schedule:
                next_schedule = loop.time() + SCHEDULE_EVERY
                try:
                    await schedule.enqueue_due()
                except Exception:  # like claiming: the database may be briefly unavailable
                    log.exception("enqueuing periodic jobs failed")
            free = self.concurrency - len(self._running)
            jobs: list[Job] = []
            if free > 0:
                try:
                    jobs = await queue.claim(free, lease=self.lease)
                except Exception:  # the database may be briefly unavailable: keep going
                    log.exception("claiming jobs failed")
                    await asyncio.sleep(1)
            for job in jobs:
                task = asyncio.create_task(self._run_one(job))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if not jobs:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_SLEEP)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        log.info("worker stopped")

    async def _run_one(self, job: Job) -> None:
        handler = HANDLERS.get(job.kind)
        if handler is None:
            await queue.fail(job, f"no handler for job kind {job.kind!r}", permanent=True)
            return
        try:
            await handler(self.context, job.payload)
        except PermanentJobError as exc:
            log.warning("job %s (%s) failed permanently: %s", job.id, job.kind, exc)
            await queue.fail(job, str(exc), permanent=True)
        except Exception as exc:
            log.warning(
                "job %s (%s) attempt %d failed: %s",
                job.id,
                job.kind,
                job.attempts,
                exc.__class__.__name__,
            )
            await queue.fail(job, f"{exc.__class__.__name__}: {exc}")
        else:
            await queue.complete(job)
        self.wake()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run_until_idle(self, max_seconds: float = 10.0) -> None:
        """For tests: run due jobs until none is left."""
        deadline = asyncio.get_running_loop().time() + max_seconds
        while asyncio.get_running_loop().time() < deadline:
            jobs = await queue.claim(self.concurrency, lease=self.lease)
            if not jobs:
                return
            await asyncio.gather(*(self._run_one(job) for job in jobs))

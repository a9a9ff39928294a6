"""Periodic jobs: a kind registered with an interval is enqueued at most once per interval,
whatever the number of workers.

Each periodic kind has one `PeriodicRun` row holding when it is next due. A worker that finds
it due moves `next_run_at` forward with a conditional UPDATE (`WHERE next_run_at = <what it
read>`) and enqueues the job in the same transaction; a second worker that read the same
value updates nothing and enqueues nothing. This works alike on PostgreSQL and SQLite and
needs no lock held across a job's run: the job itself is an ordinary queued job, retried and
leased like any other.

Workers call `enqueue_due()` every few seconds (`jobs.worker.Worker`); it is cheap (one
SELECT per kind) and never raises into the worker loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from fedianon.db import atomic
from fedianon.jobs import queue
from fedianon.models.federation import PeriodicRun
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.schedule")


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: timedelta


PERIODIC: dict[str, Periodic] = {}


def periodic(kind: str, every: timedelta) -> None:
    """Run job `kind` (with an empty payload) every `every`, the first time at once."""
    PERIODIC[kind] = Periodic(kind, every)


async def enqueue_due() -> list[str]:
    """Enqueue every periodic job that is due; returns the kinds this call enqueued."""
    enqueued = []
    for task in list(PERIODIC.values()):
        if await _enqueue_if_due(task):
            enqueued.append(task.kind)
    return enqueued


async def _enqueue_if_due(task: Periodic) -> bool:
    now = utcnow()
    row = await PeriodicRun.get_or_none(kind=task.kind)
    if row is None:
        try:
            async with atomic():
                await PeriodicRun.create(
                    kind=task.kind, next_run_at=now + task.every, last_enqueued_at=now
                )
                await queue.enqueue(task.kind, {})
        except IntegrityError:  # another worker created it first: that one enqueued the run
            return False
        return True
    if row.next_run_at > now:
        return False
    async with atomic():
        claimed = await PeriodicRun.filter(id=row.id, next_run_at=row.next_run_at).update(
            next_run_at=now + task.every, last_enqueued_at=now
        )
        if not claimed:
            return False
        await queue.enqueue(task.kind, {})
    return True

"""Enqueue, claim, complete and fail jobs.

Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` inside a transaction; on SQLite
(which has no row locks) a conditional UPDATE on the lease column, so two workers never run
the same job at once. A claimed job carries `lease_until`; if its worker dies, the lease runs
out and another worker takes it. Retries back off as 15 s + 1.5·n⁴ s (16 tries ≈ 3 days).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q

from fedianon.db import is_postgres, transaction
from fedianon.models.federation import JOB_DEAD, JOB_PENDING, Job
from fedianon.timeutil import utcnow

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 16


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=15 + 1.5 * attempts**4 + random.uniform(0, 10) * attempts)


async def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Job:
    """Insert a job. Inside a transaction it commits (or not) with that transaction."""
    return await Job.create(
        kind=kind, payload=payload, run_at=run_at or utcnow(), max_attempts=max_attempts
    )


async def enqueue_many(
    kind: str, payloads: list[dict[str, Any]], *, max_attempts: int = MAX_ATTEMPTS
) -> None:
    now = utcnow()
    await Job.bulk_create(
        [
            Job(kind=kind, payload=payload, run_at=now, max_attempts=max_attempts)
            for payload in payloads
        ],
        batch_size=500,
    )


def _due(now: datetime) -> Q:
    return Q(state=JOB_PENDING, run_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


async def claim(
    limit: int, kinds: list[str] | None = None, *, lease: timedelta = LEASE
) -> list[Job]:
    now = utcnow()
    lease_until = now + lease
    query = _due(now) if kinds is None else _due(now) & Q(kind__in=kinds)
    if is_postgres():
        async with transaction():
            jobs = (
                await Job.filter(query)
                .order_by("run_at")
                .limit(limit)
                .select_for_update(skip_locked=True)
            )
            if jobs:
                await Job.filter(id__in=[job.id for job in jobs]).update(
                    lease_until=lease_until, attempts=F("attempts") + 1
                )
        for job in jobs:
            job.lease_until, job.attempts = lease_until, job.attempts + 1
        return jobs
    candidates = await Job.filter(query).order_by("run_at").limit(limit)
    claimed = []
    for job in candidates:
        taken = await Job.filter(Q(id=job.id) & _due(now)).update(
            lease_until=lease_until, attempts=F("attempts") + 1
        )
        if taken:
            job.lease_until, job.attempts = lease_until, job.attempts + 1
            claimed.append(job)
    return claimed


async def complete(job: Job) -> None:
    await Job.filter(id=job.id).delete()


async def fail(job: Job, error: str, *, permanent: bool = False) -> None:
    message = error[:2000]
    if permanent or job.attempts >= job.max_attempts:
        await Job.filter(id=job.id).update(state=JOB_DEAD, lease_until=None, last_error=message)
        return
    await Job.filter(id=job.id).update(
        run_at=utcnow() + backoff(job.attempts), lease_until=None, last_error=message
    )


def _back_in_line() -> dict[str, Any]:
    return {"state": JOB_PENDING, "run_at": utcnow(), "lease_until": None, "attempts": 0}


async def retry(job_id: int) -> bool:
    """Put a dead (or waiting) job back in line now; for `fedianon jobs retry` and the admin."""
    return bool(await Job.filter(id=job_id).update(**_back_in_line()))


async def retry_dead() -> int:
    """Put every dead job back in line now, in one statement; returns how many."""
    return int(await Job.filter(state=JOB_DEAD).update(**_back_in_line()))

"""Periodic jobs: enqueued once per interval however many workers look at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fedianon.context import AppContext
from fedianon.jobs import schedule
from fedianon.jobs.worker import Worker
from fedianon.models.federation import Job, PeriodicRun
from fedianon.settings import Settings
from fedianon.timeutil import utcnow

KIND = "test.periodic"


@pytest.fixture
def only_test_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "PERIODIC", {})
    schedule.periodic(KIND, timedelta(minutes=10))


async def test_first_run_is_immediate_then_once_per_interval(db: str, only_test_kind: None) -> None:
    assert await schedule.enqueue_due() == [KIND]
    assert await schedule.enqueue_due() == []
    assert await Job.filter(kind=KIND).count() == 1
    row = await PeriodicRun.get(kind=KIND)
    assert timedelta(minutes=9) < row.next_run_at - utcnow() <= timedelta(minutes=10)

    await PeriodicRun.filter(kind=KIND).update(next_run_at=utcnow() - timedelta(seconds=1))
    assert await schedule.enqueue_due() == [KIND]
    assert await Job.filter(kind=KIND).count() == 2


async def test_concurrent_schedulers_enqueue_one_run(db: str, only_test_kind: None) -> None:
    results = await asyncio.gather(*(schedule.enqueue_due() for _ in range(6)))
    assert sum(len(r) for r in results) == 1
    await PeriodicRun.filter(kind=KIND).update(next_run_at=utcnow() - timedelta(seconds=1))
    results = await asyncio.gather(*(schedule.enqueue_due() for _ in range(6)))
    assert sum(len(r) for r in results) == 1
    assert await Job.filter(kind=KIND).count() == 2


async def test_a_scheduler_that_read_a_stale_row_enqueues_nothing(
    db: str, only_test_kind: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers read the same due row; the second one's conditional UPDATE misses."""
    await schedule.enqueue_due()
    past = utcnow() - timedelta(seconds=1)
    await PeriodicRun.filter(kind=KIND).update(next_run_at=past)
    stale = await PeriodicRun.get(kind=KIND)
    assert await schedule.enqueue_due() == [KIND]  # the first worker

    async def stale_read(**kwargs: object) -> PeriodicRun:
        return stale

    monkeypatch.setattr(PeriodicRun, "get_or_none", stale_read)
    assert await schedule.enqueue_due() == []  # the second worker, with what it read before
    assert await Job.filter(kind=KIND).count() == 2


async def test_the_worker_keeps_the_schedule(
    settings: Settings, db: str, only_test_kind: None
) -> None:
    worker = Worker(AppContext.build(settings))
    task = asyncio.create_task(worker.run())
    for _ in range(100):
        if await PeriodicRun.filter(kind=KIND).exists():
            break
        await asyncio.sleep(0.05)
    worker.stop()
    await asyncio.wait_for(task, 10)
    assert await PeriodicRun.filter(kind=KIND).exists()

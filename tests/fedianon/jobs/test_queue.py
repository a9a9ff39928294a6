"""Putting jobs back in line: one by id, or every dead one at once."""

from __future__ import annotations

from fedianon.jobs import queue
from fedianon.models.federation import Job


async def _dead(kind: str) -> Job:
    job = await queue.enqueue(kind, {})
    job.attempts = 16
    await queue.fail(job, "HTTP 500 from the inbox")
    return await Job.get(id=job.id)


async def test_every_dead_job_is_requeued_and_nothing_else(db: str) -> None:
    first, second = await _dead("ap.deliver"), await _dead("ap.deliver")
    waiting = await queue.enqueue("ap.fanout", {})
    assert {first.state, second.state} == {"dead"}
    assert await queue.retry_dead() == 2
    for job in (first, second):
        again = await Job.get(id=job.id)
        assert (again.state, again.attempts, again.lease_until) == ("pending", 0, None)
    assert (await Job.get(id=waiting.id)).state == "pending"
    assert await queue.retry_dead() == 0
    claimed = await queue.claim(10)
    assert {job.id for job in claimed} == {first.id, second.id, waiting.id}


async def test_retry_by_id_reports_whether_the_job_exists(db: str) -> None:
    job = await _dead("ap.deliver")
    assert await queue.retry(job.id) is True
    assert (await Job.get(id=job.id)).state == "pending"
    assert await queue.retry(job.id + 1) is False

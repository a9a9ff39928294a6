"""Deliveries to peers that answer 202, 500, 403, slowly or never: retried with backoff,
permanent failures kept as dead jobs, and no worker ever stuck."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest

from fedianon.jobs import queue
from fedianon.jobs.worker import Worker
from fedianon.models.federation import Instance, Job
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.support.factories import make_user
from tests.support.federation import loopback_federation
from tests.support.receiver import InboxReceiver


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = InboxReceiver(
        behaviours={"/fail": 500, "/forbidden": 403, "/slow": "slow", "/hang": "hang"}
    ).start()
    yield server
    server.stop()


@pytest.fixture
async def short_timeouts(app):  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    await loopback_federation(ctx, timeout=httpx.Timeout(1.0))
    return ctx


async def test_failures_are_retried_or_kept_and_the_worker_never_hangs(
    app, short_timeouts, receiver: InboxReceiver, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    sender = await make_user(settings, "sender")
    body = json.dumps(
        {
            "id": "https://campus.test/activities/1",
            "type": "Like",
            "actor": sender.account.uri,
            "object": "https://x/1",
        }
    )
    # The success goes first: a success interleaved with the failures would rightly reset the
    # instance's failure count and make the count below depend on timing.
    await queue.enqueue(
        "ap.deliver",
        {"actor_id": sender.account.id, "inbox": receiver.url("/ok/inbox"), "body": body},
    )
    await Worker(short_timeouts).run_until_idle(max_seconds=10)
    for path in ("/fail/inbox", "/forbidden/inbox", "/slow/inbox", "/hang/inbox"):
        await queue.enqueue(
            "ap.deliver", {"actor_id": sender.account.id, "inbox": receiver.url(path), "body": body}
        )
    started = time.monotonic()
    await Worker(short_timeouts, concurrency=8).run_until_idle(max_seconds=30)
    assert time.monotonic() - started < 15, "a hanging peer held the worker"
    assert [r.path for r in receiver.received] == ["/ok/inbox"]
    assert (
        receiver.received[0].signature_header and "keyId" in receiver.received[0].signature_header
    )
    jobs = {job.payload["inbox"].split(":", 2)[2].split("/", 1)[1]: job for job in await Job.all()}
    assert set(jobs) == {"fail/inbox", "forbidden/inbox", "slow/inbox", "hang/inbox"}
    for retried in ("fail/inbox", "slow/inbox", "hang/inbox"):
        job = jobs[retried]
        assert (
            job.state == "pending"
            and job.attempts == 1
            and job.run_at > utcnow()
            and job.lease_until is None
        )
    assert "HTTP 500" in (jobs["fail/inbox"].last_error or "")
    assert "Timeout" in (jobs["hang/inbox"].last_error or "")
    dead = jobs["forbidden/inbox"]
    assert dead.state == "dead" and "403" in (dead.last_error or "")
    instance = await Instance.get(domain=f"127.0.0.1:{receiver.port}")
    assert (
        instance.failure_count == 3  # 500 and two timeouts; a 403 is the peer's answer
        and instance.first_failure_at is not None
        and instance.unavailable_since is None
    )


async def test_backoff_spans_about_three_days_over_sixteen_tries() -> None:
    total = sum((queue.backoff(attempt) for attempt in range(1, 16)), timedelta())
    assert timedelta(days=2) < total < timedelta(days=4)


async def test_an_instance_failing_for_a_week_is_skipped_until_heard_from(
    app, short_timeouts, receiver: InboxReceiver, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    from fedianon.activitypub.delivery import record_failure

    domain = f"127.0.0.1:{receiver.port}"
    await Instance.create(
        domain=domain, failure_count=40, first_failure_at=utcnow() - timedelta(days=8)
    )
    await record_failure(domain)
    assert (await Instance.get(domain=domain)).unavailable_since is not None
    sender = await make_user(settings, "sender2")
    from fedianon.models.accounts import Account

    remote = await Account.create(
        username="r",
        domain=domain,
        acct_key=f"r@{domain}",
        uri=receiver.url("/users/r"),
        inbox_url=receiver.url("/ok/r"),
    )
    await queue.enqueue(
        "ap.fanout",
        {
            "actor_id": sender.account.id,
            "activity": {"id": "x", "type": "Like"},
            "followers_of": None,
            "account_ids": [remote.id],
        },
    )
    await Worker(short_timeouts).run_until_idle()
    assert receiver.received == [] and await Job.filter(kind="ap.deliver").count() == 0
    await Instance.filter(domain=domain).update(
        unavailable_since=None, failure_count=0, first_failure_at=None
    )
    await queue.enqueue(
        "ap.fanout",
        {
            "actor_id": sender.account.id,
            "activity": {"id": "y", "type": "Like"},
            "followers_of": None,
            "account_ids": [remote.id],
        },
    )
    await Worker(short_timeouts).run_until_idle()
    assert [r.activity_id for r in receiver.received] == ["y"]
    assert (await Instance.get(domain=domain)).last_success_at is not None


async def test_dead_jobs_can_be_retried(app) -> None:  # type: ignore[no-untyped-def]
    job = await queue.enqueue("no.such.kind", {})
    await Worker(app.state.ctx).run_until_idle()
    job = await Job.get(id=job.id)
    assert job.state == "dead" and "no handler" in (job.last_error or "")
    assert await queue.retry(job.id)
    assert (await Job.get(id=job.id)).state == "pending"

"""Outgoing delivery: `ap.fanout` expands an activity to one `ap.deliver` job per distinct
inbox (shared inbox preferred); `ap.deliver` signs and POSTs it with double-knock.

Failures: 5xx, 408, 429, timeouts and connection errors are retried with the queue's
backoff (about 16 tries over 3 days); other 4xx answers are final (the job is kept as dead,
for the admin to see). An instance that has failed for a week is marked unavailable and
skipped until it answers again, or until we hear from it.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from federation.client import FetchError
from fedianon.activitypub import policy
from fedianon.activitypub.remote import account_signer, host_of
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.jobs import queue
from fedianon.jobs.registry import PermanentJobError, handler
from fedianon.models.accounts import Account
from fedianon.models.federation import Instance
from fedianon.models.social import Follow
from fedianon.services import counters
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.delivery")
DELIVER = "ap.deliver"
UNAVAILABLE_AFTER = timedelta(days=7)


class DeliveryFailed(Exception):
    """A retryable delivery failure (the job runs again later)."""


def _inbox_of(account: Account) -> str | None:
    return account.shared_inbox_url or account.inbox_url


async def _audience_inboxes(payload: dict[str, Any]) -> set[str]:
    inboxes: set[str] = set()
    followers_of = payload.get("followers_of")
    if followers_of is not None:
        rows = await Follow.filter(
            target_account_id=followers_of, account__domain__isnull=False
        ).select_related("account")
        for row in rows:
            if row.account.suspended_at is None and (inbox := _inbox_of(row.account)):
                inboxes.add(inbox)
    account_ids = payload.get("account_ids") or []
    if account_ids:
        for account in await Account.filter(
            id__in=account_ids, domain__isnull=False, suspended_at__isnull=True
        ):
            if inbox := _inbox_of(account):
                inboxes.add(inbox)
    for inbox in payload.get("inboxes") or []:
        inboxes.add(inbox)
    return inboxes


@handler("ap.fanout")
async def fanout(ctx: AppContext, payload: dict[str, Any]) -> None:
    inboxes = await _audience_inboxes(payload)
    if not inboxes:
        return
    unavailable = set(
        await Instance.filter(unavailable_since__isnull=False).values_list("domain", flat=True)
    )
    body = json.dumps(payload["activity"], separators=(",", ":"))
    jobs = []
    for inbox in sorted(inboxes):
        domain = host_of(inbox)
        if domain in unavailable or await policy.domain_suspended(domain):
            continue
        jobs.append({"actor_id": payload["actor_id"], "inbox": inbox, "body": body})
    if jobs:
        async with atomic():  # all deliveries or none, so a crash never half-expands
            await queue.enqueue_many(DELIVER, jobs)
        worker = ctx.extras.get("worker")
        if worker is not None:
            worker.wake()


async def _instance(domain: str) -> Instance:
    found = await Instance.get_or_none(domain=domain)
    if found is not None:
        return found
    try:
        return await Instance.create(domain=domain)
    except IntegrityError:
        return await Instance.get(domain=domain)


_recent_success: dict[str, tuple[float, str]] = {}


async def record_success(domain: str, scheme: str) -> None:
    """Reset an instance's failure count; at most once a minute per domain and scheme, so a
    fan-out of a thousand deliveries does not write the same row a thousand times."""
    import time

    seen = _recent_success.get(domain)
    if seen is not None and seen[1] == scheme and time.monotonic() - seen[0] < 60:
        return
    _recent_success[domain] = (time.monotonic(), scheme)
    instance = await _instance(domain)
    if (
        instance.failure_count
        or instance.unavailable_since
        or instance.signature_scheme != scheme
        or instance.last_success_at is None
        or utcnow() - instance.last_success_at > timedelta(minutes=5)
    ):
        await Instance.filter(id=instance.id).update(
            failure_count=0,
            first_failure_at=None,
            unavailable_since=None,
            last_success_at=utcnow(),
            signature_scheme=scheme,
        )


async def record_failure(domain: str) -> None:
    """Count a failure atomically (deliveries to one instance fail in parallel)."""
    _recent_success.pop(domain, None)
    instance = await _instance(domain)
    now = utcnow()
    await counters.increment(Instance, instance.id, "failure_count")
    await Instance.filter(id=instance.id, first_failure_at__isnull=True).update(
        first_failure_at=now
    )
    await Instance.filter(
        id=instance.id,
        unavailable_since__isnull=True,
        first_failure_at__lte=now - UNAVAILABLE_AFTER,
    ).update(unavailable_since=now)


_signers: dict[int, Any] = {}


async def _signer_for(actor_id: int) -> Any:
    signer = _signers.get(actor_id)
    if signer is None:
        account = await Account.get_or_none(id=actor_id, domain=None)
        if account is None or not account.private_key_pem:
            raise PermanentJobError("the sending account no longer exists")
        signer = account_signer(account)
        if len(_signers) > 10_000:
            _signers.clear()
        _signers[actor_id] = signer
    return signer


@handler(DELIVER)
async def deliver(ctx: AppContext, payload: dict[str, Any]) -> None:
    inbox = payload["inbox"]
    domain = host_of(inbox)
    if await policy.domain_suspended(domain):
        return
    if ctx.federation is None:
        raise DeliveryFailed("no federation client in this process")
    signer = await _signer_for(payload["actor_id"])
    try:
        result = await ctx.federation.post_activity(inbox, payload["body"].encode(), signer=signer)
    except FetchError as exc:
        await record_failure(domain)
        raise DeliveryFailed(f"{exc.__class__.__name__}: {exc.reason}") from exc
    if result.ok:
        await record_success(domain, result.scheme)
        return
    if result.retryable:
        await record_failure(domain)
        raise DeliveryFailed(f"HTTP {result.status_code} from the inbox")
    raise PermanentJobError(f"HTTP {result.status_code} from the inbox (not retried)")

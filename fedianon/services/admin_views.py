"""Read models for the admin area: what the pages list, in one place, so web/ never queries
models itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedianon.models.federation import Instance, Job
from fedianon.models.moderation import (
    BlocklistDraft,
    BlocklistExclude,
    BlocklistProvenance,
    BlocklistSubscription,
    DomainAllow,
    DomainBlock,
)


@dataclass
class Dashboard:
    blocks: int
    drafts: int
    subscriptions: int
    failing_subscriptions: int
    dead_jobs: int
    pending_jobs: int
    unavailable_instances: int


async def dashboard() -> Dashboard:
    return Dashboard(
        blocks=await DomainBlock.all().count(),
        drafts=await BlocklistDraft.all().count(),
        subscriptions=await BlocklistSubscription.all().count(),
        failing_subscriptions=await BlocklistSubscription.filter(error__isnull=False).count(),
        dead_jobs=await Job.filter(state="dead").count(),
        pending_jobs=await Job.filter(state="pending").count(),
        unavailable_instances=await Instance.filter(unavailable_since__isnull=False).count(),
    )


async def blocks(limit: int = 500, query: str = "") -> list[DomainBlock]:
    rows = DomainBlock.all().select_related("subscription").order_by("domain")
    if query:
        rows = rows.filter(domain__icontains=query.strip().lower())
    return list(await rows.limit(limit))


async def block_with_provenance(
    block_id: int,
) -> tuple[DomainBlock, list[BlocklistProvenance]] | None:
    block = await DomainBlock.get_or_none(id=block_id).select_related("subscription")
    if block is None:
        return None
    listed = (
        await BlocklistProvenance.filter(domain=block.domain)
        .select_related("subscription")
        .order_by("-last_seen_at")
    )
    return block, list(listed)


async def allows() -> list[DomainAllow]:
    return list(await DomainAllow.all().order_by("domain"))


async def subscriptions() -> list[BlocklistSubscription]:
    return list(await BlocklistSubscription.all().order_by("-priority", "id"))


async def drafts(limit: int = 500) -> tuple[list[BlocklistDraft], int]:
    rows = await BlocklistDraft.all().select_related("subscription").order_by("domain").limit(limit)
    return list(rows), await BlocklistDraft.all().count()


async def excludes() -> list[BlocklistExclude]:
    return list(await BlocklistExclude.all().order_by("domain"))


async def dead_jobs(limit: int = 200) -> list[Job]:
    return list(await Job.filter(state="dead").order_by("-id").limit(limit))


async def instances_in_trouble() -> list[Instance]:
    return list(await Instance.filter(failure_count__gt=0).order_by("-failure_count").limit(200))


def job_target(job: Job) -> Any:
    payload = job.payload or {}
    return payload.get("inbox") or payload.get("subscription_id") or payload.get("domain") or ""

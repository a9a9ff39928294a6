"""Blocklist subscriptions with trust and provenance (GoToSocial's model, plus a severity cap).

A subscription names a list (a URL serving CSV, JSON or text, or a peer's ActivityPub
blocklist collection), a priority, and a trust: `as_draft` (every new entry waits for
review) or auto-apply, capped at `max_severity`. Every entry a list carries is recorded in
`blocklist_provenance`, so:
  - a domain listed by several subscriptions is owned by the highest priority auto-apply one;
  - when a list drops a domain, its block is retracted unless an admin adopted it (no owner)
    or another subscription still lists it (it then passes to that one);
  - excluded domains (suffix match) and this instance's own domain are never blocked;
  - a failed fetch changes nothing but the subscription's `error`.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from federation.client import FetchError
from fedianon.blocklists import SEVERITY_RANK, Entry, ListFormatError, longest_match, parse
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import Conflict, NotFound, ValidationFailed
from fedianon.jobs import queue
from fedianon.jobs.registry import handler
from fedianon.models.accounts import Account
from fedianon.models.moderation import (
    BlocklistDraft,
    BlocklistExclude,
    BlocklistProvenance,
    BlocklistSubscription,
    DomainBlock,
)
from fedianon.services import audit, domain_blocks
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.subscriptions")
CONTENT_TYPES = ("text/csv", "application/json", "text/plain")
REFRESH_JOB = "blocklist.refresh"
MAX_LIST_BYTES = 10 * 1024 * 1024


class FetchFailed(Exception):
    """The list could not be fetched or read; the message is stored as the subscription's error."""


def _chunks(items: list[str], size: int = 5000) -> Iterable[list[str]]:
    """IN lists in pieces: PostgreSQL takes at most 32767 parameters per query."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def cap(severity: str, max_severity: str) -> str:
    return severity if SEVERITY_RANK[severity] <= SEVERITY_RANK[max_severity] else max_severity


# --- CRUD ----------------------------------------------------------------------------------


@dataclass
class SubscriptionSpec:
    uri: str
    permission_type: str = "block"
    content_type: str = "text/csv"
    priority: int = 0
    title: str | None = None
    as_draft: bool = True
    adopt_orphans: bool = False
    remove_retracted: bool = True
    max_severity: str = "suspend"
    fetch_username: str | None = None
    fetch_password: str | None = None
    kind: str = "url"


def _validate(spec: SubscriptionSpec) -> None:
    if spec.permission_type not in ("block", "allow"):
        raise ValidationFailed("Validation failed: permission_type must be block or allow")
    if spec.kind == "url":
        if spec.content_type not in CONTENT_TYPES:
            raise ValidationFailed(
                f"Validation failed: content_type must be one of {', '.join(CONTENT_TYPES)}"
            )
        if not spec.uri.startswith(("http://", "https://")):
            raise ValidationFailed("Validation failed: uri must be an http(s) URL")
    if not 0 <= spec.priority <= 255:
        raise ValidationFailed("Validation failed: priority must be between 0 and 255")
    if spec.max_severity not in ("noop", "silence", "suspend"):
        raise ValidationFailed("Validation failed: max_severity must be noop, silence or suspend")
    if spec.title is not None and len(spec.title) > 255:
        raise ValidationFailed("Validation failed: title is too long")


async def create_subscription(
    ctx: AppContext, spec: SubscriptionSpec, *, actor: Account | None
) -> BlocklistSubscription:
    _validate(spec)
    if await BlocklistSubscription.filter(uri=spec.uri).exists():
        raise Conflict("A subscription with this uri already exists")
    if spec.title and await BlocklistSubscription.filter(title=spec.title).exists():
        raise Conflict("A subscription with this title already exists")
    try:
        subscription = await BlocklistSubscription.create(
            uri=spec.uri,
            kind=spec.kind,
            content_type=spec.content_type,
            permission_type=spec.permission_type,
            priority=spec.priority,
            title=spec.title or None,
            as_draft=spec.as_draft,
            adopt_orphans=spec.adopt_orphans,
            remove_retracted=spec.remove_retracted,
            max_severity=spec.max_severity,
            fetch_username=spec.fetch_username,
            fetch_password=spec.fetch_password,
            created_by=actor,
        )
    except IntegrityError:
        raise Conflict("A subscription with this uri or title already exists") from None
    await audit.record(actor, "subscription.create", "subscription", subscription.id, spec.uri)
    if spec.kind == "activitypub":
        from fedianon.activitypub import blocklist_federation

        await blocklist_federation.subscribe(ctx, subscription)
    else:
        await queue.enqueue(REFRESH_JOB, {"subscription_id": subscription.id})
    return subscription


async def get_subscription(subscription_id: int) -> BlocklistSubscription:
    found = await BlocklistSubscription.get_or_none(id=subscription_id)
    if found is None:
        raise NotFound()
    return found


async def update_subscription(
    subscription: BlocklistSubscription, values: dict[str, Any], *, actor: Account | None
) -> BlocklistSubscription:
    merged = SubscriptionSpec(
        uri=values.get("uri", subscription.uri),
        permission_type=values.get("permission_type", subscription.permission_type),
        content_type=values.get("content_type", subscription.content_type),
        priority=values.get("priority", subscription.priority),
        title=values.get("title", subscription.title),
        as_draft=values.get("as_draft", subscription.as_draft),
        adopt_orphans=values.get("adopt_orphans", subscription.adopt_orphans),
        remove_retracted=values.get("remove_retracted", subscription.remove_retracted),
        max_severity=values.get("max_severity", subscription.max_severity),
        kind=subscription.kind,
    )
    _validate(merged)
    for name in ("uri", "title"):
        value = getattr(merged, name)
        if (
            value
            and value != getattr(subscription, name)
            and await BlocklistSubscription.filter(**{name: value})
            .exclude(id=subscription.id)
            .exists()
        ):
            raise Conflict(f"A subscription with this {name} already exists")
    for name, value in values.items():
        if name in (
            "uri",
            "title",
            "priority",
            "as_draft",
            "adopt_orphans",
            "remove_retracted",
            "max_severity",
            "content_type",
            "permission_type",
            "fetch_username",
            "fetch_password",
        ):
            setattr(subscription, name, value)
    await subscription.save()
    await audit.record(actor, "subscription.update", "subscription", subscription.id)
    return subscription


async def remove_subscription(
    ctx: AppContext,
    subscription: BlocklistSubscription,
    *,
    remove_children: bool,
    actor: Account | None,
) -> None:
    """Delete a subscription; its blocks go too (remove_children) or stay as orphans."""
    owned = await DomainBlock.filter(subscription_id=subscription.id)
    domains = [p.domain for p in await BlocklistProvenance.filter(subscription_id=subscription.id)]
    for domain in domains:
        await _retract(ctx, subscription, domain, force_remove=remove_children)
    for block in owned:
        fresh = await DomainBlock.get_or_none(id=block.id)
        if fresh is not None and fresh.subscription_id == subscription.id:  # type: ignore[attr-defined]
            if remove_children:
                await domain_blocks.delete_block(ctx, fresh, actor=actor, federate=False)
            else:
                await DomainBlock.filter(id=fresh.id).update(
                    subscription_id=None, source="orphaned"
                )
    if subscription.kind == "activitypub":
        from fedianon.activitypub import blocklist_federation

        await blocklist_federation.unsubscribe(ctx, subscription)
    await BlocklistSubscription.filter(id=subscription.id).delete()
    await audit.record(
        actor, "subscription.remove", "subscription", subscription.id, subscription.uri
    )


# --- fetching ------------------------------------------------------------------------------


@dataclass
class Fetched:
    entries: list[Entry] | None  # None: not modified (304)
    etag: str | None = None
    last_modified: str | None = None


async def fetch_list(
    ctx: AppContext, subscription: BlocklistSubscription, *, conditional: bool = True
) -> Fetched:
    if subscription.kind == "activitypub":
        from fedianon.activitypub import blocklist_federation

        return Fetched(await blocklist_federation.read_collection(ctx, subscription))
    if ctx.federation is None:
        raise FetchFailed("outgoing HTTP is not available in this process")
    headers = {}
    if conditional and subscription.etag:
        headers["If-None-Match"] = subscription.etag
    if conditional and subscription.last_modified:
        headers["If-Modified-Since"] = subscription.last_modified
    if subscription.fetch_username or subscription.fetch_password:
        token = base64.b64encode(
            f"{subscription.fetch_username or ''}:{subscription.fetch_password or ''}".encode()
        ).decode()
        headers["Authorization"] = f"Basic {token}"
    try:
        response = await ctx.federation.fetch_bytes(
            subscription.uri,
            accept=f"{subscription.content_type},*/*;q=0.5",
            headers=headers,
            max_bytes=MAX_LIST_BYTES,
        )
    except FetchError as exc:
        raise FetchFailed(exc.reason) from exc
    if response.status_code == 304:
        return Fetched(None)
    if response.status_code != 200:
        raise FetchFailed(f"the list URL answered HTTP {response.status_code}")
    try:
        parsed = parse(
            response.body, response.headers.get("content-type") or subscription.content_type
        )
    except ListFormatError as exc:
        raise FetchFailed(str(exc)) from exc
    if not parsed.entries:
        raise FetchFailed("the list has no usable entries")
    return Fetched(
        parsed.entries, response.headers.get("etag"), response.headers.get("last-modified")
    )


async def refresh(ctx: AppContext, subscription: BlocklistSubscription) -> BlocklistSubscription:
    """Fetch and apply one subscription; a failure is recorded and changes nothing else."""
    now = utcnow()
    try:
        fetched = await fetch_list(ctx, subscription)
    except FetchFailed as exc:
        await BlocklistSubscription.filter(id=subscription.id).update(
            fetched_at=now, error=str(exc)[:1000]
        )
        log.info("blocklist subscription %s failed: %s", subscription.id, exc)
        return await get_subscription(subscription.id)
    if fetched.entries is None:
        await BlocklistSubscription.filter(id=subscription.id).update(
            fetched_at=now, successfully_fetched_at=now, error=None
        )
        return await get_subscription(subscription.id)
    count = await sync(ctx, subscription, fetched.entries)
    await BlocklistSubscription.filter(id=subscription.id).update(
        fetched_at=now,
        successfully_fetched_at=now,
        error=None,
        count=count,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )
    return await get_subscription(subscription.id)


@handler(REFRESH_JOB)
async def refresh_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    subscription = await BlocklistSubscription.get_or_none(id=payload["subscription_id"])
    if subscription is not None:
        await refresh(ctx, subscription)


@handler("blocklist.refresh_all")
async def refresh_all_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    for subscription_id in await BlocklistSubscription.all().values_list("id", flat=True):
        await queue.enqueue(REFRESH_JOB, {"subscription_id": subscription_id})


async def test_subscription(ctx: AppContext, subscription: BlocklistSubscription) -> list[Entry]:
    """GoToSocial's /test: fetch and parse without applying (raises FetchFailed)."""
    fetched = await fetch_list(ctx, subscription, conditional=False)
    return fetched.entries or []


# --- applying ------------------------------------------------------------------------------


async def excluded_domains() -> set[str]:
    """The admin's excludes: domains (and their subdomains) no list may block here."""
    return set(await BlocklistExclude.all().values_list("domain", flat=True))


def _excluded(domain: str, excludes: set[str], own_domain: str) -> bool:
    # a suffix walk over the set, not a comparison with every exclude
    return domain == own_domain or longest_match(domain, excludes) is not None


async def sync(ctx: AppContext, subscription: BlocklistSubscription, entries: list[Entry]) -> int:
    """Make this subscription's provenance, drafts and blocks match `entries`; returns how
    many entries the list had (after dropping excluded ones)."""
    excludes = await excluded_domains()
    own = ctx.settings.host
    incoming = {e.domain: e for e in entries if not _excluded(e.domain, excludes, own)}
    current = {
        p.domain: p for p in await BlocklistProvenance.filter(subscription_id=subscription.id)
    }
    for domain in [d for d in current if d not in incoming]:
        await _retract(ctx, subscription, domain)
    changed = [
        e
        for d, e in incoming.items()
        if d not in current
        or current[d].severity != e.severity
        or (current[d].public_comment or "") != (e.public_comment or "")
        or current[d].obfuscate != e.obfuscate
    ]
    new_rows = [
        BlocklistProvenance(
            domain=e.domain,
            subscription_id=subscription.id,
            severity=e.severity,
            public_comment=e.public_comment or None,
            obfuscate=e.obfuscate,
        )
        for e in changed
        if e.domain not in current
    ]
    if new_rows:
        await BlocklistProvenance.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
    for entry in changed:
        if entry.domain in current:
            await BlocklistProvenance.filter(id=current[entry.domain].id).update(
                severity=entry.severity,
                public_comment=entry.public_comment or None,
                obfuscate=entry.obfuscate,
                last_seen_at=utcnow(),
            )
    await _apply_entries(ctx, subscription, changed)
    return len(incoming)


async def apply_entry(ctx: AppContext, subscription: BlocklistSubscription, entry: Entry) -> str:
    """One pushed entry (a federated Add): record it and apply it. Returns what happened."""
    excludes = await excluded_domains()
    if _excluded(entry.domain, excludes, ctx.settings.host):
        return "excluded"
    existing = await BlocklistProvenance.get_or_none(
        domain=entry.domain, subscription_id=subscription.id
    )
    if existing is None:
        with contextlib.suppress(IntegrityError):
            await BlocklistProvenance.create(
                domain=entry.domain,
                subscription_id=subscription.id,
                severity=entry.severity,
                public_comment=entry.public_comment or None,
                obfuscate=entry.obfuscate,
            )
    else:
        await BlocklistProvenance.filter(id=existing.id).update(
            severity=entry.severity,
            public_comment=entry.public_comment or None,
            obfuscate=entry.obfuscate,
            last_seen_at=utcnow(),
        )
    results = await _apply_entries(ctx, subscription, [entry])
    return results[0] if results else "unchanged"


async def retract_entry(ctx: AppContext, subscription: BlocklistSubscription, domain: str) -> None:
    """A pushed Remove, or a domain gone from a fetched list."""
    await _retract(ctx, subscription, domain)


async def _apply_entries(
    ctx: AppContext, subscription: BlocklistSubscription, entries: list[Entry]
) -> list[str]:
    if not entries:
        return []
    domains = [e.domain for e in entries]
    existing = {
        b.domain: b
        for chunk in _chunks(domains)
        for b in await DomainBlock.filter(domain__in=chunk)
    }
    owners = {s.id: s for s in await BlocklistSubscription.all()}
    results = []
    if subscription.as_draft:
        drafted = {
            d
            for chunk in _chunks(domains)
            for d in await BlocklistDraft.filter(
                subscription_id=subscription.id, domain__in=chunk
            ).values_list("domain", flat=True)
        }
        rows = []
        for entry in entries:
            severity = cap(entry.severity, subscription.max_severity)
            if entry.domain in existing:
                results.append("already blocked")
                continue
            if entry.domain in drafted:
                await BlocklistDraft.filter(
                    subscription_id=subscription.id, domain=entry.domain
                ).update(
                    severity=severity,
                    public_comment=entry.public_comment or None,
                    obfuscate=entry.obfuscate,
                )
                results.append("draft updated")
                continue
            rows.append(
                BlocklistDraft(
                    domain=entry.domain,
                    permission_type=subscription.permission_type,
                    severity=severity,
                    reject_media=entry.reject_media,
                    reject_reports=entry.reject_reports,
                    obfuscate=entry.obfuscate,
                    public_comment=entry.public_comment or None,
                    private_comment=f"from subscription {subscription.title or subscription.uri}",
                    subscription_id=subscription.id,
                )
            )
            results.append("draft")
        if rows:
            await BlocklistDraft.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        return results
    for entry in entries:
        severity = cap(entry.severity, subscription.max_severity)
        values = {
            "severity": severity,
            "reject_media": entry.reject_media,
            "reject_reports": entry.reject_reports,
            "public_comment": entry.public_comment or None,
            "obfuscate": entry.obfuscate,
        }
        block = existing.get(entry.domain)
        if block is None:
            try:
                await domain_blocks.create_block(
                    ctx,
                    domain_blocks.BlockSpec(
                        domain=entry.domain,
                        private_comment=f"from subscription {subscription.title or subscription.uri}",
                        **values,
                    ),
                    actor=None,
                    source="subscription",
                    subscription=subscription,
                    federate=False,
                )
                results.append("blocked")
            except ValidationFailed as exc:
                results.append(f"skipped: {exc.message}")
            continue
        owner_id = block.subscription_id  # type: ignore[attr-defined]
        if owner_id == subscription.id:
            if any(getattr(block, k) != v for k, v in values.items()):
                await domain_blocks.update_block(ctx, block, values, actor=None, federate=False)
                results.append("updated")
            else:
                results.append("unchanged")
        elif owner_id is None:
            if subscription.adopt_orphans and block.source != "admin":
                await domain_blocks.update_block(
                    ctx,
                    block,
                    {**values, "subscription_id": subscription.id, "source": "subscription"},
                    actor=None,
                    federate=False,
                )
                results.append("adopted orphan")
            else:
                results.append("kept admin block")
        elif (other := owners.get(owner_id)) is None or other.priority < subscription.priority:
            await domain_blocks.update_block(
                ctx,
                block,
                {**values, "subscription_id": subscription.id},
                actor=None,
                federate=False,
            )
            results.append("taken over")
        else:
            results.append("owned by a higher priority subscription")
    return results


async def _retract(
    ctx: AppContext, subscription: BlocklistSubscription, domain: str, *, force_remove: bool = False
) -> None:
    async with atomic():
        await BlocklistProvenance.filter(domain=domain, subscription_id=subscription.id).delete()
        await BlocklistDraft.filter(domain=domain, subscription_id=subscription.id).delete()
    block = await DomainBlock.get_or_none(domain=domain)
    if block is None or block.subscription_id != subscription.id:  # type: ignore[attr-defined]
        return  # not ours: an admin's, an adopted one, or another subscription's
    others = (
        await BlocklistProvenance.filter(domain=domain)
        .exclude(subscription_id=subscription.id)
        .select_related("subscription")
    )
    auto = sorted(
        (p for p in others if not p.subscription.as_draft), key=lambda p: -p.subscription.priority
    )
    if auto:
        heir = auto[0]
        await domain_blocks.update_block(
            ctx,
            block,
            {
                "subscription_id": heir.subscription.id,
                "severity": cap(heir.severity, heir.subscription.max_severity),
                "public_comment": heir.public_comment,
                "obfuscate": heir.obfuscate,
            },
            actor=None,
            federate=False,
        )
        return
    if subscription.remove_retracted or force_remove:
        await domain_blocks.delete_block(ctx, block, actor=None, federate=False)
        drafts = sorted(
            (p for p in others if p.subscription.as_draft), key=lambda p: -p.subscription.priority
        )
        if drafts:
            await _apply_entries(
                ctx,
                drafts[0].subscription,
                [
                    Entry(
                        domain=domain,
                        severity=drafts[0].severity,
                        public_comment=drafts[0].public_comment or "",
                        obfuscate=drafts[0].obfuscate,
                    )
                ],
            )
    else:
        await DomainBlock.filter(id=block.id).update(subscription_id=None, source="orphaned")


# --- drafts and excludes -------------------------------------------------------------------


async def accept_draft(
    ctx: AppContext, draft: BlocklistDraft, *, actor: Account | None, overwrite: bool = False
) -> DomainBlock:
    existing = await DomainBlock.get_or_none(domain=draft.domain)
    values = {
        "severity": draft.severity,
        "reject_media": draft.reject_media,
        "reject_reports": draft.reject_reports,
        "public_comment": draft.public_comment,
        "obfuscate": draft.obfuscate,
    }
    if existing is not None:
        if not overwrite:
            raise Conflict(
                f"{draft.domain} is already blocked; accept with overwrite=true to replace it"
            )
        block = await domain_blocks.update_block(
            ctx, existing, {**values, "subscription_id": draft.subscription_id}, actor=actor
        )  # type: ignore[attr-defined]
    else:
        block = await domain_blocks.create_block(
            ctx,
            domain_blocks.BlockSpec(
                domain=draft.domain, private_comment=draft.private_comment, **values
            ),
            actor=actor,
            source="subscription" if draft.subscription_id else "admin",  # type: ignore[attr-defined]
            subscription=await BlocklistSubscription.get_or_none(id=draft.subscription_id)
            if draft.subscription_id
            else None,  # type: ignore[attr-defined]
        )
    await BlocklistDraft.filter(id=draft.id).delete()
    return block


async def reject_draft(
    draft: BlocklistDraft, *, actor: Account | None, exclude_target: bool = False
) -> None:
    await BlocklistDraft.filter(id=draft.id).delete()
    if exclude_target:
        await create_exclude(
            draft.domain,
            private_comment=f"rejected draft from subscription {draft.subscription_id}",
            actor=actor,
        )  # type: ignore[attr-defined]
    await audit.record(actor, "draft.reject", "domain", draft.domain)


async def get_draft(draft_id: int) -> BlocklistDraft:
    found = await BlocklistDraft.get_or_none(id=draft_id)
    if found is None:
        raise NotFound()
    return found


async def create_draft(
    ctx: AppContext,
    *,
    domain: str,
    permission_type: str,
    severity: str,
    obfuscate: bool,
    public_comment: str | None,
    private_comment: str | None,
    actor: Account | None,
) -> BlocklistDraft:
    name = domain_blocks.clean_domain(domain, ctx)
    if permission_type not in ("block", "allow"):
        raise ValidationFailed("Validation failed: permission_type must be block or allow")
    if severity not in ("silence", "suspend", "noop"):
        raise ValidationFailed("Validation failed: severity must be silence, suspend or noop")
    if await BlocklistDraft.filter(
        domain=name, permission_type=permission_type, subscription_id__isnull=True
    ).exists():
        raise Conflict("A draft for this domain already exists")
    return await BlocklistDraft.create(
        domain=name,
        permission_type=permission_type,
        severity=severity,
        obfuscate=obfuscate,
        public_comment=public_comment,
        private_comment=private_comment,
        created_by=actor,
    )


async def create_exclude(
    domain: str, *, private_comment: str | None, actor: Account | None
) -> BlocklistExclude:
    name = domain_blocks.clean_domain(domain)
    existing = await BlocklistExclude.get_or_none(domain=name)
    if existing is not None:
        return existing
    exclude = await BlocklistExclude.create(
        domain=name, private_comment=private_comment, created_by=actor
    )
    await BlocklistDraft.filter(domain=name, subscription_id__isnull=False).delete()
    return exclude


async def delete_exclude(exclude_id: int) -> None:
    if not await BlocklistExclude.filter(id=exclude_id).delete():
        raise NotFound()


async def adopt_block(block: DomainBlock, *, actor: Account | None) -> DomainBlock:
    """An admin takes a subscription's block as their own: no list can retract it any more."""
    await DomainBlock.filter(id=block.id).update(subscription_id=None, source="adopted")
    await audit.record(actor, "domain_block.adopt", "domain", block.domain)
    return await DomainBlock.get(id=block.id)

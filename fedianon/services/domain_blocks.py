"""Domain blocks and allows: the admin's rules for whole remote servers.

A block is stored once per (punycode, lowercase) domain and matches subdomains. Its effects
are reconciled by the `domain_block.apply` job, so they happen once whatever the path
(admin, import, subscription, federated list):
  suspend  accounts of the domain are suspended, follows both ways end, their cached statuses
           go; inbox, deliveries and fetches refuse the domain (see activitypub.policy);
  silence  accounts are silenced: out of public timelines, search and notifications of people
           who don't follow them;
  noop     only the flags (reject_media, reject_reports) apply.
Lifting a block undoes exactly what it did: accounts carry the block's own timestamp as the
time of their suspension or silence, and only those are restored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from fedianon.activitypub import policy
from fedianon.blocklists import (
    SEVERITY_RANK,
    DomainError,
    domain_digest,
    longest_match,
    normalize_domain,
    obfuscate,
)
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import NotFound, ValidationFailed
from fedianon.jobs import queue
from fedianon.jobs.registry import handler
from fedianon.models.accounts import Account
from fedianon.models.moderation import BlocklistSubscription, DomainAllow, DomainBlock
from fedianon.services import audit
from fedianon.services.relationships import drop_all_follows
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.domain_blocks")
SEVERITIES = ("silence", "suspend", "noop")
APPLY_JOB = "domain_block.apply"
RECONCILE_JOB = "domain_block.reconcile_all"


@dataclass
class BlockSpec:
    domain: str
    severity: str = "silence"
    reject_media: bool = False
    reject_reports: bool = False
    private_comment: str | None = None
    public_comment: str | None = None
    obfuscate: bool = False


def clean_domain(raw: str, ctx: AppContext | None = None) -> str:
    try:
        domain = normalize_domain(raw or "").domain
    except DomainError as exc:
        raise ValidationFailed(f"Validation failed: Domain {exc.reason}") from None
    if ctx is not None and domain == ctx.settings.host:
        raise ValidationFailed("Validation failed: Domain is this instance's own domain")
    return domain


def _check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise ValidationFailed(
            f"Validation failed: Severity must be one of {', '.join(SEVERITIES)}"
        )
    return severity


def _check_comment(name: str, value: str | None) -> str | None:
    if value is not None and len(value) > 1000:
        raise ValidationFailed(
            f"Validation failed: {name} is too long (maximum is 1000 characters)"
        )
    return value or None


def stricter_or_equal(a: str, b: str) -> bool:
    return SEVERITY_RANK[a] >= SEVERITY_RANK[b]


async def rule_covering(domain: str) -> DomainBlock | None:
    """The block in force for `domain`: its own, or the longest parent domain's."""
    from fedianon.blocklists import domain_suffixes

    candidates = domain_suffixes(domain)
    rows = await DomainBlock.filter(domain__in=candidates)
    best = longest_match(domain, [r.domain for r in rows])
    return next((r for r in rows if r.domain == best), None)


async def create_block(
    ctx: AppContext,
    spec: BlockSpec,
    *,
    actor: Account | None,
    source: str = "admin",
    subscription: BlocklistSubscription | None = None,
    federate: bool = True,
) -> DomainBlock:
    domain = clean_domain(spec.domain, ctx)
    severity = _check_severity(spec.severity)
    existing = await DomainBlock.get_or_none(domain=domain)
    if existing is not None:
        raise ValidationFailed(
            "Validation failed: Domain is already blocked",
            existing_domain_block=admin_entity(existing),
        )
    parent = await rule_covering(domain)
    if (
        parent is not None
        and parent.domain != domain
        and stricter_or_equal(parent.severity, severity)
        and (parent.reject_media or not spec.reject_media)
        and (parent.reject_reports or not spec.reject_reports)
    ):
        raise ValidationFailed(
            f"Validation failed: {parent.domain} is already blocked at least as strictly",
            existing_domain_block=admin_entity(parent),
        )
    try:
        async with atomic():
            block = await DomainBlock.create(
                domain=domain,
                severity=severity,
                reject_media=spec.reject_media,
                reject_reports=spec.reject_reports,
                private_comment=_check_comment("Private comment", spec.private_comment),
                public_comment=_check_comment("Public comment", spec.public_comment),
                obfuscate=spec.obfuscate,
                source=source,
                subscription=subscription,
                created_by=actor,
            )
            await audit.record(actor, "domain_block.create", "domain", block.domain, f"{severity}")
            await _after_change(ctx, block, federate=federate)
    except IntegrityError:
        raise ValidationFailed("Validation failed: Domain is already blocked") from None
    return block


async def update_block(
    ctx: AppContext,
    block: DomainBlock,
    values: dict[str, Any],
    *,
    actor: Account | None,
    federate: bool = True,
) -> DomainBlock:
    if "severity" in values:
        _check_severity(values["severity"])
    for name in ("private_comment", "public_comment"):
        if name in values:
            values[name] = _check_comment(name.replace("_", " ").capitalize(), values[name])
    allowed = {
        "severity",
        "reject_media",
        "reject_reports",
        "private_comment",
        "public_comment",
        "obfuscate",
        "source",
        "subscription_id",
    }
    changes = {k: v for k, v in values.items() if k in allowed}
    if not changes:
        return block
    async with atomic():
        await DomainBlock.filter(id=block.id).update(**changes, updated_at=utcnow())
        block = await DomainBlock.get(id=block.id)
        await audit.record(
            actor,
            "domain_block.update",
            "domain",
            block.domain,
            ", ".join(f"{k}={v}" for k, v in changes.items() if k != "private_comment"),
        )
        await _after_change(ctx, block, federate=federate)
    return block


async def delete_block(
    ctx: AppContext, block: DomainBlock, *, actor: Account | None, federate: bool = True
) -> None:
    async with atomic():
        await DomainBlock.filter(id=block.id).delete()
        await audit.record(actor, "domain_block.delete", "domain", block.domain)
        await queue.enqueue(
            APPLY_JOB, {"domain": block.domain, "lifted_marker": block.created_at.isoformat()}
        )
        if federate:
            from fedianon.activitypub import blocklist_federation

            await blocklist_federation.push_change(ctx, block, removed=True)
    policy.forget()


async def _after_change(ctx: AppContext, block: DomainBlock, *, federate: bool) -> None:
    await queue.enqueue(APPLY_JOB, {"domain": block.domain})
    if federate:
        from fedianon.activitypub import blocklist_federation

        await blocklist_federation.push_change(ctx, block)
    policy.forget()


def _domain_accounts(domain: str) -> Q:
    return Q(domain=domain) | Q(domain__endswith=f".{domain}") | Q(domain__startswith=f"{domain}:")


@handler(APPLY_JOB)
async def apply_effects(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Bring the accounts of a domain in line with the rule now in force for it."""
    domain = payload["domain"]
    policy.forget()
    lifted = payload.get("lifted_marker")
    if lifted:
        marker = datetime.fromisoformat(lifted)
        await Account.filter(
            _domain_accounts(domain), suspended_at=marker, deleted_at__isnull=True
        ).update(suspended_at=None)
        await Account.filter(_domain_accounts(domain), silenced_at=marker).update(silenced_at=None)
    block = await rule_covering(domain)
    if block is None:
        return
    marker = block.created_at
    if block.severity == "suspend":
        await _suspend_domain(ctx, domain, marker)
    else:
        await Account.filter(
            _domain_accounts(domain), suspended_at=marker, deleted_at__isnull=True
        ).update(suspended_at=None)
    if block.severity == "silence":
        await Account.filter(_domain_accounts(domain), silenced_at__isnull=True).update(
            silenced_at=marker
        )
    else:
        await Account.filter(_domain_accounts(domain), silenced_at=marker).update(silenced_at=None)


@handler(RECONCILE_JOB)
async def reconcile_all(ctx: AppContext, payload: dict[str, Any]) -> None:
    """After a bulk change: apply the rules to every remote domain we know accounts of."""
    known = set(
        await Account.filter(domain__isnull=False).distinct().values_list("domain", flat=True)
    )
    for domain in sorted(known):
        if await rule_covering(domain.split(":")[0]) is not None:
            await apply_effects(ctx, {"domain": domain.split(":")[0]})


async def _suspend_domain(ctx: AppContext, domain: str, marker: datetime) -> None:
    from fedianon.services import statuses

    accounts = await Account.filter(_domain_accounts(domain))
    ids = [a.id for a in accounts]
    if not ids:
        return
    async with atomic():
        await drop_all_follows(ids)
        await Account.filter(id__in=ids, suspended_at__isnull=True).update(suspended_at=marker)
    removed = await statuses.remove_all_of(ctx, ids)
    log.info("suspended a domain: %d accounts, %d cached statuses removed", len(ids), removed)


def admin_entity(block: DomainBlock) -> dict[str, Any]:
    from fedianon.timeutil import iso

    return {
        "id": str(block.id),
        "domain": block.domain,
        "digest": domain_digest(block.domain),
        "created_at": iso(block.created_at),
        "severity": block.severity,
        "reject_media": block.reject_media,
        "reject_reports": block.reject_reports,
        "private_comment": block.private_comment,
        "public_comment": block.public_comment,
        "obfuscate": block.obfuscate,
    }


async def get_block(block_id: int) -> DomainBlock:
    block = await DomainBlock.get_or_none(id=block_id)
    if block is None:
        raise NotFound()
    return block


def public_entries(blocks: list[DomainBlock], *, with_comment: bool) -> list[dict[str, Any]]:
    """Mastodon's /api/v1/instance/domain_blocks: silences then suspends, obfuscated names."""
    shown = [b for b in blocks if b.severity in ("silence", "suspend")]
    shown.sort(key=lambda b: (0 if b.severity == "silence" else 1, b.domain))
    return [
        {
            "domain": obfuscate(b.domain) if b.obfuscate else b.domain,
            "digest": domain_digest(b.domain),
            "severity": b.severity,
            "comment": b.public_comment if with_comment else None,
        }
        for b in shown
    ]


# --- allows --------------------------------------------------------------------------------


async def create_allow(ctx: AppContext, raw_domain: str, *, actor: Account | None) -> DomainAllow:
    domain = clean_domain(raw_domain, ctx)
    existing = await DomainAllow.get_or_none(domain=domain)
    if existing is not None:
        return existing
    allow = await DomainAllow.create(domain=domain)
    await audit.record(actor, "domain_allow.create", "domain", domain)
    return allow


async def delete_allow(allow_id: int, *, actor: Account | None) -> None:
    allow = await DomainAllow.get_or_none(id=allow_id)
    if allow is None:
        raise NotFound()
    await allow.delete()
    await audit.record(actor, "domain_allow.delete", "domain", allow.domain)

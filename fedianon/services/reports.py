"""Reports: filed by local users, received from other servers as `Flag`, handled by moderators.

A report on a remote account may be forwarded to that account's server. The `Flag` is sent
by the instance actor and names only the reported account, its statuses and the comment, so
the other server (and its database) never learns who reported: that is the whole point of a
campus instance that lets students report safely.

Every moderator step (update, assign, unassign, resolve, reopen) writes an audit row in the
same transaction. Rules (`rule_ids`) are Mastodon's instance rules; fedianon has none
configured yet, so only an empty list is valid.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from fedianon.activitypub import policy
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import NotFound, ValidationFailed
from fedianon.ids import parse_id
from fedianon.models.accounts import ROLE_ADMIN, ROLE_MODERATOR, Account
from fedianon.models.moderation import Report
from fedianon.models.statuses import Status
from fedianon.services import audit, notifications, outbox
from fedianon.services.paging import PageRequest, fetch_page
from fedianon.services.visibility import visible_ids
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.reports")

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
# A remote server's comment is not ours to refuse, but it is capped so it cannot fill the table.
MAX_REMOTE_COMMENT = 5000
MAX_STATUSES = 100


def known_rule_ids() -> frozenset[str]:
    """Ids of the instance rules a report may cite (none are configurable yet)."""
    return frozenset()


@dataclass(frozen=True)
class ReportDraft:
    account_id: str | int | None
    status_ids: list[str] = field(default_factory=list)
    comment: str = ""
    forward: bool = False
    category: str | None = None
    rule_ids: list[str] = field(default_factory=list)
    # Mastodon's forward_to_domains: None means the reported account's own server only
    forward_to_domains: list[str] | None = None


def _rules(rule_ids: list[str]) -> list[str]:
    rules = list(dict.fromkeys(str(r).strip() for r in rule_ids if str(r).strip()))
    if any(r not in known_rule_ids() for r in rules):
        raise ValidationFailed("Validation failed: Rule ids does not reference valid rules")
    return rules


def _checked_category(category: str) -> str:
    if category not in CATEGORIES:
        raise ValidationFailed(
            f"Validation failed: Category must be one of {', '.join(CATEGORIES)}"
        )
    return category


def _category(category: str | None, rule_ids: list[str]) -> tuple[str, list[str]]:
    """Mastodon: citing rules makes the report a `violation`; the rules must exist."""
    rules = _rules(rule_ids)
    if rules:
        return "violation", rules
    return _checked_category((category or "").strip() or "other"), rules


async def _target(account_id: str | int | None) -> Account:
    parsed = parse_id(account_id)
    target = await Account.get_or_none(id=parsed) if parsed is not None else None
    if target is None or target.suspended_at is not None or target.is_instance_actor:
        raise NotFound()
    return target


async def _reported_statuses(
    reporter: Account, target: Account, raw_ids: list[str]
) -> list[Status]:
    """The statuses to attach: each must be the target's and visible to the reporter."""
    if len(raw_ids) > MAX_STATUSES:
        raise ValidationFailed(
            f"Validation failed: A report may attach at most {MAX_STATUSES} statuses"
        )
    ids = []
    for raw in raw_ids:
        parsed = parse_id(raw)
        if parsed is None:
            raise ValidationFailed("Validation failed: status_ids must be status ids")
        ids.append(parsed)
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    found = await Status.filter(id__in=ids, account_id=target.id).select_related("account")
    allowed = await visible_ids(found, reporter)
    if len(allowed) != len(ids):
        # Unknown, someone else's, or not visible to the reporter: one answer for all three.
        raise ValidationFailed(
            "Validation failed: Statuses must be statuses of the reported account"
        )
    by_id = {s.id: s for s in found}
    return [by_id[i] for i in ids]


async def _staff() -> list[Account]:
    return list(
        await Account.filter(
            domain=None, role__in=(ROLE_ADMIN, ROLE_MODERATOR), suspended_at__isnull=True
        ).order_by("id")
    )


async def _notify_staff(
    report: Report, reporter: Account, staff: list[Account] | None = None
) -> None:
    for moderator in await _staff() if staff is None else staff:
        await notifications.notify(moderator, reporter, "admin.report", report_id=report.id)


async def _forward_recipients(
    target: Account, statuses: list[Status], domains: list[str] | None
) -> list[Account]:
    """Who gets the Flag, as Mastodon's ReportService decides: the reported account's server
    when its domain is among `domains` (the default), and the servers of the remote accounts
    the reported statuses reply to, when their domains are listed too."""
    if target.domain is None:
        return []
    wanted = (
        {target.domain}
        if domains is None
        else {d.strip().lower().rstrip(".") for d in domains if d.strip()}
    )
    recipients = [target] if target.domain in wanted else []
    replied_to = {
        s.in_reply_to_account_id  # type: ignore[attr-defined]
        for s in statuses
        if s.in_reply_to_account_id not in (None, target.id)  # type: ignore[attr-defined]
    }
    if replied_to and wanted:
        recipients += await Account.filter(
            id__in=sorted(replied_to), domain__in=sorted(wanted), suspended_at__isnull=True
        )
    return recipients


async def file_report(ctx: AppContext, reporter: Account, draft: ReportDraft) -> Report:
    """A local user's report. Forwarded (anonymously) when asked and the target is remote."""
    target = await _target(draft.account_id)
    if target.id == reporter.id:
        raise ValidationFailed("Validation failed: You cannot report yourself")
    comment = draft.comment or ""
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"Validation failed: Comment is too long (maximum is {MAX_COMMENT} characters)"
        )
    category, rule_ids = _category(draft.category, draft.rule_ids)
    statuses = await _reported_statuses(reporter, target, draft.status_ids)
    recipients = (
        await _forward_recipients(target, statuses, draft.forward_to_domains)
        if draft.forward
        else []
    )
    forward = bool(recipients)
    async with atomic():
        report = await Report.create(
            account=reporter,
            target_account=target,
            status_ids=[s.id for s in statuses],
            rule_ids=rule_ids,
            comment=comment,
            category=category,
            forwarded=forward,
            # A random URI: it travels in the Flag, so it must not say who or when.
            uri=f"{ctx.urls.base}/{uuid.uuid4()}" if forward else None,
        )
        await _notify_staff(report, reporter)
        if forward:
            await outbox.report_forwarded(
                ctx, report.uri or "", target, [s.uri for s in statuses], comment, recipients
            )
    return report


async def receive_flag(
    ctx: AppContext,
    sender: Account,
    *,
    object_uris: list[str],
    comment: str | None,
    uri: str | None,
) -> list[Report]:
    """A `Flag` from another server: one report per local account it names (none when this
    server rejects reports from that domain). The reporter is the sending actor, normally
    the other server's instance actor."""
    domain = sender.domain
    if domain is None:
        return []
    if await policy.rejects_reports(domain):
        log.info("dropped a Flag from a domain whose reports are rejected")
        return []
    uris = list(dict.fromkeys(u for u in object_uris if u))[: MAX_STATUSES + 10]
    named = await Account.filter(uri__in=uris, domain=None).exclude(actor_type="Application")
    statuses = await Status.filter(uri__in=uris, local=True)
    by_author: dict[int, list[Status]] = {}
    for status in statuses:
        by_author.setdefault(status.account_id, []).append(status)  # type: ignore[attr-defined]
    targets = {a.id: a for a in named}
    if not targets and by_author:
        # Some servers name only the statuses: their authors are the reported accounts.
        for account in await Account.filter(id__in=list(by_author), domain=None):
            targets[account.id] = account
    targets = {i: a for i, a in targets.items() if a.suspended_at is None}
    if not targets:
        log.info("dropped a Flag that names no local account")
        return []
    text = (comment or "")[:MAX_REMOTE_COMMENT]
    created = []
    staff = await _staff()  # once for every report of this Flag
    async with atomic():
        for target in targets.values():
            report = await Report.create(
                account=sender,
                target_account=target,
                status_ids=sorted(s.id for s in by_author.get(target.id, [])),
                comment=text,
                category="other",
                uri=uri,
                origin_domain=domain,
            )
            await _notify_staff(report, sender, staff)
            created.append(report)
    return created


# --- moderators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    resolved: bool = False
    unresolved: bool = False  # both: every report
    account_id: int | None = None
    target_account_id: int | None = None
    by_target_domain: str | None = None


async def list_reports(filters: ReportFilter, page: PageRequest) -> list[Report]:
    query = Report.all()
    if filters.resolved and not filters.unresolved:
        query = query.filter(action_taken_at__isnull=False)
    elif not filters.resolved:
        query = query.filter(action_taken_at__isnull=True)
    if filters.account_id is not None:
        query = query.filter(account_id=filters.account_id)
    if filters.target_account_id is not None:
        query = query.filter(target_account_id=filters.target_account_id)
    if filters.by_target_domain:
        query = query.filter(target_account__domain=filters.by_target_domain.strip().lower())
    return await fetch_page(query, page)


async def get_report(report_id: int) -> Report:
    report = await Report.get_or_none(id=report_id)
    if report is None:
        raise NotFound()
    return report


async def update_report(
    moderator: Account, report_id: int, *, category: str | None, rule_ids: list[str] | None
) -> Report:
    report = await get_report(report_id)
    values: dict[str, object] = {}
    if category is not None:
        values["category"] = _checked_category(category.strip())
    if rule_ids is not None:
        values["rule_ids"] = _rules(rule_ids)
    if not values:
        return report
    return await _change(moderator, report.id, "update", **values)


async def _change(moderator: Account, report_id: int, action: str, **values: object) -> Report:
    report = await get_report(report_id)
    async with atomic():
        await Report.filter(id=report.id).update(**values, updated_at=utcnow())
        await audit.record(moderator, action, "Report", report.id)
    return await get_report(report.id)


async def assign_to_self(moderator: Account, report_id: int) -> Report:
    return await _change(moderator, report_id, "assigned_to_self", assigned_account_id=moderator.id)


async def unassign(moderator: Account, report_id: int) -> Report:
    return await _change(moderator, report_id, "unassigned", assigned_account_id=None)


async def resolve(moderator: Account, report_id: int) -> Report:
    return await _change(
        moderator,
        report_id,
        "resolve",
        action_taken_at=utcnow(),
        action_taken_by_account_id=moderator.id,
    )


async def reopen(moderator: Account, report_id: int) -> Report:
    return await _change(
        moderator, report_id, "reopen", action_taken_at=None, action_taken_by_account_id=None
    )


async def resolve_for_action(
    moderator: Account, target: Account, *, report: Report | None, all_open: bool
) -> None:
    """After an account action (inside its transaction): resolve the named report, and for a
    real action every open report on the account, as Mastodon does."""
    reports = []
    if all_open:
        reports = list(
            await Report.filter(target_account_id=target.id, action_taken_at__isnull=True)
        )
    if report is not None and report.id not in {r.id for r in reports}:
        reports.append(report)
    now = utcnow()
    for row in reports:
        await Report.filter(id=row.id).update(
            action_taken_at=now, action_taken_by_account_id=moderator.id, updated_at=now
        )
        await audit.record(moderator, "resolve", "Report", row.id)

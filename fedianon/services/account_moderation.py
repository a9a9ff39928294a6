"""Moderators acting on accounts (Mastodon's admin account actions), and what each enforces.

    none       a warning: only the audit log (and the report it answers)
    sensitive  the account's statuses are shown as sensitive (`sensitized_at`)
    disable    a local account cannot sign in or use its tokens (`disabled_at`)
    silence    hidden from public timelines; it notifies only people who follow it
    suspend    gone from timelines, search and profiles; a local account can't sign in and
               its actor answers 410; a remote account loses its follows both ways

A moderator may act only on accounts of a lower role (a moderator never on an admin or another
moderator), never on the instance actor. Everything a moderator does writes an audit row in
the same transaction. fedianon stores no e-mail or IP address, so the address filters of the
admin account list match nothing rather than revealing whether an address has an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from fedianon.blocklists import DomainError, normalize_domain
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import Forbidden, NotFound, ValidationFailed
from fedianon.models.accounts import ROLE_ADMIN, ROLE_MODERATOR, ROLE_USER, Account
from fedianon.models.moderation import AccountWarning, Report
from fedianon.models.social import Follow, FollowRequest, Notification
from fedianon.services import (
    account_deletion,
    audit,
    feeds,
    notifications,
    outbox,
    reports,
    statuses,
)
from fedianon.services.accounts import get_account
from fedianon.services.paging import PageRequest, fetch_page
from fedianon.services.relationships import _adjust_counts
from fedianon.timeutil import utcnow

ACTION_TYPES = ("none", "sensitive", "disable", "silence", "suspend")
STATUSES = ("active", "pending", "disabled", "silenced", "suspended", "sensitized")
_RANK = {ROLE_USER: 0, ROLE_MODERATOR: 1, ROLE_ADMIN: 2}
# Mastodon's role ids, as `entities.ROLE_ENTITIES` shows them.
ROLE_IDS = {"3": ROLE_ADMIN, "2": ROLE_MODERATOR, "-99": ROLE_USER}


def _check_may_act(moderator: Account, target: Account) -> None:
    if not moderator.is_staff:
        raise Forbidden()
    if target.domain is None and _RANK.get(target.role, 0) >= _RANK.get(moderator.role, 0):
        raise Forbidden()


# --- listing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFilter:
    origin: str | None = None  # local | remote
    status: str | None = None  # one of STATUSES
    staff: bool = False
    roles: tuple[str, ...] = ()
    username: str | None = None
    display_name: str | None = None
    by_domain: str | None = None
    email: str | None = None
    ip: str | None = None
    invited_by: str | None = None


def _status_condition(status: str) -> Q:
    if status == "active":
        return Q(suspended_at__isnull=True)
    if status == "disabled":
        return Q(disabled_at__isnull=False, suspended_at__isnull=True)
    if status == "silenced":
        return Q(silenced_at__isnull=False)
    if status == "suspended":
        return Q(suspended_at__isnull=False)
    if status == "sensitized":
        return Q(sensitized_at__isnull=False)
    raise ValidationFailed(f"Validation failed: Unknown status: {status}")


async def list_accounts(filters: AccountFilter, page: PageRequest) -> list[Account]:
    if filters.origin not in (None, "local", "remote"):
        raise ValidationFailed("Validation failed: origin must be local or remote")
    # No addresses are stored and no sign-up waits for approval: these match nobody.
    if filters.email or filters.ip or filters.invited_by or filters.status == "pending":
        return []
    query = Account.filter(~Q(domain__isnull=True, actor_type="Application"))
    if filters.origin == "local":
        query = query.filter(domain__isnull=True)
    elif filters.origin == "remote":
        query = query.filter(domain__isnull=False)
    if filters.status:
        query = query.filter(_status_condition(filters.status))
    roles = set(filters.roles)
    if filters.staff:
        roles = (roles or {ROLE_ADMIN, ROLE_MODERATOR}) & {ROLE_ADMIN, ROLE_MODERATOR}
        if not roles:
            return []
    if roles:
        query = query.filter(domain__isnull=True, role__in=sorted(roles))
    if filters.username:
        query = query.filter(username__istartswith=filters.username.strip())
    if filters.display_name:
        query = query.filter(display_name__istartswith=filters.display_name.strip())
    if filters.by_domain:
        raw = filters.by_domain.strip().lower()
        try:
            domain = normalize_domain(raw).domain
        except DomainError:
            domain = raw  # `host:port` and IP literals are kept as they are
        query = query.filter(domain=domain)
    return await fetch_page(query, page)


# --- actions -------------------------------------------------------------------------------


async def _report_for(report_id: int | None, target: Account) -> Report | None:
    if report_id is None:
        return None
    report = await Report.get_or_none(id=report_id)
    if report is None:
        raise NotFound()
    if report.target_account_id != target.id:  # type: ignore[attr-defined]
        raise ValidationFailed("Validation failed: The report is about another account")
    return report


async def take_action(
    ctx: AppContext,
    moderator: Account,
    account_id: int,
    kind: str,
    *,
    report_id: int | None = None,
    text: str = "",
) -> Account:
    """Mastodon's `POST /api/v1/admin/accounts/:id/action`: apply the action, log it, and
    resolve the named report (for a warning) or every open report on the account."""
    if kind not in ACTION_TYPES:
        raise ValidationFailed(f"Validation failed: Type must be one of {', '.join(ACTION_TYPES)}")
    target = await get_account(account_id)
    _check_may_act(moderator, target)
    if kind == "disable" and target.domain is not None:
        raise ValidationFailed("Validation failed: Only local accounts can be disabled")
    report = await _report_for(report_id, target)
    async with atomic():
        if kind == "sensitive":
            await _set(target, sensitized_at=target.sensitized_at or utcnow())
        elif kind == "disable":
            await _set(
                target,
                disabled_at=target.disabled_at or utcnow(),
                session_version=target.session_version + 1,
            )
        elif kind == "silence":
            await _set(target, silenced_at=target.silenced_at or utcnow())
        elif kind == "suspend":
            await _suspend(ctx, target)
        await audit.record(
            moderator, "warn" if kind == "none" else kind, "Account", target.id, text
        )
        if target.domain is None:
            await _strike(target, kind, text, report)
        await reports.resolve_for_action(moderator, target, report=report, all_open=kind != "none")
    return await get_account(target.id)


async def _strike(target: Account, kind: str, text: str, report: Report | None) -> None:
    """Tell a local account's owner what was done, as Mastodon does: an AccountWarning and a
    `moderation_warning` notification (which a suspended account no longer receives)."""
    warning = await AccountWarning.create(
        target_account=target,
        action=kind,
        text=text,
        status_ids=list(report.status_ids or []) if report is not None else [],
        report_id=report.id if report is not None else None,
    )
    await notifications.notify(target, target, "moderation_warning", account_warning_id=warning.id)


async def _set(target: Account, **values: object) -> None:
    await Account.filter(id=target.id).update(**values, updated_at=utcnow())


async def _suspend(ctx: AppContext, target: Account) -> None:
    if target.suspended_at is not None:
        return
    values: dict[str, object] = {"suspended_at": utcnow()}
    if target.domain is None:
        values["session_version"] = target.session_version + 1  # ends web sessions
    else:
        await _sever_follows(ctx, target)
    await _set(target, **values)
    if target.domain is None:
        target.suspended_at = values["suspended_at"]  # type: ignore[assignment]
        await outbox.profile_updated(ctx, target)  # peers hide it (Update with suspended)


async def _sever_follows(ctx: AppContext, remote: Account) -> None:
    """A suspended remote account follows nobody here and nobody here follows it; its server
    is told (Mastodon cannot undo this on unsuspend either)."""
    for row in await Follow.filter(account_id=remote.id).select_related("target_account"):
        local = row.target_account
        await Follow.filter(id=row.id).delete()
        await _adjust_counts(remote.id, local.id, -1)
        if local.domain is None:
            await outbox.follow_severed(
                ctx, local, remote, row.uri or f"{remote.uri}#follow", local_follows=False
            )
    for row in await Follow.filter(target_account_id=remote.id).select_related("account"):
        local = row.account
        await Follow.filter(id=row.id).delete()
        await _adjust_counts(local.id, remote.id, -1)
        await feeds.remove_author_from_home(local, remote)
        if local.domain is None:
            await outbox.follow_severed(
                ctx,
                local,
                remote,
                row.uri or f"{ctx.urls.base}/follows/{row.id}",
                local_follows=True,
            )
    for request in await FollowRequest.filter(
        Q(account_id=remote.id) | Q(target_account_id=remote.id)
    ).select_related("account", "target_account"):
        await FollowRequest.filter(id=request.id).delete()
        if request.account_id == remote.id and request.target_account.domain is None:  # type: ignore[attr-defined]
            await outbox.follow_severed(
                ctx,
                request.target_account,
                remote,
                request.uri or f"{remote.uri}#follow",
                local_follows=False,
            )
        elif request.account.domain is None:
            await outbox.follow_severed(
                ctx,
                request.account,
                remote,
                request.uri or f"{ctx.urls.base}/follows/{request.id}",
                local_follows=True,
            )
    await Notification.filter(from_account_id=remote.id, type="follow_request").delete()


async def _undo(moderator: Account, account_id: int, action: str, **values: object) -> Account:
    target = await get_account(account_id)
    _check_may_act(moderator, target)
    async with atomic():
        await _set(target, **values)
        await audit.record(moderator, action, "Account", target.id)
    return await get_account(target.id)


async def enable(moderator: Account, account_id: int) -> Account:
    return await _undo(moderator, account_id, "enable", disabled_at=None)


async def unsilence(moderator: Account, account_id: int) -> Account:
    return await _undo(moderator, account_id, "unsilence", silenced_at=None)


async def unsensitive(moderator: Account, account_id: int) -> Account:
    return await _undo(moderator, account_id, "unsensitive", sensitized_at=None)


async def unsuspend(ctx: AppContext, moderator: Account, account_id: int) -> Account:
    target = await get_account(account_id)
    if target.deleted_at is not None:
        raise Forbidden()  # its data is gone: there is nothing to give back
    was_suspended = target.suspended_at is not None
    account = await _undo(moderator, account_id, "unsuspend", suspended_at=None)
    if was_suspended and account.domain is None:
        await outbox.profile_updated(ctx, account)  # peers show it again
    return account


async def approve(moderator: Account, account_id: int) -> Account:
    """Every fedianon account is approved when its address is verified: nothing is pending,
    so approving (like rejecting) is refused as Mastodon refuses it for approved accounts."""
    target = await get_account(account_id)
    _check_may_act(moderator, target)
    raise Forbidden()


async def reject(moderator: Account, account_id: int) -> Account:
    return await approve(moderator, account_id)


async def delete(ctx: AppContext, moderator: Account, account_id: int) -> Account:
    """Delete a suspended account's data for good (admins only, as Mastodon's
    `delete_user_data` permission). The row stays as a tombstone."""
    target = await get_account(account_id)
    _check_may_act(moderator, target)
    if moderator.role != ROLE_ADMIN or target.suspended_at is None or target.deleted_at:
        raise Forbidden()
    # One transaction: the audit row exists exactly when the data is gone.
    async with atomic():
        if target.domain is None:
            await account_deletion.delete_local_account(ctx, target)
        else:
            await _purge_remote(ctx, target)
        await audit.record(moderator, "destroy", "Account", target.id)
    return await get_account(target.id)


async def _purge_remote(ctx: AppContext, target: Account) -> None:
    await _sever_follows(ctx, target)
    await _set(target, deleted_at=utcnow(), followers_count=0, following_count=0)
    await statuses.remove_all_of(ctx, [target.id])

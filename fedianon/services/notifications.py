"""Notifications: created for local recipients unless they block or mute the sender, or the
sender is silenced by a moderator and the recipient does not follow it (Mastodon's rule, so a
silenced account cannot reach strangers by mentioning them). Moderators' `admin.*`
notifications always arrive. Notifications from suspended accounts are not listed."""

from __future__ import annotations

from fedianon.db import on_commit
from fedianon.models.accounts import Account
from fedianon.models.social import AccountDomainBlock, Block, Follow, Mute, Notification
from fedianon.models.statuses import Status
from fedianon.services import events
from fedianon.services.paging import PageRequest

TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "moderation_warning",
)


async def _silenced_for(recipient: Account, sender: Account) -> bool:
    if await Block.filter(account_id=recipient.id, target_account_id=sender.id).exists():
        return True
    if await Block.filter(account_id=sender.id, target_account_id=recipient.id).exists():
        return True
    if await Mute.filter(
        account_id=recipient.id, target_account_id=sender.id, hide_notifications=True
    ).exists():
        return True
    return bool(
        sender.domain
        and await AccountDomainBlock.filter(account_id=recipient.id, domain=sender.domain).exists()
    )


async def notify(
    recipient: Account,
    sender: Account,
    kind: str,
    status: Status | None = None,
    *,
    report_id: int | None = None,
    account_warning_id: int | None = None,
) -> Notification | None:
    """Create one notification (inside the caller's transaction) and stream it after commit."""
    if recipient.domain is not None:
        return None
    if recipient.id == sender.id and kind not in ("poll", "moderation_warning"):
        return None
    if recipient.suspended_at is not None or await _silenced_for(recipient, sender):
        return None
    if (
        sender.silenced_at is not None
        and not kind.startswith("admin.")
        and not await Follow.filter(account_id=recipient.id, target_account_id=sender.id).exists()
    ):
        return None
    # One notification per (kind, status, sender), like Mastodon's dedupe.
    if (
        kind in ("favourite", "reblog", "mention", "update", "status")
        and status is not None
        and await Notification.filter(
            account_id=recipient.id, from_account_id=sender.id, type=kind, status_id=status.id
        ).exists()
    ):
        return None
    notification = await Notification.create(
        account=recipient,
        from_account=sender,
        type=kind,
        status=status,
        report_id=report_id,
        account_warning_id=account_warning_id,
    )
    on_commit(
        lambda: events.emit(
            "notification.created", notification_id=notification.id, account_id=recipient.id
        )
    )
    return notification


async def list_for(
    viewer: Account,
    page: PageRequest,
    *,
    types: list[str],
    exclude_types: list[str],
    account_id: int | None,
) -> list[Notification]:
    from fedianon.services.paging import fetch_page

    query = Notification.filter(account_id=viewer.id, from_account__suspended_at__isnull=True)
    if types:
        query = query.filter(type__in=types)
    if exclude_types:
        query = query.exclude(type__in=exclude_types)
    if account_id is not None:
        query = query.filter(from_account_id=account_id)
    hidden = set(
        await Block.filter(account_id=viewer.id).values_list("target_account_id", flat=True)
    )
    hidden |= set(
        await Mute.filter(account_id=viewer.id, hide_notifications=True).values_list(
            "target_account_id", flat=True
        )
    )
    if hidden:
        query = query.exclude(from_account_id__in=sorted(hidden))
    return await fetch_page(query.select_related("from_account"), page)


async def get_for(viewer: Account, notification_id: int) -> Notification:
    from fedianon.errors import NotFound

    found = await Notification.get_or_none(id=notification_id, account_id=viewer.id).select_related(
        "from_account"
    )
    if found is None:
        raise NotFound()
    return found


async def clear(viewer: Account) -> None:
    await Notification.filter(account_id=viewer.id).delete()


async def dismiss(viewer: Account, notification_id: int) -> None:
    from fedianon.errors import NotFound

    if not await Notification.filter(id=notification_id, account_id=viewer.id).delete():
        raise NotFound()

"""What a reader does to a status: favourite, boost, bookmark, pin. Idempotent like Mastodon:
favouriting twice is one favourite, unboosting what was never boosted is fine."""

from __future__ import annotations

import contextlib

from tortoise.exceptions import IntegrityError

from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import Forbidden, ValidationFailed
from fedianon.ids import new_id
from fedianon.models.accounts import Account
from fedianon.models.social import Bookmark, Favourite, StatusPin
from fedianon.models.statuses import Status
from fedianon.services import counters, feeds, notifications, outbox
from fedianon.services.statuses import get_visible, remove_status
from fedianon.timeutil import utcnow

MAX_PINS = 5


def _original(status: Status) -> Status:
    return status.reblog_of if status.reblog_of_id is not None else status  # type: ignore[attr-defined]


async def favourite(ctx: AppContext, viewer: Account, status_id: int) -> Status:
    status = _original(await get_visible(status_id, viewer))
    try:
        async with atomic():
            fav = await Favourite.create(account=viewer, status=status)
            await counters.increment(Status, status.id, "favourites_count")
            await notifications.notify(status.account, viewer, "favourite", status)
            await outbox.favourited(ctx, viewer, status, fav.id)
    except IntegrityError:
        pass  # already favourited
    return status


async def unfavourite(ctx: AppContext, viewer: Account, status_id: int) -> Status:
    status = _original(await get_visible(status_id, viewer))
    async with atomic():
        fav = await Favourite.get_or_none(account_id=viewer.id, status_id=status.id)
        if fav is not None:
            await fav.delete()
            await counters.decrement(Status, status.id, "favourites_count")
            await outbox.unfavourited(ctx, viewer, status, fav.id)
    return status


async def reblog(
    ctx: AppContext, viewer: Account, status_id: int, visibility: str = "public"
) -> Status:
    original = _original(await get_visible(status_id, viewer))
    if visibility not in ("public", "unlisted", "private"):
        raise ValidationFailed(
            "Validation failed: Visibility is not one of public, unlisted, private"
        )
    if original.visibility == "direct" or (
        original.visibility == "private" and original.account_id != viewer.id
    ):  # type: ignore[attr-defined]
        raise Forbidden("This action is not allowed")
    existing = await Status.get_or_none(
        account_id=viewer.id, reblog_of_id=original.id
    ).select_related("reblog_of", "reblog_of__account", "account")
    if existing is not None:
        return existing
    boost_id = new_id()
    now = utcnow()
    async with atomic():
        boost = await Status.create(
            id=boost_id,
            account=viewer,
            uri=ctx.urls.activity(viewer.username, boost_id),
            url=ctx.urls.status_page(viewer.username, boost_id),
            local=True,
            visibility="private" if original.visibility == "private" else visibility,
            reblog_of=original,
            created_at=now,
        )
        await counters.increment(Status, original.id, "reblogs_count")
        await counters.increment(Account, viewer.id, "statuses_count", last_status_at=now)
        await feeds.fan_out(boost, viewer, mentioned_ids=[], tag_ids=[])
        await notifications.notify(original.account, viewer, "reblog", original)
        boost.reblog_of = original
        boost.account = viewer
        await outbox.reblogged(ctx, boost, original)
    return boost


async def unreblog(ctx: AppContext, viewer: Account, status_id: int) -> Status:
    original = _original(await get_visible(status_id, viewer))
    boost = await Status.get_or_none(account_id=viewer.id, reblog_of_id=original.id).select_related(
        "account"
    )
    if boost is not None:
        await remove_status(ctx, boost)
        await notifications.Notification.filter(
            from_account_id=viewer.id, type="reblog", status_id=original.id
        ).delete()
    return await Status.get(id=original.id).select_related("account")


async def bookmark(viewer: Account, status_id: int) -> Status:
    status = _original(await get_visible(status_id, viewer))
    with contextlib.suppress(IntegrityError):
        await Bookmark.create(account=viewer, status=status)
    return status


async def unbookmark(viewer: Account, status_id: int) -> Status:
    status = _original(await get_visible(status_id, viewer))
    await Bookmark.filter(account_id=viewer.id, status_id=status.id).delete()
    return status


async def pin(ctx: AppContext, viewer: Account, status_id: int) -> Status:
    status = await get_visible(status_id, viewer)
    if status.account_id != viewer.id or status.reblog_of_id is not None:  # type: ignore[attr-defined]
        raise ValidationFailed("Validation failed: You can only pin your own posts")
    if status.visibility == "direct":
        raise ValidationFailed("Validation failed: Direct messages cannot be pinned")
    if await StatusPin.filter(account_id=viewer.id, status_id=status.id).exists():
        return status
    if await StatusPin.filter(account_id=viewer.id).count() >= MAX_PINS:
        raise ValidationFailed(f"Validation failed: You can only pin up to {MAX_PINS} posts")
    with contextlib.suppress(IntegrityError):
        await StatusPin.create(account=viewer, status=status)
    return status


async def unpin(ctx: AppContext, viewer: Account, status_id: int) -> Status:
    status = await get_visible(status_id, viewer)
    await StatusPin.filter(account_id=viewer.id, status_id=status.id).delete()
    return status

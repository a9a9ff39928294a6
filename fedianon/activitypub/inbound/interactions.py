"""Like and Undo(Like) of local statuses."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.models.accounts import Account
from fedianon.models.social import Favourite, Notification
from fedianon.models.statuses import Status
from fedianon.services import counters, notifications
from fedianon.services.visibility import can_view


async def like(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    uri = activity.object_id
    status = await Status.get_or_none(uri=uri).select_related("account") if uri else None
    if status is None or not await can_view(status, actor):
        return
    try:
        async with atomic():
            await Favourite.create(account=actor, status=status, uri=activity.id)
            await counters.increment(Status, status.id, "favourites_count")
            await notifications.notify(status.account, actor, "favourite", status)
    except IntegrityError:
        return


async def undo_like(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    ref = activity.object
    inner = ref.value if ref is not None and ref.embedded else None
    favourite = None
    if isinstance(inner, as2.Activity) and inner.object_id:
        status = await Status.get_or_none(uri=inner.object_id)
        if status is not None:
            favourite = await Favourite.get_or_none(account_id=actor.id, status_id=status.id)
    if favourite is None and ref is not None and ref.id:
        favourite = await Favourite.get_or_none(account_id=actor.id, uri=ref.id)
    if favourite is None:
        return
    async with atomic():
        await Favourite.filter(id=favourite.id).delete()
        await counters.decrement(Status, favourite.status_id, "favourites_count")  # type: ignore[attr-defined]
        await Notification.filter(
            from_account_id=actor.id, type="favourite", status_id=favourite.status_id
        ).delete()  # type: ignore[attr-defined]

"""Follow, Accept, Reject, Undo(Follow), Block and Undo(Block) from remote actors."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from fedianon.activitypub import blocklist_federation
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.models.accounts import Account
from fedianon.models.social import Block, Follow, FollowRequest, Notification
from fedianon.services import notifications, outbox, relationships
from fedianon.services.relationships import _adjust_counts
from fedianon.services.visibility import is_blocked_between


async def _local_target(uri: str | None) -> Account | None:
    if not uri:
        return None
    return await Account.get_or_none(uri=uri, domain=None)


async def follow(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    target = await _local_target(activity.object_id)
    if target is None or target.suspended_at is not None or target.deleted_at is not None:
        return
    follow_uri = activity.id or f"{actor.uri}#follows/{target.id}"
    if await is_blocked_between(actor.id, target.id):
        async with atomic():
            await outbox.follow_answered(ctx, target, actor, follow_uri, accepted=False)
        return
    if target.actor_type == "Application":
        await blocklist_federation.peer_follow(ctx, actor, follow_uri)
        return
    existing = await Follow.get_or_none(account_id=actor.id, target_account_id=target.id)
    async with atomic():
        if existing is not None:
            # Peers re-send Follow when they missed our Accept: accept again.
            await outbox.follow_answered(ctx, target, actor, follow_uri, accepted=True)
            return
        if target.locked:
            try:
                async with atomic():
                    await FollowRequest.create(account=actor, target_account=target, uri=follow_uri)
            except IntegrityError:
                return
            await notifications.notify(target, actor, "follow_request")
            return
        try:
            async with atomic():
                await Follow.create(account=actor, target_account=target, uri=follow_uri)
        except IntegrityError:
            return
        await _adjust_counts(actor.id, target.id, +1)
        await notifications.notify(target, actor, "follow")
        await outbox.follow_answered(ctx, target, actor, follow_uri, accepted=True)


def _inner_follow(activity: as2.Activity) -> tuple[str | None, str | None, str | None]:
    """(follow id, follower uri, followed uri) of the Follow an Accept/Reject/Undo refers to."""
    ref = activity.object
    if ref is None:
        return None, None, None
    value = ref.value if ref.embedded else None
    if isinstance(value, as2.Activity):
        return value.id, value.actor_id, value.object_id
    return ref.id, None, None


async def accept(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    follow_id, follower_uri, _ = _inner_follow(activity)
    request = (
        await FollowRequest.get_or_none(uri=follow_id, target_account_id=actor.id)
        if follow_id
        else None
    )
    if request is None and follower_uri:
        follower = await Account.get_or_none(uri=follower_uri, domain=None)
        if follower is not None:
            request = await FollowRequest.get_or_none(
                account_id=follower.id, target_account_id=actor.id
            )
    if request is None:
        return
    await relationships.accept_follow(ctx, request)
    if request.account_id == ctx.extras["instance_actor"].id:  # type: ignore[attr-defined]
        await blocklist_federation.follow_answered(ctx, actor, accepted=True)


async def reject(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    follow_id, follower_uri, _ = _inner_follow(activity)
    follower = await Account.get_or_none(uri=follower_uri, domain=None) if follower_uri else None
    async with atomic():
        if follower is not None:
            requests = await FollowRequest.filter(
                target_account_id=actor.id, account_id=follower.id
            )
            follows = await Follow.filter(target_account_id=actor.id, account_id=follower.id)
        else:
            requests = await FollowRequest.filter(target_account_id=actor.id, uri=follow_id)
            follows = await Follow.filter(target_account_id=actor.id, uri=follow_id)
        for request in requests:
            await FollowRequest.filter(id=request.id).delete()
        for row in follows:
            await Follow.filter(id=row.id).delete()
            await _adjust_counts(row.account_id, actor.id, -1)  # type: ignore[attr-defined]
    instance_actor = ctx.extras["instance_actor"]
    if any(r.account_id == instance_actor.id for r in [*requests, *follows]):  # type: ignore[attr-defined]
        await blocklist_federation.follow_answered(ctx, actor, accepted=False)


async def undo_follow(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    _, _, followed_uri = _inner_follow(activity)
    inner_id = activity.object.id if activity.object else None
    target = await _local_target(followed_uri) if followed_uri else None
    async with atomic():
        follows = await (
            Follow.filter(account_id=actor.id, target_account_id=target.id)
            if target
            else Follow.filter(account_id=actor.id, uri=inner_id)
        )
        for row in follows:
            await Follow.filter(id=row.id).delete()
            await _adjust_counts(actor.id, row.target_account_id, -1)  # type: ignore[attr-defined]
        requests = await (
            FollowRequest.filter(account_id=actor.id, target_account_id=target.id)
            if target
            else FollowRequest.filter(account_id=actor.id, uri=inner_id)
        )
        for request in requests:
            await FollowRequest.filter(id=request.id).delete()
            await Notification.filter(
                account_id=request.target_account_id,
                from_account_id=actor.id,
                type="follow_request",
            ).delete()  # type: ignore[attr-defined]


async def block(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    target = await _local_target(activity.object_id)
    if target is None:
        return
    await relationships.block(ctx, actor, target.id, uri=activity.id, federate=False)


async def undo_block(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    _, _, blocked_uri = _inner_follow(activity)
    target = await _local_target(blocked_uri) if blocked_uri else None
    if target is not None:
        await Block.filter(account_id=actor.id, target_account_id=target.id).delete()
    elif activity.object is not None and activity.object.id:
        await Block.filter(account_id=actor.id, uri=activity.object.id).delete()

"""Follows (with requests for locked and remote accounts), blocks, mutes and a user's own
domain blocks. Counters and home feeds change in the same transaction as the relationship."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from fedianon.blocklists import normalize_domain
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import Forbidden, NotFound, ValidationFailed
from fedianon.ids import new_id
from fedianon.models.accounts import Account
from fedianon.models.social import (
    AccountDomainBlock,
    Block,
    Follow,
    FollowRequest,
    Mute,
    Notification,
)
from fedianon.services import counters, feeds, lists, notifications, outbox
from fedianon.services.accounts import get_account
from fedianon.services.visibility import is_blocked_between
from fedianon.timeutil import utcnow


async def _adjust_counts(follower_id: int, target_id: int, delta: int) -> None:
    change = counters.increment if delta > 0 else counters.decrement
    await change(Account, follower_id, "following_count")
    await change(Account, target_id, "followers_count")


@dataclass(frozen=True)
class FollowOptions:
    reblogs: bool | None = None
    notify: bool | None = None
    languages: list[str] | None = None


async def follow(
    ctx: AppContext, viewer: Account, target_id: int, options: FollowOptions = FollowOptions()
) -> Account:
    target = await get_account(target_id)
    if target.id == viewer.id:
        raise Forbidden("This action is not allowed: you cannot follow yourself")
    if target.suspended_at is not None or await is_blocked_between(viewer.id, target.id):
        raise Forbidden("This action is not allowed")
    changes = {
        k: v
        for k, v in (
            ("show_reblogs", options.reblogs),
            ("notify", options.notify),
            ("languages", options.languages),
        )
        if v is not None
    }
    existing = await Follow.get_or_none(account_id=viewer.id, target_account_id=target.id)
    if existing is not None:
        if changes:
            await Follow.filter(id=existing.id).update(**changes)
        return target
    pending = await FollowRequest.get_or_none(account_id=viewer.id, target_account_id=target.id)
    if pending is not None:
        if changes:
            await FollowRequest.filter(id=pending.id).update(**changes)
        return target
    fields = {
        "show_reblogs": True if options.reblogs is None else options.reblogs,
        "notify": bool(options.notify),
        "languages": options.languages,
    }
    follow_id = new_id()
    uri = f"{ctx.urls.base}/follows/{follow_id}"
    try:
        async with atomic():
            if target.locked or target.domain is not None:
                await FollowRequest.create(
                    id=follow_id, account=viewer, target_account=target, uri=uri, **fields
                )
                if target.domain is None:
                    await notifications.notify(target, viewer, "follow_request")
                else:
                    await outbox.follow_requested(ctx, viewer, target, uri)
            else:
                await Follow.create(
                    id=follow_id, account=viewer, target_account=target, uri=uri, **fields
                )
                await _adjust_counts(viewer.id, target.id, +1)
                await notifications.notify(target, viewer, "follow")
                await feeds.add_author_history(viewer, target)
    except IntegrityError:
        pass  # a parallel request created it
    return target


async def accept_follow(ctx: AppContext, request: FollowRequest) -> Follow:
    """Turn a follow request into a follow (local approval, or a remote Accept)."""
    follower = await Account.get(id=request.account_id)  # type: ignore[attr-defined]
    target = await Account.get(id=request.target_account_id)  # type: ignore[attr-defined]
    async with atomic():
        deleted = await FollowRequest.filter(id=request.id).delete()
        existing = await Follow.get_or_none(account_id=follower.id, target_account_id=target.id)
        if existing is not None or not deleted:
            return existing or await Follow.get(account_id=follower.id, target_account_id=target.id)
        created = await Follow.create(
            account=follower,
            target_account=target,
            uri=request.uri,
            show_reblogs=request.show_reblogs,
            notify=request.notify,
            languages=request.languages,
        )
        await _adjust_counts(follower.id, target.id, +1)
        if target.domain is None and follower.domain is not None:
            await outbox.follow_answered(
                ctx, target, follower, request.uri or f"{follower.uri}#follow", accepted=True
            )
        if target.domain is None:
            await notifications.notify(target, follower, "follow")
        await feeds.add_author_history(follower, target)
        await Notification.filter(
            account_id=target.id, from_account_id=follower.id, type="follow_request"
        ).delete()
    return created


async def authorize_request(ctx: AppContext, viewer: Account, follower_id: int) -> Account:
    request = await FollowRequest.get_or_none(account_id=follower_id, target_account_id=viewer.id)
    if request is None:
        raise NotFound()
    await accept_follow(ctx, request)
    return await Account.get(id=follower_id)


async def reject_request(ctx: AppContext, viewer: Account, follower_id: int) -> Account:
    request = await FollowRequest.get_or_none(
        account_id=follower_id, target_account_id=viewer.id
    ).select_related("account")
    if request is None:
        raise NotFound()
    async with atomic():
        await FollowRequest.filter(id=request.id).delete()
        await Notification.filter(
            account_id=viewer.id, from_account_id=follower_id, type="follow_request"
        ).delete()
        if request.account.domain is not None:
            await outbox.follow_answered(
                ctx,
                viewer,
                request.account,
                request.uri or f"{request.account.uri}#follow",
                accepted=False,
            )
    return request.account


async def unfollow(ctx: AppContext, viewer: Account, target_id: int) -> Account:
    target = await get_account(target_id)
    async with atomic():
        found = await Follow.get_or_none(account_id=viewer.id, target_account_id=target.id)
        if found is not None:
            await Follow.filter(id=found.id).delete()
            await _adjust_counts(viewer.id, target.id, -1)
            await feeds.remove_author_from_home(viewer, target)
            await lists.forget_member(viewer.id, [target.id])
            if target.domain is not None:
                await outbox.unfollowed(
                    ctx, viewer, target, found.uri or f"{ctx.urls.base}/follows/{found.id}"
                )
        request = await FollowRequest.get_or_none(account_id=viewer.id, target_account_id=target.id)
        if request is not None:
            await FollowRequest.filter(id=request.id).delete()
            if target.domain is not None:
                await outbox.unfollowed(
                    ctx, viewer, target, request.uri or f"{ctx.urls.base}/follows/{request.id}"
                )
            else:
                await Notification.filter(
                    account_id=target.id, from_account_id=viewer.id, type="follow_request"
                ).delete()
    return target


async def remove_follower(
    ctx: AppContext, viewer: Account, follower_id: int, *, federate: bool = True
) -> Account:
    follower = await get_account(follower_id)
    async with atomic():
        found = await Follow.get_or_none(account_id=follower.id, target_account_id=viewer.id)
        if found is not None:
            await Follow.filter(id=found.id).delete()
            await _adjust_counts(follower.id, viewer.id, -1)
            await feeds.remove_author_from_home(follower, viewer)
            await lists.forget_member(follower.id, [viewer.id])
            if federate and follower.domain is not None and viewer.domain is None:
                await outbox.removed_follower(
                    ctx, viewer, follower, found.uri or f"{follower.uri}#follow"
                )
    return follower


async def block(
    ctx: AppContext,
    viewer: Account,
    target_id: int,
    *,
    uri: str | None = None,
    federate: bool = True,
) -> Account:
    target = await get_account(target_id)
    if target.id == viewer.id:
        raise Forbidden("This action is not allowed: you cannot block yourself")
    block_id = new_id()
    async with atomic():
        try:
            async with atomic():
                created = await Block.create(
                    id=block_id,
                    account=viewer,
                    target_account=target,
                    uri=uri or f"{ctx.urls.base}/blocks/{block_id}",
                )
        except IntegrityError:
            return target
        # A block ends every follow between the two, both ways (the delete says if there was one).
        if await Follow.filter(account_id=viewer.id, target_account_id=target.id).delete():
            await _adjust_counts(viewer.id, target.id, -1)
        if await Follow.filter(account_id=target.id, target_account_id=viewer.id).delete():
            await _adjust_counts(target.id, viewer.id, -1)
        await FollowRequest.filter(account_id=viewer.id, target_account_id=target.id).delete()
        await FollowRequest.filter(account_id=target.id, target_account_id=viewer.id).delete()
        await feeds.remove_author_from_home(viewer, target)
        await feeds.remove_author_from_home(target, viewer)
        await lists.forget_member(viewer.id, [target.id])
        await lists.forget_member(target.id, [viewer.id])
        await Notification.filter(account_id=viewer.id, from_account_id=target.id).delete()
        if federate and target.domain is not None and viewer.domain is None:
            await outbox.blocked(ctx, viewer, target, created.uri or "")
    return target


async def unblock(
    ctx: AppContext, viewer: Account, target_id: int, *, federate: bool = True
) -> Account:
    target = await get_account(target_id)
    async with atomic():
        found = await Block.get_or_none(account_id=viewer.id, target_account_id=target.id)
        if found is not None:
            await Block.filter(id=found.id).delete()
            if federate and target.domain is not None and viewer.domain is None:
                await outbox.unblocked(
                    ctx, viewer, target, found.uri or f"{ctx.urls.base}/blocks/{found.id}"
                )
    return target


async def mute(
    viewer: Account, target_id: int, *, hide_notifications: bool = True, duration: int = 0
) -> Account:
    target = await get_account(target_id)
    if target.id == viewer.id:
        raise Forbidden("This action is not allowed: you cannot mute yourself")
    if duration < 0:
        raise ValidationFailed("Validation failed: duration must be positive")
    expires = utcnow() + timedelta(seconds=duration) if duration else None
    async with atomic():
        existing = await Mute.get_or_none(account_id=viewer.id, target_account_id=target.id)
        if existing is not None:
            await Mute.filter(id=existing.id).update(
                hide_notifications=hide_notifications, expires_at=expires
            )
        else:
            await Mute.create(
                account=viewer,
                target_account=target,
                hide_notifications=hide_notifications,
                expires_at=expires,
            )
        await feeds.remove_author_from_home(viewer, target)
    return target


async def unmute(viewer: Account, target_id: int) -> Account:
    target = await get_account(target_id)
    await Mute.filter(account_id=viewer.id, target_account_id=target.id).delete()
    return target


async def expire_mutes() -> int:
    return await Mute.filter(expires_at__lte=utcnow()).delete()


async def block_domain(viewer: Account, domain: str) -> None:
    name = normalize_domain(domain).domain
    if name == viewer.domain:
        raise ValidationFailed("Validation failed: you cannot block your own domain")
    async with atomic():
        try:
            async with atomic():
                await AccountDomainBlock.create(account=viewer, domain=name)
        except IntegrityError:
            return
        followed = await Follow.filter(
            account_id=viewer.id, target_account__domain=name
        ).select_related("target_account")
        for row in followed:
            await Follow.filter(id=row.id).delete()
            await _adjust_counts(viewer.id, row.target_account_id, -1)  # type: ignore[attr-defined]
        followers = await Follow.filter(target_account_id=viewer.id, account__domain=name)
        for row in followers:
            await Follow.filter(id=row.id).delete()
            await _adjust_counts(row.account_id, viewer.id, -1)  # type: ignore[attr-defined]


async def unblock_domain(viewer: Account, domain: str) -> None:
    await AccountDomainBlock.filter(
        account_id=viewer.id, domain=normalize_domain(domain).domain
    ).delete()


async def drop_all_follows(account_ids: list[int]) -> None:
    """Every follow and follow request to or from these accounts ends, without federating;
    the other sides' counters are fixed and these accounts' counters go to zero. Used when an
    account is deleted or a whole domain is suspended."""
    ids = set(account_ids)
    if not ids:
        return
    touching = Q(account_id__in=sorted(ids)) | Q(target_account_id__in=sorted(ids))
    async with atomic():
        for row in await Follow.filter(touching):
            if row.account_id not in ids:  # type: ignore[attr-defined]
                await counters.decrement(Account, row.account_id, "following_count")  # type: ignore[attr-defined]
            if row.target_account_id not in ids:  # type: ignore[attr-defined]
                await counters.decrement(Account, row.target_account_id, "followers_count")  # type: ignore[attr-defined]
        await Follow.filter(touching).delete()
        await FollowRequest.filter(touching).delete()
        await Account.filter(id__in=sorted(ids)).update(followers_count=0, following_count=0)

"""Account migration: when a remote account moves (a verified `Move`), the people here who
followed, blocked or muted it do the same to its new account, as Mastodon's MoveWorker does.

A follower's follow of the new account goes out as a normal follow (a request until the new
home accepts it) with the old follow's options; the old follow is then undone. If the new
account cannot be followed (a block either way, or it is suspended here), the old follow stays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fedianon.context import AppContext
from fedianon.errors import Forbidden, NotFound
from fedianon.models.accounts import Account
from fedianon.models.social import Block, Follow, Mute
from fedianon.services import relationships
from fedianon.services.relationships import FollowOptions

log = logging.getLogger("fedianon.migration")


@dataclass(frozen=True)
class CarriedOver:
    followers: int
    blocks: int
    mutes: int


def _active(account: Account) -> bool:
    return account.suspended_at is None and account.deleted_at is None


async def carry_over(ctx: AppContext, origin: Account, target: Account) -> CarriedOver:
    """Move the local followers, blocks and mutes of `origin` to `target`."""
    followers = blocks = mutes = 0
    follows = await Follow.filter(
        target_account_id=origin.id, account__domain__isnull=True
    ).select_related("account")
    for follow in follows:
        follower = follow.account
        if not _active(follower) or follower.id == target.id:
            continue
        options = FollowOptions(
            reblogs=follow.show_reblogs, notify=follow.notify, languages=follow.languages
        )
        try:
            await relationships.follow(ctx, follower, target.id, options)
        except (Forbidden, NotFound) as exc:  # blocked either way, or the target is suspended
            log.info("a follower could not follow a moved account: %s", exc)
            continue
        await relationships.unfollow(ctx, follower, origin.id)
        followers += 1
    for row in await Block.filter(
        target_account_id=origin.id, account__domain__isnull=True
    ).select_related("account"):
        if _active(row.account) and row.account.id != target.id:
            await relationships.block(ctx, row.account, target.id)
            blocks += 1
    for row in await Mute.filter(
        target_account_id=origin.id, account__domain__isnull=True
    ).select_related("account"):
        if _active(row.account) and row.account.id != target.id:
            await relationships.mute(
                row.account, target.id, hide_notifications=row.hide_notifications
            )
            mutes += 1
    return CarriedOver(followers, blocks, mutes)

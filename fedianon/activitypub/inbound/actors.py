"""Update(Person) refreshes a remote profile; Delete(Person) removes the account's content;
Move migrates the account's local followers, blocks and mutes to its new account."""

from __future__ import annotations

import logging

from federation import activitystreams as as2
from fedianon.activitypub.remote import fetch_actor, upsert_actor
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.models.accounts import Account
from fedianon.models.statuses import Status
from fedianon.services import account_migration
from fedianon.services.relationships import drop_all_follows
from fedianon.services.statuses import remove_status
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.inbound")


async def update_actor(ctx: AppContext, document: as2.Actor, actor: Account) -> None:
    if document.id != actor.uri:
        return  # only an actor may update itself
    await upsert_actor(ctx, document)


async def delete_actor(ctx: AppContext, actor: Account) -> None:
    """The remote account is gone: drop its follows and statuses, keep a suspended stub."""
    async with atomic():
        await drop_all_follows([actor.id])
        await Account.filter(id=actor.id).update(deleted_at=utcnow(), suspended_at=utcnow())
    statuses = await Status.filter(account_id=actor.id).select_related("account").order_by("-id")
    for status in statuses:
        await remove_status(ctx, status, federate=False)
    log.info("removed a deleted remote account and %d statuses", len(statuses))


async def move(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    """`Move` (Mastodon's account migration): accepted only from the account that moves, to a
    target whose freshly fetched actor lists the old account in `alsoKnownAs`."""
    target_uri = activity.target.id if activity.target is not None else None
    if activity.object_id != actor.uri or not target_uri or target_uri == actor.uri:
        log.info("ignored a Move that does not move its own actor to another account")
        return
    target = await fetch_actor(ctx, target_uri, refresh=True)
    if actor.uri not in (target.also_known_as or []):
        log.info("refused a Move: the new account does not name the old one in alsoKnownAs")
        return
    if target.suspended_at is not None or target.moved_to_account_id is not None:  # type: ignore[attr-defined]
        log.info("refused a Move to a suspended or itself moved account")
        return
    if actor.moved_to_account_id == target.id:  # type: ignore[attr-defined]
        return  # delivered again: already carried over
    await Account.filter(id=actor.id).update(moved_to_account_id=target.id)
    carried = await account_migration.carry_over(ctx, actor, target)
    log.info(
        "an account moved: %d followers, %d blocks and %d mutes carried over",
        carried.followers,
        carried.blocks,
        carried.mutes,
    )

"""Update(Person) refreshes a remote profile; Delete(Person) removes the account's content."""

from __future__ import annotations

import logging

from federation import activitystreams as as2
from fedianon.activitypub.remote import upsert_actor
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.models.accounts import Account
from fedianon.models.statuses import Status
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

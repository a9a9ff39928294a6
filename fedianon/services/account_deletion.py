"""Deleting a local account: a Delete(Person) goes to every remote server that knew it, its
statuses and relationships go, and the row stays as a tombstone (the handle is not reused)
with nothing left that could identify the person: no digest, no password, no profile."""

from __future__ import annotations

from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import NotFound
from fedianon.models.accounts import Account
from fedianon.models.moderation import AccountWarning
from fedianon.models.social import Block, Follow, Mute
from fedianon.services import outbox, statuses
from fedianon.services.oauth import revoke_all_for_account
from fedianon.services.relationships import drop_all_follows
from fedianon.timeutil import utcnow


async def delete_local_account(ctx: AppContext, account: Account) -> None:
    if account.domain is not None or account.is_instance_actor:
        raise NotFound("No local account with that handle")
    follower_ids = await Follow.filter(
        target_account_id=account.id, account__domain__isnull=False
    ).values_list("account_id", flat=True)
    followed_ids = await Follow.filter(
        account_id=account.id, target_account__domain__isnull=False
    ).values_list("target_account_id", flat=True)
    contacts = await Account.filter(id__in=sorted(set(follower_ids) | set(followed_ids)))
    async with atomic():
        await outbox.account_deleted(ctx, account, list(contacts))
        await drop_all_follows([account.id])
        await Block.filter(account_id=account.id).delete()
        await Mute.filter(account_id=account.id).delete()
        await AccountWarning.filter(target_account_id=account.id).delete()  # what it was told
        now = utcnow()
        await Account.filter(id=account.id).update(
            deleted_at=now,
            suspended_at=now,
            display_name="",
            note="",
            note_source="",
            fields_json=[],
            avatar_path=None,
            header_path=None,
            password_hash=None,
            email_digest=None,
            session_version=account.session_version + 1,
            followers_count=0,
            following_count=0,
        )
    await revoke_all_for_account(account)
    await statuses.remove_all_of(ctx, [account.id])

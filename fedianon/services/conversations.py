"""Direct conversations, one row per local participant (AccountConversation), as Mastodon.

A direct status, local or received, updates the row of each local participant inside the
status's own transaction (`record_direct`, called by `statuses.post_status` and by the
federation inbox for remote direct statuses): its local author, and the local accounts it
mentions unless they block or mute the author. The row's `last_status` becomes the status,
`unread` is set for everyone but the author, and `participant_ids` are the other people in
it. Hiding a conversation removes only the caller's row; the next message brings it back.
Deleting a status moves `last_status` back to the previous message, or drops the row.
"""

from __future__ import annotations

from fedianon.db import on_commit
from fedianon.errors import NotFound
from fedianon.models.accounts import Account
from fedianon.models.statuses import Conversation, Mention, Status
from fedianon.models.timelines import AccountConversation
from fedianon.services import events, feeds
from fedianon.services.paging import PageRequest, fetch_page


async def record_direct(status: Status, author: Account, mentioned_ids: list[int]) -> None:
    """Update every local participant's view of the conversation (inside the transaction)."""
    if status.visibility != "direct" or status.reblog_of_id is not None:  # type: ignore[attr-defined]
        return
    conversation_id = status.conversation_id  # type: ignore[attr-defined]
    if conversation_id is None:
        conversation_id = (await Conversation.create()).id
        await Status.filter(id=status.id).update(conversation_id=conversation_id)
        status.conversation_id = conversation_id  # type: ignore[attr-defined]
    participants = {author.id, *mentioned_ids}
    local_mentioned = set(
        await Account.filter(
            id__in=list(mentioned_ids), domain__isnull=True, suspended_at__isnull=True
        ).values_list("id", flat=True)
    )
    local_mentioned.discard(author.id)
    readers = local_mentioned - await feeds.excluded_readers(local_mentioned, [author])
    if author.domain is None and not author.is_instance_actor:
        readers.add(author.id)
    if not readers:
        return
    existing = {
        row.account_id: row  # type: ignore[attr-defined]
        for row in await AccountConversation.filter(
            conversation_id=conversation_id, account_id__in=sorted(readers)
        )
    }
    touched: list[tuple[int, int]] = []
    for account_id in sorted(readers):
        others = sorted(participants - {account_id})
        row = existing.get(account_id)
        if row is None:
            row = await AccountConversation.create(
                account_id=account_id,
                conversation_id=conversation_id,
                participant_ids=others,
                last_status_id=status.id,
                unread=account_id != author.id,
            )
        else:
            row.participant_ids = sorted(set(row.participant_ids or []) | set(others))
            if row.last_status_id is None or row.last_status_id < status.id:  # type: ignore[attr-defined]
                row.last_status_id = status.id  # type: ignore[attr-defined]
            row.unread = account_id != author.id
            await row.save()
        touched.append((account_id, row.id))
    on_commit(
        lambda: events.emit(
            "conversation.updated",
            conversation_id=conversation_id,
            entries=[list(t) for t in touched],
        )
    )


async def list_for(viewer: Account, page: PageRequest) -> list[AccountConversation]:
    """The viewer's conversations, latest message first, paged by that message's id."""
    query = AccountConversation.filter(
        account_id=viewer.id, last_status_id__isnull=False
    ).select_related("last_status", "last_status__account")
    return await fetch_page(query, page, "last_status_id")


async def get_for(viewer: Account, conversation_id: int) -> AccountConversation:
    found = await AccountConversation.get_or_none(
        id=conversation_id, account_id=viewer.id, last_status_id__isnull=False
    ).select_related("last_status", "last_status__account")
    if found is None:
        raise NotFound()
    return found


async def mark_read(viewer: Account, conversation_id: int) -> AccountConversation:
    found = await get_for(viewer, conversation_id)
    if found.unread:
        found.unread = False
        await AccountConversation.filter(id=found.id).update(unread=False)
    return found


async def hide(viewer: Account, conversation_id: int) -> None:
    if not await AccountConversation.filter(id=conversation_id, account_id=viewer.id).delete():
        raise NotFound()


async def status_removed(status: Status) -> None:
    """Before a direct status is deleted: each row that showed it falls back to the previous
    message that participant can see, or goes away (inside the deleting transaction)."""
    if status.visibility != "direct":
        return
    rows = await AccountConversation.filter(last_status_id=status.id)
    if not rows:
        return
    # Every row shows the same conversation: its 20 earlier messages and their mentions are
    # read once for all participants.
    earlier = (
        await Status.filter(
            conversation_id=status.conversation_id,  # type: ignore[attr-defined]
            visibility="direct",
            id__lt=status.id,
        )
        .order_by("-id")
        .limit(20)
    )
    mentioned: set[tuple[int, int]] = set(
        await Mention.filter(status_id__in=[c.id for c in earlier]).values_list(
            "status_id", "account_id"
        )
    )
    for row in rows:
        reader = row.account_id  # type: ignore[attr-defined]
        previous = next(
            (
                c
                for c in earlier
                if c.account_id == reader or (c.id, reader) in mentioned  # type: ignore[attr-defined]
            ),
            None,
        )
        if previous is None:
            await AccountConversation.filter(id=row.id).delete()
        else:
            await AccountConversation.filter(id=row.id).update(last_status_id=previous.id)

"""The transactional outbox: what local actions send to other servers.

Each function runs inside the caller's transaction. It renders the activity now (so a
Delete still knows what it deletes) and inserts one `ap.fanout` job naming the audience;
the worker turns that into one `ap.deliver` job per distinct inbox. Nothing is enqueued when
no remote server is in the audience.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tortoise.expressions import Subquery

from federation.activitystreams import PUBLIC
from fedianon.activitypub import renderers
from fedianon.context import AppContext
from fedianon.ids import new_id
from fedianon.jobs import queue
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.social import Follow
from fedianon.models.statuses import Mention, Status, StatusTag, Tag
from fedianon.services import polls
from fedianon.timeutil import iso_seconds

FANOUT = "ap.fanout"


async def has_remote_followers(account: Account) -> bool:
    return await Follow.filter(target_account_id=account.id, account__domain__isnull=False).exists()


async def publish(
    actor: Account,
    activity: dict[str, Any],
    *,
    followers_of: Account | None = None,
    recipients: list[Account] | None = None,
    inboxes: list[str] | None = None,
) -> None:
    """Enqueue delivery of `activity` signed by `actor` to the given audience (remote only).

    `inboxes` are delivered to as they are, even when their account is suspended by then
    (the last word to an account a moderator just suspended)."""
    remote = [a for a in (recipients or []) if a.domain is not None]
    to_followers = followers_of is not None and await has_remote_followers(followers_of)
    if not remote and not to_followers and not inboxes:
        return
    payload: dict[str, Any] = {
        "actor_id": actor.id,
        "activity": activity,
        "followers_of": followers_of.id if to_followers and followers_of else None,
        "account_ids": sorted({a.id for a in remote}),
    }
    if inboxes:
        payload["inboxes"] = sorted(set(inboxes))
    await queue.enqueue(FANOUT, payload)


async def _note_parts(
    status: Status,
) -> tuple[list[Account], list[Tag], list[MediaAttachment], str | None, str | None]:
    mentioned = await Account.filter(
        id__in=Subquery(Mention.filter(status_id=status.id).values("account_id"))
    )
    tags = await Tag.filter(id__in=Subquery(StatusTag.filter(status_id=status.id).values("tag_id")))
    media = await MediaAttachment.filter(status_id=status.id).order_by("position")
    parent_uri = status.in_reply_to_uri
    conversation = None
    if status.conversation_id is not None:  # type: ignore[attr-defined]
        from fedianon.models.statuses import Conversation

        conv = await Conversation.get_or_none(id=status.conversation_id)  # type: ignore[attr-defined]
        conversation = conv.uri if conv and conv.uri else None
    return mentioned, tags, media, parent_uri, conversation


async def note_document(ctx: AppContext, status: Status) -> tuple[dict[str, Any], list[Account]]:
    author = (
        status.account
        if isinstance(status.account, Account)
        else await Account.get(id=status.account_id)
    )  # type: ignore[attr-defined]
    mentioned, tags, media, parent_uri, conversation = await _note_parts(status)
    if conversation is None and status.conversation_id is not None:  # type: ignore[attr-defined]
        conversation = f"tag:{ctx.settings.host},{status.created_at:%Y-%m-%d}:objectId={status.conversation_id}:objectType=Conversation"  # type: ignore[attr-defined]
    poll = await polls.question_fields(status)
    document = renderers.note(
        status,
        author,
        mentioned=mentioned,
        tags=tags,
        media=media,
        urls=ctx.urls,
        in_reply_to_uri=parent_uri,
        conversation_uri=conversation,
        poll=poll,
    )
    return document, mentioned


async def _audience(status: Status, mentioned: list[Account]) -> list[Account]:
    recipients = list(mentioned)
    if status.in_reply_to_account_id is not None:  # type: ignore[attr-defined]
        parent_author = await Account.get_or_none(id=status.in_reply_to_account_id)  # type: ignore[attr-defined]
        if parent_author is not None and status.visibility != "direct":
            recipients.append(parent_author)
    return recipients


def create_activity(status: Status, document: dict[str, Any]) -> dict[str, Any]:
    """The `Create` of a local status's object (as delivered, and as its /activity URL and the
    outbox serve it)."""
    return renderers.activity(
        "Create",
        f"{status.uri}/activity",
        status.account,
        document,
        to=document["to"],
        cc=document["cc"],
        published=document["published"],
    )


async def status_created(ctx: AppContext, status: Status) -> None:
    author = status.account
    document, mentioned = await note_document(ctx, status)
    activity = create_activity(status, document)
    await publish(
        author,
        activity,
        followers_of=author if status.visibility != "direct" else None,
        recipients=await _audience(status, mentioned),
    )


async def status_updated(ctx: AppContext, status: Status) -> None:
    author = status.account
    document, mentioned = await note_document(ctx, status)
    activity = renderers.activity(
        "Update",
        # the edit's time to the microsecond: two edits in one second are two activities
        f"{status.uri}#updates/{int(status.edited_at.timestamp() * 1e6) if status.edited_at else 0}",
        author,
        document,
        to=document["to"],
        cc=document["cc"],
        published=document.get("updated"),
    )
    await publish(
        author,
        activity,
        followers_of=author if status.visibility != "direct" else None,
        recipients=await _audience(status, mentioned),
    )


async def poll_updated(ctx: AppContext, status: Status) -> None:
    """A local poll's new counts or its end, as Update(Question), to everyone who got the
    status and to the remote accounts that voted."""
    from fedianon.models.statuses import Poll, PollVote

    author = status.account
    document, mentioned = await note_document(ctx, status)
    poll = await Poll.get_or_none(status_id=status.id)
    voters = (
        await Account.filter(
            id__in=Subquery(PollVote.filter(poll_id=poll.id).values("account_id")),
            domain__isnull=False,
        )
        if poll is not None
        else []
    )
    activity = renderers.activity(
        "Update",
        f"{status.uri}#updates/poll/{new_id()}",
        author,
        document,
        to=document["to"],
        cc=document["cc"],
    )
    await publish(
        author,
        activity,
        followers_of=author if status.visibility != "direct" else None,
        recipients=[*await _audience(status, mentioned), *voters],
    )


async def status_deleted(ctx: AppContext, status: Status) -> None:
    author = status.account
    if status.reblog_of_id is not None:  # type: ignore[attr-defined]
        original = await Status.get(id=status.reblog_of_id).select_related("account")  # type: ignore[attr-defined]
        await _undo(
            author,
            announce_activity(status, original),
            followers_of=author,
            recipients=[original.account],
        )
        return
    mentioned = await Account.filter(
        id__in=Subquery(Mention.filter(status_id=status.id).values("account_id"))
    )
    to, cc = renderers.addressing(status, author, mentioned)
    activity = renderers.activity(
        "Delete",
        f"{status.uri}#delete",
        author,
        {"id": status.uri, "type": "Tombstone", "atomUri": status.uri},
        to=to,
        cc=cc,
    )
    await publish(
        author,
        activity,
        followers_of=author if status.visibility != "direct" else None,
        recipients=await _audience(status, mentioned),
    )


def announce_activity(boost: Status, original: Status) -> dict[str, Any]:
    author = boost.account
    to = [PUBLIC] if boost.visibility == "public" else [renderers.followers_url(author)]
    cc = (
        [original.account.uri, renderers.followers_url(author)]
        if boost.visibility == "public"
        else [original.account.uri]
    )
    if boost.visibility == "unlisted":
        cc.append(PUBLIC)
    return renderers.activity(
        "Announce",
        boost.uri,
        author,
        original.uri,
        to=to,
        cc=cc,
        published=iso_seconds(boost.created_at),
    )


async def reblogged(ctx: AppContext, boost: Status, original: Status) -> None:
    await publish(
        boost.account,
        announce_activity(boost, original),
        followers_of=boost.account,
        recipients=[original.account],
    )


async def _undo(
    actor: Account,
    inner: dict[str, Any],
    *,
    followers_of: Account | None = None,
    recipients: list[Account] | None = None,
) -> None:
    inner = {k: v for k, v in inner.items() if k != "@context"}
    activity = renderers.activity("Undo", f"{inner['id']}/undo", actor, inner)
    await publish(actor, activity, followers_of=followers_of, recipients=recipients)


def like_activity(actor: Account, status: Status, like_id: int) -> dict[str, Any]:
    return renderers.activity("Like", f"{actor.uri}#likes/{like_id}", actor, status.uri)


async def favourited(ctx: AppContext, actor: Account, status: Status, like_id: int) -> None:
    await publish(actor, like_activity(actor, status, like_id), recipients=[status.account])


async def unfavourited(ctx: AppContext, actor: Account, status: Status, like_id: int) -> None:
    await _undo(actor, like_activity(actor, status, like_id), recipients=[status.account])


def follow_activity(follower: Account, target: Account, follow_uri: str) -> dict[str, Any]:
    return renderers.activity("Follow", follow_uri, follower, target.uri)


async def follow_requested(
    ctx: AppContext, follower: Account, target: Account, follow_uri: str
) -> None:
    await publish(follower, follow_activity(follower, target, follow_uri), recipients=[target])


async def unfollowed(ctx: AppContext, follower: Account, target: Account, follow_uri: str) -> None:
    await _undo(follower, follow_activity(follower, target, follow_uri), recipients=[target])


async def follow_answered(
    ctx: AppContext, target: Account, follower: Account, follow_uri: str, *, accepted: bool
) -> None:
    """Accept or Reject of a remote follower's Follow, embedding it as Mastodon does."""
    inner = {"id": follow_uri, "type": "Follow", "actor": follower.uri, "object": target.uri}
    kind = "Accept" if accepted else "Reject"
    suffix = "accepts" if accepted else "rejects"
    activity = renderers.activity(
        kind,
        f"{target.uri}#{suffix}/follows/{hashlib.sha256(follow_uri.encode()).hexdigest()[:16]}",
        target,
        inner,
    )
    await publish(target, activity, recipients=[follower])


async def removed_follower(
    ctx: AppContext, target: Account, follower: Account, follow_uri: str
) -> None:
    await follow_answered(ctx, target, follower, follow_uri, accepted=False)


def block_activity(actor: Account, target: Account, block_uri: str) -> dict[str, Any]:
    return renderers.activity("Block", block_uri, actor, target.uri)


async def blocked(ctx: AppContext, actor: Account, target: Account, block_uri: str) -> None:
    await publish(actor, block_activity(actor, target, block_uri), recipients=[target])


async def unblocked(ctx: AppContext, actor: Account, target: Account, block_uri: str) -> None:
    await _undo(actor, block_activity(actor, target, block_uri), recipients=[target])


async def profile_updated(ctx: AppContext, account: Account) -> None:
    document = renderers.person(account, ctx.urls)
    document.pop("@context", None)
    activity = renderers.activity(
        "Update",
        f"{account.uri}#updates/{new_id()}",  # unique: peers drop an id seen before
        account,
        document,
        to=[PUBLIC],
    )
    await publish(account, activity, followers_of=account)


async def account_deleted(
    ctx: AppContext, account: Account, remote_contacts: list[Account]
) -> None:
    activity = renderers.activity(
        "Delete", f"{account.uri}#delete", account, account.uri, to=[PUBLIC]
    )
    # The audience is computed now: the follows are deleted right after.
    await publish(account, activity, recipients=remote_contacts)


async def follow_severed(
    ctx: AppContext, local: Account, remote: Account, follow_uri: str, *, local_follows: bool
) -> None:
    """A moderator suspended `remote`: tell its server that this follow is over (an Undo of
    our Follow, or a Reject of theirs), although deliveries to it otherwise stop now."""
    inbox = remote.shared_inbox_url or remote.inbox_url
    if not inbox:
        return
    if local_follows:
        inner = follow_activity(local, remote, follow_uri)
        inner.pop("@context", None)
        activity = renderers.activity("Undo", f"{follow_uri}/undo", local, inner)
    else:
        inner = {"id": follow_uri, "type": "Follow", "actor": remote.uri, "object": local.uri}
        digest = hashlib.sha256(follow_uri.encode()).hexdigest()[:16]
        activity = renderers.activity(
            "Reject", f"{local.uri}#rejects/follows/{digest}", local, inner
        )
    await publish(local, activity, inboxes=[inbox])


async def report_forwarded(
    ctx: AppContext,
    report_uri: str,
    target: Account,
    status_uris: list[str],
    comment: str,
    recipients: list[Account],
) -> None:
    """A `Flag` to the reported account's server (and the servers it replied to, when asked),
    sent by the instance actor: it names the account, the statuses and the comment, and
    nothing about who reported."""
    instance_actor: Account = ctx.extras["instance_actor"]
    activity = renderers.activity("Flag", report_uri, instance_actor, [target.uri, *status_uris])
    activity["content"] = comment
    await publish(instance_actor, activity, recipients=recipients)

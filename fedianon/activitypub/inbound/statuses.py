"""Remote statuses: Create, Update and Delete of Notes (Article, Page and Question too),
Announce of any status. The status is stored like a local one, so every client endpoint
shows it the same way (acct `user@host`, remote media as links)."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from fedianon.activitypub import policy
from fedianon.activitypub.remote import (
    RemoteError,
    fetch_actor,
    fetch_document,
    host_of,
    is_local_url,
)
from fedianon.context import AppContext
from fedianon.db import atomic, on_commit
from fedianon.errors import ValidationFailed
from fedianon.ids import new_id
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.statuses import Conversation, Mention, Poll, Status, StatusEdit, StatusTag
from fedianon.services import conversations, counters, events, feeds, notifications, polls
from fedianon.services.statuses import _tags_for, remove_status
from fedianon.services.text import html_to_text, sanitize_html
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.inbound")
MAX_PARENT_DEPTH = 3


class Rejected(Exception):
    """The activity is not acceptable (spoofed author, wrong shape): drop it, don't retry."""


def visibility_of(note: as2.Note | as2.Activity, author: Account) -> str:
    to = set(note.to)
    cc = set(note.cc)
    if as2.PUBLIC in to:
        return "public"
    if as2.PUBLIC in cc:
        return "unlisted"
    followers = author.followers_url
    if followers and (followers in to or followers in cc):
        return "private"
    return "direct"


def _content(note: as2.Note) -> str:
    raw = note.content
    if raw is None and note.content_map:
        raw = next(iter(note.content_map.values()), None)
    text = raw or ""
    if note.media_type and note.media_type.startswith("text/markdown"):
        # PeerTube sends Markdown as content: show it as text rather than guess.
        text = "<p>" + html.escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
    if note.type in ("Article", "Page", "Event", "Video") and note.name:
        link = note.url if isinstance(note.url, str) else note.id
        text = f'<p><strong>{html.escape(note.name)}</strong></p>{text}<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
    return sanitize_html(text)


def _published(note: as2.Note) -> datetime:
    now = utcnow()
    published = note.published or now
    return min(published, now)


ID_DRAWS = 8


async def _create_backdated(uri: str, at: datetime, **fields: Any) -> Status | None:
    """Insert a remote status whose id is backdated to `at`, its published time; None when a
    status with `uri` is already stored (a concurrent import won). A backdated id's low 16 bits
    are random, and many servers publish with one-second precision, so two statuses can draw
    the same id: the insert is then retried with a fresh draw."""
    for _ in range(ID_DRAWS):
        try:
            async with atomic():
                return await Status.create(id=new_id(at), uri=uri, created_at=at, **fields)
        except IntegrityError:
            if await Status.filter(uri=uri).exists():
                return None
    raise IntegrityError(f"no free status id at {at.isoformat()} after {ID_DRAWS} draws")


async def find_status(uri: str) -> Status | None:
    """A known status by its id, or (for our own posts) by its public page URL."""
    found = await Status.get_or_none(uri=uri).select_related("account")
    if found is None and "/@" in uri:
        found = await Status.get_or_none(url=uri, local=True).select_related("account")
    return found


async def resolve_status(ctx: AppContext, uri: str, *, depth: int = 0) -> Status | None:
    """A status by URI: known already, or fetched and imported (parents up to a few levels)."""
    found = await find_status(uri)
    if found is not None or is_local_url(ctx, uri) or depth > MAX_PARENT_DEPTH:
        return found
    try:
        document = await fetch_document(ctx, uri)
        parsed = as2.parse(document)
    except (RemoteError, as2.ParseError) as exc:
        log.info(
            "could not fetch a status: %s", getattr(exc, "reason", getattr(exc, "message", exc))
        )
        return None
    if not isinstance(parsed, as2.Note) or not parsed.attributed_to:
        return None
    try:
        author = await fetch_actor(ctx, parsed.attributed_to)
    except RemoteError:
        return None
    try:
        return await import_note(ctx, parsed, author, depth=depth + 1)
    except Rejected:
        return None


async def import_note(
    ctx: AppContext,
    note: as2.Note,
    author: Account,
    *,
    depth: int = 0,
    activity: as2.Activity | None = None,
) -> Status:
    """Store a remote Note (idempotent by URI) with its mentions, tags, media and thread."""
    if not note.id:
        raise Rejected("the note has no id")  # nothing could ever refer to it again
    if await Status.filter(uri=note.id).exists():
        return await find_status(note.id)  # type: ignore[return-value]
    if note.attributed_to != author.uri:
        raise Rejected(
            f"the note's attributedTo ({note.attributed_to}) is not the actor ({author.uri})"
        )
    if host_of(note.id) != host_of(author.uri):
        raise Rejected("the note lives on another host than its author")
    parent = None
    if note.in_reply_to:
        parent = await resolve_status(ctx, note.in_reply_to, depth=depth)
    visibility = visibility_of(note, author)
    mentioned = await _mentioned_accounts(ctx, note)
    tag_names = [t.name.lstrip("#") for t in note.tags if isinstance(t, as2.Hashtag) and t.name][
        :30
    ]
    tags = await _tags_for([n for n in tag_names if n])
    published = _published(note)
    media_rejected = await policy.rejects_media(author.domain)
    async with atomic():
        conversation_id = await _conversation_for(note, parent)
        status = await _create_backdated(
            note.id,
            published,
            account=author,
            url=note.url if isinstance(note.url, str) else note.id,
            local=False,
            content=_content(note),
            text="",
            spoiler_text=html_to_text(note.summary or "")[:1000],
            visibility=visibility,
            sensitive=bool(note.sensitive) or bool(note.summary),
            language=_language(note),
            in_reply_to_id=parent.id if parent else None,
            in_reply_to_account_id=parent.account_id if parent else None,  # type: ignore[attr-defined]
            in_reply_to_uri=note.in_reply_to,
            reply_to_other=bool(note.in_reply_to)
            and (parent is None or parent.account_id != author.id),  # type: ignore[attr-defined]
            conversation_id=conversation_id,
            has_media=bool(note.attachments) and not media_rejected,
            emojis=emojis_of(list(note.tags), rejected=media_rejected),
            edited_at=note.updated if note.updated and note.updated > published else None,
        )
        if status is None:
            found = await find_status(note.id)
            if found is None:
                raise IntegrityError(f"{note.id} vanished while it was being imported")
            return found
        if mentioned:
            await Mention.bulk_create(
                [Mention(status_id=status.id, account_id=a.id) for a in mentioned],
                ignore_conflicts=True,
            )
        if tags:
            await StatusTag.bulk_create(
                [StatusTag(status_id=status.id, tag_id=t.id) for t in tags], ignore_conflicts=True
            )
        if not media_rejected:
            await _store_attachments(status, author, note)
        if note.poll is not None:
            await _store_poll(ctx, status, note)
        await counters.increment(Account, author.id, "statuses_count", last_status_at=published)
        if parent is not None:
            await counters.increment(Status, parent.id, "replies_count")
        await feeds.fan_out(
            status, author, mentioned_ids=[a.id for a in mentioned], tag_ids=[t.id for t in tags]
        )
        for account in mentioned:
            if account.domain is None:
                await notifications.notify(account, author, "mention", status)
        await conversations.record_direct(status, author, [a.id for a in mentioned])
    status.account = author
    return status


def emojis_of(tags: list[object], *, rejected: bool) -> list[dict[str, object]] | None:
    """Remote custom emojis as Mastodon's CustomEmoji entities, linking the remote image."""
    if rejected:
        return None
    found = []
    for tag in tags[:50]:
        if isinstance(tag, as2.Emoji) and tag.icon_url and as2.is_http_url(tag.icon_url):
            shortcode = tag.name.strip(":")
            if (
                shortcode
                and len(shortcode) <= 100
                and shortcode.replace("_", "").replace("-", "").isalnum()
            ):
                found.append(
                    {
                        "shortcode": shortcode,
                        "url": tag.icon_url,
                        "static_url": tag.icon_url,
                        "visible_in_picker": False,
                    }
                )
    return found or None


def _language(note: as2.Note) -> str | None:
    if note.language:
        return note.language[:16]
    if note.content_map:
        key = next(iter(note.content_map))
        return key[:16] if key and key.replace("-", "").isalpha() else None
    return None


async def _mentioned_accounts(ctx: AppContext, note: as2.Note) -> list[Account]:
    found: list[Account] = []
    for tag in note.tags:
        if not isinstance(tag, as2.Mention) or not tag.href:
            continue
        account = await Account.get_or_none(uri=tag.href) or await Account.get_or_none(
            url=tag.href, domain=None
        )
        if account is not None and all(a.id != account.id for a in found):
            found.append(account)
    return found


async def _conversation_for(note: as2.Note, parent: Status | None) -> int:
    if parent is not None and parent.conversation_id is not None:  # type: ignore[attr-defined]
        return int(parent.conversation_id)  # type: ignore[attr-defined]
    if note.conversation:
        conversation, _ = await Conversation.get_or_create(uri=note.conversation[:1024])
        return conversation.id
    return (await Conversation.create()).id


def _attachment_type(media_type: str | None, kind: str | None) -> str:
    media_type = (media_type or "").lower()
    if media_type.startswith("image/gif"):
        return "gifv" if kind == "Video" else "image"
    if media_type.startswith("image/") or kind == "Image":
        return "image"
    if media_type.startswith("video/") or kind == "Video":
        return "video"
    if media_type.startswith("audio/") or kind == "Audio":
        return "audio"
    return "unknown"


async def _store_attachments(status: Status, author: Account, note: as2.Note) -> None:
    rows = []
    for position, item in enumerate(note.attachments[:8]):
        if not item.url or not as2.is_http_url(item.url):
            continue
        meta = {}
        if item.width and item.height:
            meta = {
                "original": {
                    "width": item.width,
                    "height": item.height,
                    "size": f"{item.width}x{item.height}",
                    "aspect": round(item.width / item.height, 6),
                }
            }
        focus = item.focal_point or (0.0, 0.0)
        rows.append(
            MediaAttachment(
                account_id=author.id,
                status_id=status.id,
                position=position,
                type=_attachment_type(item.media_type, item.type),
                content_type=item.media_type,
                remote_url=item.url,
                description=(item.name or None),
                blurhash=item.blurhash,
                meta=meta,
                focus_x=float(focus[0]),
                focus_y=float(focus[1]),
            )
        )
    if rows:
        await MediaAttachment.bulk_create(rows)


async def _store_poll(ctx: AppContext, status: Status, note: as2.Note) -> None:
    """A remote Question's options and counts, refreshed on every Update."""
    spec = note.poll
    if spec is None or not spec.options:
        return
    options = [
        {"title": (o.name or "")[:200], "votes_count": max(0, int(o.votes or 0))}
        for o in spec.options[:20]
    ]
    closed_at = spec.closed_at or (utcnow() if spec.closed else None)
    existing = await Poll.get_or_none(status_id=status.id)
    values = {
        "options": options,
        "multiple": bool(spec.multiple),
        "expires_at": spec.end_time,
        "closed_at": closed_at,
        "votes_count": sum(o["votes_count"] for o in options),
        "voters_count": int(spec.voters_count or 0),
    }
    if existing is None:
        poll = await Poll.create(status=status, **values)
        await polls.schedule_expiry(poll)
    else:
        await Poll.filter(id=existing.id).update(**values)


async def remote_vote(note: as2.Note, voter: Account) -> bool:
    """A poll vote is a Note with a `name` (the option) replying to a local Question."""
    if not note.name or note.content or not note.in_reply_to:
        return False
    status = await Status.get_or_none(uri=note.in_reply_to, local=True)
    poll = await Poll.get_or_none(status_id=status.id) if status is not None else None
    if poll is None:
        return False
    try:
        await polls.record_remote_vote(poll, voter, [note.name], uri=note.id)
    except ValidationFailed as exc:
        log.info("ignored a remote vote: %s", exc.message)
    return True


async def update_note(ctx: AppContext, note: as2.Note, author: Account) -> Status | None:
    status = await find_status(note.id)
    if status is None:
        return None
    if status.account_id != author.id:  # type: ignore[attr-defined]
        raise Rejected("an Update of someone else's status")
    now = utcnow()
    async with atomic():
        if not await StatusEdit.filter(status_id=status.id).exists():
            await StatusEdit.create(
                status=status,
                content=status.content,
                spoiler_text=status.spoiler_text,
                sensitive=status.sensitive,
                created_at=status.created_at,
            )
        status.content = _content(note)
        status.emojis = emojis_of(
            list(note.tags), rejected=await policy.rejects_media(author.domain)
        )
        status.spoiler_text = html_to_text(note.summary or "")[:1000]
        status.sensitive = bool(note.sensitive) or bool(note.summary)
        status.edited_at = note.updated or now
        await status.save()
        await StatusEdit.create(
            status=status,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            created_at=status.edited_at,
        )
        mentioned = await _mentioned_accounts(ctx, note)
        before = set(await Mention.filter(status_id=status.id).values_list("account_id", flat=True))
        await Mention.filter(status_id=status.id).delete()
        if mentioned:
            await Mention.bulk_create(
                [Mention(status_id=status.id, account_id=a.id) for a in mentioned],
                ignore_conflicts=True,
            )
        for account in mentioned:
            if account.domain is None and account.id not in before:
                await notifications.notify(account, author, "mention", status)
        for boost in await Status.filter(
            reblog_of_id=status.id, account__domain__isnull=True
        ).select_related("account"):
            await notifications.notify(boost.account, author, "update", status)
        if note.poll is not None:
            await _store_poll(ctx, status, note)
        sid = status.id
        on_commit(lambda: events.emit("status.updated", status_id=sid))
    return status


async def delete_object(ctx: AppContext, uri: str, actor: Account) -> None:
    status = await Status.get_or_none(uri=uri).select_related("account")
    if status is None:
        return
    if status.account_id != actor.id:  # type: ignore[attr-defined]
        raise Rejected("a Delete of someone else's status")
    await remove_status(ctx, status, federate=False)


async def announce(ctx: AppContext, activity: as2.Activity, actor: Account) -> Status | None:
    object_uri = activity.object_id
    if not object_uri or not activity.id:
        raise Rejected("an Announce without object or id")
    existing = await Status.get_or_none(uri=activity.id)
    if existing is not None:
        return existing
    # An embedded object is never trusted: the original is fetched from its own host (its id is
    # the embedded object's id, so there is nothing else to try).
    original = await resolve_status(ctx, object_uri)
    if original is None:
        return None
    if original.reblog_of_id is not None or original.visibility not in ("public", "unlisted"):  # type: ignore[attr-defined]
        raise Rejected("only public or unlisted statuses can be boosted")
    published = min(activity.published or utcnow(), utcnow())
    visibility = visibility_of(activity, actor)
    async with atomic():
        boost = await _create_backdated(
            activity.id,
            published,
            account=actor,
            url=activity.id,
            local=False,
            visibility=visibility if visibility != "direct" else "public",
            reblog_of=original,
        )
        if boost is None:
            return await Status.get_or_none(uri=activity.id)
        await counters.increment(Status, original.id, "reblogs_count")
        await counters.increment(Account, actor.id, "statuses_count", last_status_at=published)
        await feeds.fan_out(boost, actor, mentioned_ids=[], tag_ids=[])
        if original.account.domain is None:
            await notifications.notify(original.account, actor, "reblog", original)
    return boost


async def undo_announce(ctx: AppContext, activity_uri: str, actor: Account) -> None:
    boost = await Status.get_or_none(uri=activity_uri, account_id=actor.id).select_related(
        "account"
    )
    if boost is None or boost.reblog_of_id is None:  # type: ignore[attr-defined]
        return
    await remove_status(ctx, boost, federate=False)
    await notifications.Notification.filter(
        from_account_id=actor.id, type="reblog", status_id=boost.reblog_of_id
    ).delete()  # type: ignore[attr-defined]

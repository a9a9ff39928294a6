"""Statuses: post, edit, delete, look up, thread context, history.

Every write runs in one transaction that also maintains the counters, the home feeds, the
notifications and the federation outbox, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError

from fedianon.context import AppContext
from fedianon.db import atomic, on_commit
from fedianon.errors import Forbidden, NotFound, ValidationFailed
from fedianon.ids import new_id
from fedianon.models.accounts import Account
from fedianon.models.social import Follow, IdempotencyKey
from fedianon.models.statuses import (
    VISIBILITIES,
    Conversation,
    Mention,
    Status,
    StatusEdit,
    StatusTag,
    Tag,
)
from fedianon.services import (
    conversations,
    counters,
    events,
    feeds,
    media,
    notifications,
    outbox,
    polls,
)
from fedianon.services.mentions import resolve_mentions
from fedianon.services.text import count_characters, find_hashtags, plain_to_html
from fedianon.services.visibility import can_view, visible_ids
from fedianon.timeutil import utcnow

MAX_CONTEXT = 4096


@dataclass
class StatusDraft:
    text: str = ""
    spoiler_text: str = ""
    visibility: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: dict[str, object] | None = None
    # Edits of attached media (Mastodon's `media_attributes[]`), by media id.
    media_descriptions: dict[int, str | None] = field(default_factory=dict)
    media_focuses: dict[int, tuple[float, float]] = field(default_factory=dict)
    application_name: str | None = None
    application_website: str | None = None


def _poll_spec(draft: StatusDraft) -> polls.PollSpec | None:
    """The draft's poll, validated; a poll and media together are refused (as Mastodon)."""
    if draft.poll is None:
        return None
    if draft.media_ids:
        raise ValidationFailed(polls.MSG_WITH_MEDIA)
    return polls.parse_spec(draft.poll)


async def get_visible(status_id: int, viewer: Account | None) -> Status:
    """The status (account and reblog loaded) if the viewer may see it, else NotFound."""
    status = await Status.get_or_none(id=status_id).select_related(
        "account", "reblog_of", "reblog_of__account"
    )
    if status is None or not await can_view(status, viewer):
        raise NotFound()
    if status.reblog_of_id is not None and not await can_view(status.reblog_of, viewer):  # type: ignore[attr-defined]
        raise NotFound()
    return status


def _validate_text(ctx: AppContext, draft: StatusDraft, *, has_attachments: bool) -> str:
    text = draft.text.strip()
    if not text and not has_attachments:
        raise ValidationFailed("Validation failed: Text can't be blank")
    limit = ctx.settings.max_characters
    if count_characters(text) + len(draft.spoiler_text) > limit:
        raise ValidationFailed(f"Validation failed: Text character limit of {limit} exceeded")
    if draft.visibility is not None and draft.visibility not in VISIBILITIES:
        raise ValidationFailed(
            f"Validation failed: Visibility {draft.visibility!r} is not one of {', '.join(VISIBILITIES)}"
        )
    if (
        draft.language is not None
        and draft.language
        and (len(draft.language) > 16 or not draft.language.replace("-", "").isalpha())
    ):
        raise ValidationFailed("Validation failed: Language is not a language code")
    return text


async def _tags_for(names: list[str]) -> list[Tag]:
    tags = []
    for name in names[:30]:
        key = name.lower()
        tag = await Tag.get_or_none(name=key)
        if tag is None:
            try:
                async with atomic():
                    tag = await Tag.create(name=key, display_name=name)
            except IntegrityError:
                tag = await Tag.get(name=key)
        tags.append(tag)
    return tags


async def post_status(
    ctx: AppContext, author: Account, draft: StatusDraft, *, idempotency_key: str | None = None
) -> Status:
    """Create a local status. Raises ValidationFailed / NotFound with Mastodon's messages."""
    if idempotency_key:
        existing = await IdempotencyKey.get_or_none(account_id=author.id, key=idempotency_key[:255])
        if (
            existing is not None
            and (found := await Status.get_or_none(id=existing.status_id)) is not None
        ):
            return found
    text = _validate_text(
        ctx, draft, has_attachments=bool(draft.media_ids) or draft.poll is not None
    )
    poll_spec = _poll_spec(draft)
    await media.check_attachable(author, draft.media_ids, None)
    parent: Status | None = None
    if draft.in_reply_to_id is not None:
        parent = await get_visible(draft.in_reply_to_id, author)
        if parent.reblog_of_id is not None:  # type: ignore[attr-defined]
            raise ValidationFailed("Validation failed: You cannot reply to a boost")
    visibility = draft.visibility or author.default_visibility
    mentioned, targets = await resolve_mentions(
        text, local_domain=ctx.settings.domain, remote=ctx.resolve_remote_account
    )
    tags = await _tags_for(find_hashtags(text))
    now = utcnow()
    status_id = new_id()
    async with atomic():
        if parent is not None and parent.conversation_id is not None:  # type: ignore[attr-defined]
            conversation_id = parent.conversation_id  # type: ignore[attr-defined]
        else:
            conversation_id = (await Conversation.create()).id
        status = await Status.create(
            id=status_id,
            account=author,
            uri=ctx.urls.status(author.username, status_id),
            url=ctx.urls.status_page(author.username, status_id),
            local=True,
            content=plain_to_html(text, targets, ctx.urls.tag),
            text=text,
            spoiler_text=draft.spoiler_text,
            visibility=visibility,
            sensitive=bool(draft.sensitive) or bool(draft.spoiler_text),
            language=draft.language or author.default_language,
            in_reply_to_id=parent.id if parent else None,
            in_reply_to_account_id=parent.account_id if parent else None,  # type: ignore[attr-defined]
            in_reply_to_uri=parent.uri if parent else None,
            reply_to_other=parent is not None and parent.account_id != author.id,  # type: ignore[attr-defined]
            conversation_id=conversation_id,
            application_name=draft.application_name,
            application_website=draft.application_website,
            created_at=now,
        )
        await _write_mentions_and_tags(status, mentioned, tags)
        if draft.media_ids:
            await media.attach(author, status, draft.media_ids, editing=False)
        if poll_spec is not None:
            await polls.create_for_status(status, poll_spec)
        await counters.increment(Account, author.id, "statuses_count", last_status_at=now)
        if parent is not None:
            await counters.increment(Status, parent.id, "replies_count")
        if idempotency_key:
            await IdempotencyKey.create(
                account=author, key=idempotency_key[:255], status_id=status.id
            )
        await feeds.fan_out(
            status, author, mentioned_ids=[a.id for a in mentioned], tag_ids=[t.id for t in tags]
        )
        await conversations.record_direct(status, author, [a.id for a in mentioned])
        for account in mentioned:
            await notifications.notify(account, author, "mention", status)
        await _notify_subscribers(author, status)
        await outbox.status_created(ctx, status)
    author.statuses_count += 1
    return status


async def _write_mentions_and_tags(
    status: Status, mentioned: list[Account], tags: list[Tag]
) -> None:
    if mentioned:
        await Mention.bulk_create(
            [Mention(status_id=status.id, account_id=a.id) for a in mentioned],
            ignore_conflicts=True,
        )
    if tags:
        await StatusTag.bulk_create(
            [StatusTag(status_id=status.id, tag_id=t.id) for t in tags], ignore_conflicts=True
        )


async def _notify_subscribers(author: Account, status: Status) -> None:
    """`status` notifications for followers who asked to be notified (bell icon)."""
    if status.visibility == "direct" or status.in_reply_to_id is not None:
        return
    follows = await Follow.filter(
        target_account_id=author.id, notify=True, account__domain__isnull=True
    ).select_related("account")
    for follow in follows:
        await notifications.notify(follow.account, author, "status", status)


async def edit_status(
    ctx: AppContext, editor: Account, status_id: int, draft: StatusDraft
) -> Status:
    status = await _own_status(editor, status_id)
    if status.reblog_of_id is not None:  # type: ignore[attr-defined]
        raise ValidationFailed("Validation failed: A boost cannot be edited")
    text = _validate_text(
        ctx,
        draft,
        has_attachments=bool(draft.media_ids) or draft.poll is not None,
    )
    poll_spec = _poll_spec(draft)
    await media.check_attachable(editor, draft.media_ids, status.id)
    mentioned, targets = await resolve_mentions(
        text, local_domain=ctx.settings.domain, remote=ctx.resolve_remote_account
    )
    tags = await _tags_for(find_hashtags(text))
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
        status.text = text
        status.content = plain_to_html(text, targets, ctx.urls.tag)
        status.spoiler_text = draft.spoiler_text
        status.sensitive = bool(draft.sensitive) or bool(draft.spoiler_text)
        if draft.language is not None:
            status.language = draft.language or None
        status.edited_at = now
        await media.attach(
            editor,
            status,
            draft.media_ids,
            editing=True,
            descriptions=draft.media_descriptions,
            focuses=draft.media_focuses,
        )
        await polls.replace_for_status(status, poll_spec)
        await status.save()
        await StatusEdit.create(
            status=status,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            created_at=now,
        )
        old_mentions = set(
            await Mention.filter(status_id=status.id).values_list("account_id", flat=True)
        )
        await Mention.filter(status_id=status.id).delete()
        await StatusTag.filter(status_id=status.id).delete()
        await _write_mentions_and_tags(status, mentioned, tags)
        for account in mentioned:
            if account.id not in old_mentions:
                await notifications.notify(account, editor, "mention", status)
        boosters = await Status.filter(
            reblog_of_id=status.id, account__domain__isnull=True
        ).select_related("account")
        for boost in boosters:
            await notifications.notify(boost.account, editor, "update", status)
        await outbox.status_updated(ctx, status)
        sid = status.id
        on_commit(lambda: events.emit("status.updated", status_id=sid))
    return status


async def _own_status(viewer: Account, status_id: int) -> Status:
    status = await Status.get_or_none(id=status_id).select_related("account")
    if status is None or not await can_view(status, viewer):
        raise NotFound()
    if status.account_id != viewer.id:  # type: ignore[attr-defined]
        raise Forbidden("This action is not allowed")
    return status


async def delete_status(
    ctx: AppContext, actor: Account, status_id: int, *, by_moderator: bool = False
) -> Status:
    """Delete a status (and its boosts); returns the deleted row for delete-and-redraft."""
    status = await Status.get_or_none(id=status_id).select_related("account")
    if status is None:
        raise NotFound()
    if status.account_id != actor.id and not by_moderator:  # type: ignore[attr-defined]
        if await can_view(status, actor):
            raise Forbidden("This action is not allowed")
        raise NotFound()
    await remove_status(ctx, status)
    return status


async def remove_status(ctx: AppContext, status: Status, *, federate: bool = True) -> None:
    """Remove a status row with its boosts, fixing every counter; used for local and remote deletes."""
    author = status.account
    async with atomic():
        if federate and author.domain is None:
            await outbox.status_deleted(ctx, status)
        boosts = await Status.filter(reblog_of_id=status.id).values_list(
            "id", "account_id", "visibility"
        )
        for boost_id, booster_id, boost_visibility in boosts:
            await counters.decrement(Account, booster_id, "statuses_count")
            await _emit_delete(boost_id, booster_id, boost_visibility)
        await Status.filter(reblog_of_id=status.id).delete()
        if status.in_reply_to_id is not None:  # type: ignore[attr-defined]
            await counters.decrement(Status, status.in_reply_to_id, "replies_count")  # type: ignore[attr-defined]
        if status.reblog_of_id is not None:  # type: ignore[attr-defined]
            await counters.decrement(Status, status.reblog_of_id, "reblogs_count")  # type: ignore[attr-defined]
        await counters.decrement(Account, author.id, "statuses_count")
        await conversations.status_removed(status)
        await _emit_delete(status.id, author.id, status.visibility)
        if status.local:
            await media.detach_all(status.id)
        await Status.filter(id=status.id).delete()


async def remove_all_of(ctx: AppContext, account_ids: Collection[int]) -> int:
    """Remove every status of these accounts, newest first, without federating the deletes
    (the account is going or gone, or its server is suspended); returns how many there were."""
    statuses = (
        await Status.filter(account_id__in=list(account_ids))
        .select_related("account")
        .order_by("-id")
    )
    for status in statuses:
        await remove_status(ctx, status, federate=False)
    return len(statuses)


async def _emit_delete(status_id: int, account_id: int, visibility: str) -> None:
    """After commit, tell streams; who held it is read now, before the rows go."""
    homes, lists = await feeds.readers_of(status_id)
    on_commit(
        lambda: events.emit(
            "status.deleted",
            status_id=status_id,
            account_id=account_id,
            visibility=visibility,
            home_account_ids=homes,
            list_ids=lists,
        )
    )


@dataclass
class Thread:
    ancestors: list[Status]
    descendants: list[Status]


async def context(status_id: int, viewer: Account | None) -> Thread:
    status = await get_visible(status_id, viewer)
    ancestors: list[Status] = []
    current = status
    seen = {status.id}
    while current.in_reply_to_id is not None and len(ancestors) < 40:  # type: ignore[attr-defined]
        parent = await Status.get_or_none(id=current.in_reply_to_id).select_related("account")  # type: ignore[attr-defined]
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        ancestors.append(parent)
        current = parent
    ancestors.reverse()
    descendants: list[Status] = []
    frontier = [status.id]
    while frontier and len(descendants) < MAX_CONTEXT:
        children = (
            await Status.filter(in_reply_to_id__in=frontier)
            .select_related("account")
            .order_by("id")
        )
        children = [c for c in children if c.id not in seen]
        seen.update(c.id for c in children)
        descendants.extend(children)
        frontier = [c.id for c in children]
    from fedianon.services.visibility import viewer_filter

    hidden = await viewer_filter(viewer)
    allowed = await visible_ids(ancestors + descendants, viewer, hidden)
    keep_ancestors = [s for s in ancestors if s.id in allowed]
    keep_descendants = [
        s
        for s in _depth_first(status.id, descendants)
        if s.id in allowed and not hidden.hides(s.account)
    ]
    return Thread(keep_ancestors, keep_descendants)


def _depth_first(root_id: int, statuses: list[Status]) -> list[Status]:
    children: dict[int, list[Status]] = {}
    for status in statuses:
        children.setdefault(status.in_reply_to_id, []).append(status)  # type: ignore[attr-defined, arg-type]
    ordered: list[Status] = []
    stack = list(reversed(children.get(root_id, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return ordered


async def history(status_id: int, viewer: Account | None) -> tuple[Status, list[StatusEdit]]:
    status = await get_visible(status_id, viewer)
    edits = await StatusEdit.filter(status_id=status.id).order_by("id")
    return status, edits

"""Applying activities received in the inbox, one handler per (activity, object type).

The `ap.inbox` job runs `apply()`; the activity id is recorded in `processed_activities` so a
redelivered activity applies once. Unknown activity types are logged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from fedianon.activitypub.inbound import actors, follows, interactions, statuses
from fedianon.activitypub.remote import RemoteError, fetch_actor, host_of
from fedianon.context import AppContext
from fedianon.jobs.registry import PermanentJobError, handler
from fedianon.models.federation import ProcessedActivity
from fedianon.services import reports

log = logging.getLogger("fedianon.inbound")


def _object_type(activity: as2.Activity) -> str | None:
    ref = activity.object
    if ref is None:
        return None
    if ref.embedded and ref.value is not None:
        return getattr(ref.value, "type", None)
    return ref.type


async def _create(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    ref = activity.object
    note = ref.value if ref is not None and ref.embedded else None
    if note is None and ref is not None and ref.id:
        resolved = await statuses.resolve_status(ctx, ref.id)
        if resolved is None:
            log.info("Create of an object that could not be fetched")
        return
    if isinstance(note, as2.Note):
        if await statuses.remote_vote(note, actor):
            return
        await statuses.import_note(ctx, note, actor)
    elif note is not None:
        log.info("ignored a Create of a %s", getattr(note, "type", "?"))


async def _update(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    ref = activity.object
    value = ref.value if ref is not None and ref.embedded else None
    if isinstance(value, as2.Actor):
        await actors.update_actor(ctx, value, actor)
    elif isinstance(value, as2.Note):
        await statuses.update_note(ctx, value, actor)


async def _delete(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    object_id = activity.object_id
    if not object_id:
        return
    if object_id == actor.uri:
        await actors.delete_actor(ctx, actor)
    else:
        await statuses.delete_object(ctx, object_id, actor)


async def _undo(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    kind = _object_type(activity)
    ref = activity.object
    inner = ref.value if ref is not None and ref.embedded else None
    if isinstance(inner, as2.Activity) and inner.actor_id and inner.actor_id != actor.uri:
        raise statuses.Rejected("an Undo of someone else's activity")
    if kind == "Follow":
        await follows.undo_follow(ctx, activity, actor)
    elif kind == "Like":
        await interactions.undo_like(ctx, activity, actor)
    elif kind == "Announce":
        await statuses.undo_announce(
            ctx,
            inner.id if isinstance(inner, as2.Activity) and inner.id else (ref.id if ref else ""),
            actor,
        )
    elif kind == "Block":
        await follows.undo_block(ctx, activity, actor)
    elif ref is not None and ref.id:
        # A bare id: try what it could be.
        await statuses.undo_announce(ctx, ref.id, actor)
        await interactions.undo_like(ctx, activity, actor)


async def _flag(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    """A report from another server (Mastodon sends it from its instance actor)."""
    await reports.receive_flag(
        ctx,
        actor,
        object_uris=[ref.id for ref in activity.objects if ref.id],
        comment=activity.content,
        uri=activity.id if activity.id and host_of(activity.id) == actor.domain else None,
    )


async def _add_remove(ctx: AppContext, activity: as2.Activity, actor: Any) -> None:
    from fedianon.activitypub import blocklist_federation

    kind = _object_type(activity)
    if kind == "Block":
        await blocklist_federation.on_push(ctx, activity, actor)
    else:
        log.info(
            "ignored an %s of a %s (featured collections are not mirrored)", activity.type, kind
        )


HANDLERS = {
    "Create": _create,
    "Update": _update,
    "Delete": _delete,
    "Follow": follows.follow,
    "Accept": follows.accept,
    "Reject": follows.reject,
    "Undo": _undo,
    "Like": interactions.like,
    "Announce": statuses.announce,
    "Block": follows.block,
    "Flag": _flag,
    "Add": _add_remove,
    "Remove": _add_remove,
    "Move": actors.move,
}


async def apply(
    ctx: AppContext, document: dict[str, Any], actor_uri: str, activity_id: str
) -> None:
    from fedianon.activitypub.inbox import activity_digest

    activity = as2.parse(document)
    if not isinstance(activity, as2.Activity):
        raise PermanentJobError("not an activity")
    kind_handler = HANDLERS.get(activity.type)
    if kind_handler is None:
        log.info("ignored an activity of type %s", activity.type)
        return
    try:
        actor = await fetch_actor(ctx, actor_uri)
    except RemoteError as exc:
        raise PermanentJobError(exc.message) from exc
    lifting = (
        activity.type == "Update" and actor.suspended_by_origin and activity.object_id == actor.uri
    )
    if actor.suspended_at is not None and activity.type != "Delete" and not lifting:
        return  # but its deletion, or its own server lifting the suspension, still count
    try:
        await ProcessedActivity.create(digest=activity_digest(activity_id))
    except IntegrityError:
        return  # applied already
    try:
        await kind_handler(ctx, activity, actor)
    except statuses.Rejected as exc:
        log.info("rejected a %s: %s", activity.type, exc)
    except Exception:
        # Let the job retry: forget that we saw it.
        await ProcessedActivity.filter(digest=activity_digest(activity_id)).delete()
        raise


@handler("ap.inbox")
async def inbox_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    try:
        await apply(ctx, payload["activity"], payload["actor"], payload["id"])
    except as2.ParseError as exc:
        raise PermanentJobError(exc.reason) from exc

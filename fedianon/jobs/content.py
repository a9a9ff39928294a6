"""Handlers for jobs about local content: poll expiry, the media cleanup and the end of
timed mutes.

All are idempotent: a repeated `poll.expire` finds the poll closed, a repeated cleanup finds
nothing stale, so the queue's at-least-once delivery is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fedianon.context import AppContext
from fedianon.jobs.registry import PermanentJobError, handler
from fedianon.jobs.schedule import periodic
from fedianon.models.statuses import Status
from fedianon.services import media, outbox, polls, relationships

log = logging.getLogger("fedianon.jobs.content")

MEDIA_CLEANUP = "media.cleanup"
# Unattached uploads are kept a day (media.UNATTACHED_TTL); checking hourly deletes each at
# most an hour late.
periodic(MEDIA_CLEANUP, timedelta(hours=1))

MUTE_EXPIRY = "mutes.expire"
# A mute with a duration ends when its row goes: every read of mutes (timelines, notifications,
# relationships, fan-out) then agrees, at most a minute late.
periodic(MUTE_EXPIRY, timedelta(minutes=1))


@handler(polls.EXPIRE_JOB)
async def expire_poll(ctx: AppContext, payload: dict[str, Any]) -> None:
    poll_id = payload.get("poll_id")
    if not isinstance(poll_id, int):
        raise PermanentJobError("poll.expire needs an integer poll_id")
    await polls.close_if_expired(poll_id)


@handler(polls.DISTRIBUTE_JOB)
async def distribute_poll(ctx: AppContext, payload: dict[str, Any]) -> None:
    status_id = payload.get("status_id")
    if not isinstance(status_id, int):
        raise PermanentJobError("poll.distribute needs an integer status_id")
    status = await Status.get_or_none(id=status_id, local=True).select_related("account")
    if status is None or status.deleted_at is not None:
        return  # deleted since: its Delete went out instead
    await outbox.poll_updated(ctx, status)


@handler(MEDIA_CLEANUP)
async def clean_up_media(ctx: AppContext, payload: dict[str, Any]) -> None:
    deleted = await media.delete_stale_unattached(ctx)
    if deleted:
        log.info("deleted %d unattached media", deleted)


@handler(MUTE_EXPIRY)
async def expire_mutes(ctx: AppContext, payload: dict[str, Any]) -> None:
    ended = await relationships.expire_mutes()
    if ended:
        log.info("%d timed mutes ended", ended)

"""Media attachments and profile images: upload, describe, attach, delete, serve, clean up.

Uploads run the pure image pipeline (`fedianon.media.process_image`: type sniffing, bomb
checks, every piece of metadata stripped) in a worker thread, so the event loop never decodes
pixels. Images are processed synchronously, as Mastodon does for images, so an upload answers
200 with final URLs. The cleaned original and its preview are written under random names
(`fedianon.media.files`) before the row exists: a crash in between leaves at most an orphan
file, never a row that points at nothing.

Attaching runs inside the status transaction (`services.statuses`). Each attachment is claimed
with a conditional UPDATE (the poster's own, and unattached or already on this status), so a
refused status leaves every attachment unattached, and two statuses never share one.

Uploads that were never attached are deleted, rows and files, a day later by the periodic
`media.cleanup` job (`fedianon.jobs.content`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fedianon.context import AppContext
from fedianon.errors import NotFound, ValidationFailed
from fedianon.media import files
from fedianon.media.processing import ProcessedImage, meta_with_focus, process_image
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.statuses import Status
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.media")

MAX_ATTACHMENTS = 4  # per status; /api/v2/instance says the same
MAX_DESCRIPTION = 1500  # characters of alt text; /api/v2/instance says the same
UNATTACHED_TTL = timedelta(days=1)
# Mastodon scales avatars to 400x400 and headers to 1500x500; we keep the aspect ratio and
# bound the area instead (no cropping: clients crop avatars to a circle or a square anyway).
AVATAR_PIXELS = 400 * 400
HEADER_PIXELS = 1500 * 500

MSG_FOCUS = "Validation failed: Focus must be two numbers between -1.0 and 1.0, as x,y"
MSG_IN_USE = "Validation failed: Media attachment is in use by a status and cannot be deleted"


def too_large_message(max_bytes: int) -> str:
    """What an over-sized upload is told: the pipeline's own message, so a file refused from
    its Content-Length and one refused after reading read the same."""
    mib, kib = 1024 * 1024, 1024
    if max_bytes >= mib:
        size = f"{max_bytes // mib} MB" if max_bytes % mib == 0 else f"{max_bytes / mib:.1f} MB"
    elif max_bytes >= kib:
        size = f"{max_bytes // kib} KB" if max_bytes % kib == 0 else f"{max_bytes / kib:.1f} KB"
    else:
        size = f"{max_bytes} B"
    return f"Validation failed: File file size must be less than {size}"


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """`"x,y"` with both in -1..1 (Mastodon's focal point), or None when not given."""
    if raw is None or not raw.strip():
        return None
    parts = raw.split(",")
    if len(parts) != 2:
        raise ValidationFailed(MSG_FOCUS)
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValidationFailed(MSG_FOCUS) from None
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (x, y)):
        raise ValidationFailed(MSG_FOCUS)
    return x, y


def _description(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} characters)"
        )
    return value or None


# --- files ---------------------------------------------------------------------------------


def _store_processed(data_dir: Path, image: ProcessedImage) -> tuple[str, str]:
    original = files.random_name(image.extension)
    files.store(data_dir, original, image.original)
    try:
        preview = files.random_name(image.preview_extension)
        files.store(data_dir, preview, image.preview)
    except BaseException:
        _remove_files(data_dir, original)
        raise
    return original, preview


def _remove_files(data_dir: Path, *names: str | None) -> None:
    for name in names:
        if not name:
            continue
        try:
            files.delete(data_dir, name)
        except (OSError, files.UnsafeMediaName) as exc:  # never fail a request or job on this
            log.warning("could not delete a media file: %s", exc.__class__.__name__)


async def remove_files(ctx: AppContext, *names: str | None) -> None:
    await asyncio.to_thread(_remove_files, ctx.settings.data_dir, *names)


def stored_file(ctx: AppContext, name: str) -> tuple[Path, str] | None:
    """The path and content type of a stored media file, or None if the name is unsafe or
    nothing is stored under it (what `GET /media/{name}` serves)."""
    try:
        path = files.path_for(ctx.settings.data_dir, name)
    except files.UnsafeMediaName:
        return None
    if not path.is_file():
        return None
    return path, files.content_type_for(name)


# --- uploads -------------------------------------------------------------------------------


async def upload(
    ctx: AppContext,
    account: Account,
    data: bytes,
    *,
    declared_type: str | None,
    description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Clean, store and record an uploaded image. Raises ValidationFailed (422) for anything
    the pipeline refuses: wrong type, truncated data, too many pixels, too many bytes."""
    description = _description(description)
    processed = await asyncio.to_thread(
        process_image,
        data,
        declared_type=declared_type,
        max_bytes=ctx.settings.media_max_bytes,
    )
    fx, fy = focus or (0.0, 0.0)
    meta = meta_with_focus(processed.meta, fx, fy)
    original, preview = await asyncio.to_thread(_store_processed, ctx.settings.data_dir, processed)
    try:
        return await MediaAttachment.create(
            account=account,
            type=processed.type,
            content_type=processed.content_type,
            file_path=original,
            preview_path=preview,
            file_size=len(processed.original),
            meta=meta,
            blurhash=processed.blurhash,
            description=description,
            focus_x=meta["focus"]["x"],
            focus_y=meta["focus"]["y"],
        )
    except BaseException:
        await remove_files(ctx, original, preview)
        raise


async def get_unattached(account: Account, media_id: int) -> MediaAttachment:
    """The caller's own upload that no status uses yet; NotFound otherwise (as Mastodon:
    attached media are edited through the status)."""
    found = await MediaAttachment.get_or_none(
        id=media_id, account_id=account.id, status_id__isnull=True
    )
    if found is None:
        raise NotFound()
    return found


async def update(
    account: Account,
    media_id: int,
    *,
    description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Change the alt text and/or focal point of an unattached upload (None: leave as is;
    an empty description clears it)."""
    found = await get_unattached(account, media_id)
    if description is not None:
        found.description = _description(description)
    if focus is not None:
        _set_focus(found, focus)
    await found.save()
    return found


def _set_focus(media: MediaAttachment, focus: tuple[float, float]) -> None:
    media.meta = meta_with_focus(media.meta or {}, *focus)
    media.focus_x, media.focus_y = media.meta["focus"]["x"], media.meta["focus"]["y"]


async def delete(ctx: AppContext, account: Account, media_id: int) -> None:
    """Delete an unattached upload and its files. Attached ones are refused (422)."""
    found = await MediaAttachment.get_or_none(id=media_id, account_id=account.id)
    if found is None:
        raise NotFound()
    if found.status_id is not None:  # type: ignore[attr-defined]
        raise ValidationFailed(MSG_IN_USE)
    if not await MediaAttachment.filter(id=found.id, status_id__isnull=True).delete():
        raise ValidationFailed(MSG_IN_USE)  # attached meanwhile
    await remove_files(ctx, found.file_path, found.preview_path)


# --- statuses ------------------------------------------------------------------------------


def _too_many() -> ValidationFailed:
    return ValidationFailed(
        f"Validation failed: Too many media attachments (maximum is {MAX_ATTACHMENTS})"
    )


def _not_attachable(media_id: int) -> ValidationFailed:
    return ValidationFailed(
        f"Validation failed: Media attachment {media_id} was not found, is not yours, "
        "or is already used by another status"
    )


async def detach_all(status_id: int) -> None:
    """Unattach a deleted status's media instead of deleting them with it, so a client can
    delete and redraft with the same media ids (Mastodon does the same); the cleanup job
    deletes them a day after upload if nobody re-attaches them."""
    await MediaAttachment.filter(status_id=status_id).update(status_id=None, position=0)


async def check_attachable(author: Account, media_ids: list[int], status_id: int | None) -> None:
    """Refuse a set of attachments before any write (the attach step checks again under the
    transaction): at most MAX_ATTACHMENTS, each the author's own and free (or on `status_id`)."""
    if len(media_ids) > MAX_ATTACHMENTS:
        raise _too_many()
    if not media_ids:
        return
    usable = {
        row_id
        for row_id, attached_to in await MediaAttachment.filter(
            id__in=media_ids, account_id=author.id
        ).values_list("id", "status_id")
        if attached_to is None or attached_to == status_id
    }
    for media_id in media_ids:
        if media_id not in usable:
            raise _not_attachable(media_id)


async def attach(
    author: Account,
    status: Status,
    media_ids: list[int],
    *,
    editing: bool,
    descriptions: dict[int, str | None] | None = None,
    focuses: dict[int, tuple[float, float]] | None = None,
) -> list[MediaAttachment]:
    """Make `media_ids`, in that order, the status's attachments; call inside the status
    transaction. Editing replaces the set: attachments left out become unattached again (and
    are cleaned up with other unused uploads). `descriptions`/`focuses` (by media id) are
    edits of attached media's alt text and focus (Mastodon's `media_attributes[]`).

    Raises ValidationFailed for too many, unknown, foreign or already used media; the caller's
    transaction then rolls back, so nothing is half-attached."""
    if len(media_ids) > MAX_ATTACHMENTS:
        raise _too_many()
    ids = list(dict.fromkeys(media_ids))
    if editing:
        await (
            MediaAttachment.filter(status_id=status.id)
            .exclude(id__in=ids)
            .update(status_id=None, position=0)
        )
    for position, media_id in enumerate(ids):
        free = await MediaAttachment.filter(
            id=media_id, account_id=author.id, status_id__isnull=True
        ).update(status_id=status.id, position=position)
        if not free and not (
            editing
            and await MediaAttachment.filter(
                id=media_id, account_id=author.id, status_id=status.id
            ).update(position=position)
        ):
            raise _not_attachable(media_id)
    attached = await MediaAttachment.filter(status_id=status.id).order_by("position", "id")
    for item in attached:
        changed = False
        if descriptions and item.id in descriptions:
            item.description = _description(descriptions[item.id])
            changed = True
        if focuses and item.id in focuses:
            _set_focus(item, focuses[item.id])
            changed = True
        if changed:
            await item.save()
    has_media = bool(attached)
    if status.has_media != has_media:
        status.has_media = has_media
        await Status.filter(id=status.id).update(has_media=has_media)
    return attached


# --- profile images ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileImages:
    """Avatar and/or header, processed and validated but not stored yet."""

    avatar: ProcessedImage | None = None
    header: ProcessedImage | None = None


async def prepare_profile_images(
    ctx: AppContext,
    avatar: tuple[bytes, str | None] | None,
    header: tuple[bytes, str | None] | None,
) -> ProfileImages:
    """Process (strip metadata, scale down) the uploaded (data, declared type) pairs; raises
    ValidationFailed before anything is written, so a bad image changes nothing."""

    async def run(upload: tuple[bytes, str | None] | None, pixels: int) -> ProcessedImage | None:
        if upload is None:
            return None
        data, declared = upload
        return await asyncio.to_thread(
            process_image,
            data,
            declared_type=declared,
            max_bytes=ctx.settings.media_max_bytes,
            max_pixels=pixels,
        )

    return ProfileImages(
        avatar=await run(avatar, AVATAR_PIXELS), header=await run(header, HEADER_PIXELS)
    )


async def apply_profile_images(ctx: AppContext, account: Account, images: ProfileImages) -> None:
    """Store the prepared images, point the account at them and delete the files they replace."""
    data_dir = ctx.settings.data_dir
    changes: dict[str, str] = {}
    for field, image in (("avatar_path", images.avatar), ("header_path", images.header)):
        if image is None:
            continue
        name = files.random_name(image.extension)
        await asyncio.to_thread(files.store, data_dir, name, image.original)
        changes[field] = name
    if not changes:
        return
    previous = await Account.get(id=account.id)
    try:
        await Account.filter(id=account.id).update(**changes)
    except BaseException:
        await remove_files(ctx, *changes.values())
        raise
    old = [getattr(previous, field) for field in changes]
    for field, name in changes.items():
        setattr(account, field, name)
    await remove_files(ctx, *old)


# --- cleanup -------------------------------------------------------------------------------


async def delete_stale_unattached(
    ctx: AppContext, *, older_than: timedelta = UNATTACHED_TTL, batch: int = 200
) -> int:
    """Delete local uploads no status used within `older_than`, rows then files. Each row is
    deleted only if still unattached at that moment, so a status posted meanwhile keeps it.
    Returns how many were deleted."""
    cutoff = utcnow() - older_than
    deleted = 0
    while True:
        rows = (
            await MediaAttachment.filter(
                status_id__isnull=True, created_at__lt=cutoff, account__domain__isnull=True
            )
            .order_by("id")
            .limit(batch)
        )
        for row in rows:
            if await MediaAttachment.filter(id=row.id, status_id__isnull=True).delete():
                await remove_files(ctx, row.file_path, row.preview_path)
                deleted += 1
        if len(rows) < batch:
            return deleted

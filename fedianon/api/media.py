"""/api/v1/media and /api/v2/media (upload, show, describe, delete) and /media/{name}, the
stored files themselves.

Upload bodies are capped while they stream in: a request larger than the instance's upload
limit (plus room for the other form fields) is refused with Mastodon's 422 before it is
spooled to disk, not after.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from fedianon.api.auth import require_user
from fedianon.api.common import path_id
from fedianon.api.params import Params, read_params
from fedianon.api.presenters import media_entity
from fedianon.context import AppContext, app_context
from fedianon.errors import BadRequest, ValidationFailed
from fedianon.services import media

FORM_ROOM = 1024 * 1024  # description, focus and multipart framing around the file
CACHE_FOREVER = "public, max-age=31536000, immutable"  # names are random and never reused


class _CappedBody:
    """Wraps the ASGI receive channel and stops reading past `limit` bytes."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.seen = 0
        self.exceeded = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise BadRequest("Request body is too large")
        return message


async def read_upload_params(request: Request, ctx: AppContext) -> Params:
    """The form of an upload request, refusing bodies over the upload limit with a 422."""
    limit = ctx.settings.media_max_bytes + FORM_ROOM
    too_large = ValidationFailed(media.too_large_message(ctx.settings.media_max_bytes))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    capped = _CappedBody(request.receive, limit)
    request._receive = capped  # Starlette reads the body through this channel
    try:
        return await read_params(request)
    except BadRequest:
        if capped.exceeded:
            raise too_large from None
        raise


async def read_file(upload: UploadFile, max_bytes: int) -> bytes:
    """The uploaded file's bytes; one byte over `max_bytes` is enough to refuse it."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationFailed(media.too_large_message(max_bytes))
    return data


async def create(request: Request) -> JSONResponse:
    account = await require_user(request, "write:media")
    ctx = app_context(request)
    params = await read_upload_params(request, ctx)
    upload = params.files.get("file")
    if upload is None:
        raise ValidationFailed("Validation failed: File can't be blank")
    data = await read_file(upload, ctx.settings.media_max_bytes)
    attachment = await media.upload(
        ctx,
        account,
        data,
        declared_type=upload.content_type,
        description=params.str("description"),
        focus=media.parse_focus(params.str("focus")),
    )
    return JSONResponse(media_entity(attachment, ctx.urls))


async def show(request: Request) -> JSONResponse:
    account = await require_user(request, "write:media")
    attachment = await media.get_unattached(account, path_id(request))
    return JSONResponse(media_entity(attachment, app_context(request).urls))


async def update(request: Request) -> JSONResponse:
    account = await require_user(request, "write:media")
    params = await read_params(request)
    attachment = await media.update(
        account,
        path_id(request),
        description=params.str("description"),
        focus=media.parse_focus(params.str("focus")),
    )
    return JSONResponse(media_entity(attachment, app_context(request).urls))


async def delete(request: Request) -> JSONResponse:
    account = await require_user(request, "write:media")
    await media.delete(app_context(request), account, path_id(request))
    return JSONResponse({})


async def serve(request: Request) -> Response:
    found = media.stored_file(app_context(request), request.path_params["name"])
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    path, content_type = found
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Cache-Control": CACHE_FOREVER,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


routes = [
    Route("/api/v2/media", create, methods=["POST"]),
    Route("/api/v1/media", create, methods=["POST"]),
    Route("/api/v1/media/{id}", show, methods=["GET"]),
    Route("/api/v1/media/{id}", update, methods=["PUT"]),
    Route("/api/v1/media/{id}", delete, methods=["DELETE"]),
    Route("/media/{name:path}", serve, methods=["GET", "HEAD"]),
]

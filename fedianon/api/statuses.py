"""/api/v1/statuses: post, read, edit, delete, thread context, and what readers do to a status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import caller, optional_user, require_user
from fedianon.api.common import path_id, presenter
from fedianon.api.pagination import page_request, paged_rows
from fedianon.api.params import Params, read_params
from fedianon.context import app_context
from fedianon.errors import ValidationFailed
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.models.social import Favourite
from fedianon.models.statuses import Status
from fedianon.services import interactions, media, oauth, statuses
from fedianon.services.paging import fetch_page


def _media_attributes(
    params: Params,
) -> tuple[dict[int, str | None], dict[int, tuple[float, float]]]:
    """`media_attributes[][id|description|focus]` (edits of attached media) as
    ({id: description}, {id: focus}). Form bodies arrive as one dict per key; they are
    grouped as Rails does: a key seen again starts the next item."""
    items: list[dict[str, object]] = []
    for item in params.list("media_attributes"):
        if not isinstance(item, dict):
            raise ValidationFailed("Validation failed: media_attributes must be a list of objects")
        if items and not (items[-1].keys() & item.keys()):
            items[-1].update(item)
        else:
            items.append(dict(item))
    descriptions: dict[int, str | None] = {}
    focuses: dict[int, tuple[float, float]] = {}
    for item in items:
        media_id = parse_id(str(item.get("id", "")))
        if media_id is None:
            raise ValidationFailed("Validation failed: media_attributes need an id")
        attributes = Params(item)
        if "description" in item:
            descriptions[media_id] = attributes.str("description") or None
        focus = media.parse_focus(attributes.str("focus"))
        if focus is not None:
            focuses[media_id] = focus
    return descriptions, focuses


def _draft(params: Params, request: Request) -> statuses.StatusDraft:
    media_ids = []
    for raw in params.str_list("media_ids"):
        value = parse_id(raw)
        if value is None:
            raise ValidationFailed("Validation failed: media_ids must be ids")
        media_ids.append(value)
    reply = params.str("in_reply_to_id")
    reply_id = None
    if reply:
        reply_id = parse_id(reply)
        if reply_id is None:
            raise ValidationFailed("Validation failed: in_reply_to_id is not an id")
    poll = params.dict("poll") or None
    if params.str("scheduled_at"):
        raise ValidationFailed("Validation failed: Scheduled statuses are not supported here")
    descriptions, focuses = _media_attributes(params)
    return statuses.StatusDraft(
        text=params.str("status", "") or "",
        spoiler_text=params.str("spoiler_text", "") or "",
        visibility=params.str("visibility") or None,
        sensitive=params.bool("sensitive"),
        language=params.str("language") or None,
        in_reply_to_id=reply_id,
        media_ids=media_ids,
        poll=poll,
        media_descriptions=descriptions,
        media_focuses=focuses,
    )


async def create(request: Request) -> JSONResponse:
    account = await require_user(request, "write:statuses")
    params = await read_params(request)
    draft = _draft(params, request)
    token = (await caller(request)).token
    application = await oauth.application_of(token) if token is not None else None
    if application is not None:
        draft.application_name, draft.application_website = (
            application.name,
            application.website,
        )
    status = await statuses.post_status(
        app_context(request), account, draft, idempotency_key=request.headers.get("idempotency-key")
    )
    status = await Status.get(id=status.id).select_related(
        "account", "reblog_of", "reblog_of__account"
    )
    return JSONResponse(await presenter(request, account).status(status))


async def show(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    status = await statuses.get_visible(path_id(request), viewer)
    return JSONResponse(await presenter(request, viewer, filter_context="thread").status(status))


async def edit(request: Request) -> JSONResponse:
    account = await require_user(request, "write:statuses")
    params = await read_params(request)
    status = await statuses.edit_status(
        app_context(request), account, path_id(request), _draft(params, request)
    )
    status = await Status.get(id=status.id).select_related(
        "account", "reblog_of", "reblog_of__account"
    )
    return JSONResponse(await presenter(request, account).status(status))


async def delete(request: Request) -> JSONResponse:
    account = await require_user(request, "write:statuses")
    status_id = path_id(request)
    existing = await statuses.get_visible(status_id, account)
    body = await presenter(request, account).status(existing)
    await statuses.delete_status(app_context(request), account, status_id)
    body["text"] = existing.text
    return JSONResponse(body)


async def context(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    thread = await statuses.context(path_id(request), viewer)
    view = presenter(request, viewer, filter_context="thread")
    # one presenter pass for both halves (its queries are per batch), split again by id
    rendered = await view.statuses([*thread.ancestors, *thread.descendants])
    above = {str(s.id) for s in thread.ancestors}
    return JSONResponse(
        {
            "ancestors": [e for e in rendered if e["id"] in above],
            "descendants": [e for e in rendered if e["id"] not in above],
        }
    )


async def history(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    status, edits = await statuses.history(path_id(request), viewer)
    return JSONResponse(await presenter(request, viewer).history(status, edits))


async def source(request: Request) -> JSONResponse:
    account = await require_user(request, "read:statuses")
    status = await statuses.get_visible(path_id(request), account)
    if status.account_id != account.id:  # type: ignore[attr-defined]
        from fedianon.errors import NotFound

        raise NotFound()
    return JSONResponse(
        {"id": str(status.id), "text": status.text, "spoiler_text": status.spoiler_text}
    )


async def _render(request: Request, account: Account, status: Status) -> JSONResponse:
    fresh = await Status.get(id=status.id).select_related(
        "account", "reblog_of", "reblog_of__account"
    )
    return JSONResponse(await presenter(request, account).status(fresh))


def _action(scope: str, operation):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        account = await require_user(request, scope)
        status = await operation(request, account, path_id(request))
        return await _render(request, account, status)

    return endpoint


async def _reblog(request: Request, account: Account, status_id: int) -> Status:
    params = await read_params(request)
    return await interactions.reblog(
        app_context(request), account, status_id, params.str("visibility") or "public"
    )


async def favourited_by(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:accounts")
    status = await statuses.get_visible(path_id(request), viewer)
    page = page_request(request, default=40, maximum=80)
    rows = await fetch_page(Favourite.filter(status_id=status.id).select_related("account"), page)
    return paged_rows(request, presenter(request, viewer).accounts(r.account for r in rows), rows)


async def reblogged_by(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:accounts")
    status = await statuses.get_visible(path_id(request), viewer)
    page = page_request(request, default=40, maximum=80)
    rows = await fetch_page(Status.filter(reblog_of_id=status.id).select_related("account"), page)
    return paged_rows(request, presenter(request, viewer).accounts(r.account for r in rows), rows)


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id}", edit, methods=["PUT"]),
    Route("/api/v1/statuses/{id}", delete, methods=["DELETE"]),
    Route("/api/v1/statuses/{id}/context", context, methods=["GET"]),
    Route("/api/v1/statuses/{id}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id}/source", source, methods=["GET"]),
    Route("/api/v1/statuses/{id}/favourited_by", favourited_by, methods=["GET"]),
    Route("/api/v1/statuses/{id}/reblogged_by", reblogged_by, methods=["GET"]),
    Route(
        "/api/v1/statuses/{id}/favourite",
        _action("write:favourites", lambda r, a, i: interactions.favourite(app_context(r), a, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id}/unfavourite",
        _action("write:favourites", lambda r, a, i: interactions.unfavourite(app_context(r), a, i)),
        methods=["POST"],
    ),
    Route("/api/v1/statuses/{id}/reblog", _action("write:statuses", _reblog), methods=["POST"]),
    Route(
        "/api/v1/statuses/{id}/unreblog",
        _action("write:statuses", lambda r, a, i: interactions.unreblog(app_context(r), a, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id}/bookmark",
        _action("write:bookmarks", lambda r, a, i: interactions.bookmark(a, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id}/unbookmark",
        _action("write:bookmarks", lambda r, a, i: interactions.unbookmark(a, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id}/pin",
        _action("write:accounts", lambda r, a, i: interactions.pin(app_context(r), a, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id}/unpin",
        _action("write:accounts", lambda r, a, i: interactions.unpin(app_context(r), a, i)),
        methods=["POST"],
    ),
]

"""/api/v1/notifications."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_user
from fedianon.api.common import path_id, presenter, query_list
from fedianon.api.pagination import page_request, paged_rows
from fedianon.errors import BadRequest
from fedianon.ids import parse_id
from fedianon.services import notifications


async def index(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:notifications")
    account_id = None
    if request.query_params.get("account_id"):
        account_id = parse_id(request.query_params["account_id"])
        if account_id is None:
            raise BadRequest("account_id must be an id")
    rows = await notifications.list_for(
        viewer,
        page_request(request, default=40, maximum=80),
        types=query_list(request, "types"),
        exclude_types=query_list(request, "exclude_types"),
        account_id=account_id,
    )
    body = await presenter(request, viewer, filter_context="notifications").notifications(rows)
    return paged_rows(request, body, rows)


async def show(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:notifications")
    row = await notifications.get_for(viewer, path_id(request))
    rendered = await presenter(request, viewer, filter_context="notifications").notifications([row])
    if not rendered:
        from fedianon.errors import NotFound

        raise NotFound()
    return JSONResponse(rendered[0])


async def clear(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:notifications")
    await notifications.clear(viewer)
    return JSONResponse({})


async def dismiss(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:notifications")
    await notifications.dismiss(viewer, path_id(request))
    return JSONResponse({})


async def unread_count(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:notifications")
    from fedianon.models.social import Notification
    from fedianon.models.timelines import Marker

    marker = await Marker.get_or_none(account_id=viewer.id, timeline="notifications")
    query = Notification.filter(account_id=viewer.id)
    if marker is not None and marker.last_read_id.isdigit():
        query = query.filter(id__gt=int(marker.last_read_id))
    return JSONResponse({"count": min(await query.count(), 100)})


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v1/notifications/{id}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]

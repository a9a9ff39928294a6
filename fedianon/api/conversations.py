"""/api/v1/conversations: direct conversations as each participant sees them (rules in
services/conversations.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_user
from fedianon.api.common import path_id, presenter
from fedianon.api.pagination import page_request, paged_response
from fedianon.services import conversations
from fedianon.services.paging import keys_of


async def index(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:statuses")
    rows = await conversations.list_for(viewer, page_request(request))
    body = await presenter(request, viewer, filter_context="thread").conversations(rows)
    return paged_response(request, body, *keys_of(rows, "last_status_id"))


async def read(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:conversations")
    row = await conversations.mark_read(viewer, path_id(request))
    rendered = await presenter(request, viewer, filter_context="thread").conversations([row])
    return JSONResponse(rendered[0] if rendered else {})


async def hide(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:conversations")
    await conversations.hide(viewer, path_id(request))
    return JSONResponse({})


routes = [
    Route("/api/v1/conversations", index, methods=["GET"]),
    Route("/api/v1/conversations/", index, methods=["GET"]),
    Route("/api/v1/conversations/{id}/read", read, methods=["POST"]),
    Route("/api/v1/conversations/{id}", hide, methods=["DELETE"]),
]

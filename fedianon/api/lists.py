"""/api/v1/lists, list members, an account's lists and the list timeline (rules in
services/lists.py and services/feeds.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_user
from fedianon.api.common import path_id, presenter
from fedianon.api.pagination import page_request, paged_response, paged_rows
from fedianon.api.params import Params, read_params
from fedianon.errors import ValidationFailed
from fedianon.ids import parse_id
from fedianon.models.timelines import List as UserList
from fedianon.services import lists, timelines


def list_entity(found: UserList) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "title": found.title,
        "replies_policy": found.replies_policy,
        "exclusive": found.exclusive,
    }


def _account_ids(params: Params) -> list[int]:
    ids = []
    for raw in params.str_list("account_ids"):
        value = parse_id(raw)
        if value is None:
            raise ValidationFailed("Validation failed: account_ids must be account ids")
        ids.append(value)
    return ids


async def index(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:lists")
    return JSONResponse([list_entity(found) for found in await lists.all_for(owner)])


async def create(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:lists")
    params = await read_params(request)
    found = await lists.create(
        owner,
        title=params.str("title"),
        replies_policy=params.str("replies_policy") or None,
        exclusive=params.bool("exclusive"),
    )
    return JSONResponse(list_entity(found))


async def show(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:lists")
    return JSONResponse(list_entity(await lists.owned(owner, path_id(request))))


async def update(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:lists")
    params = await read_params(request)
    found = await lists.update(
        owner,
        path_id(request),
        title=params.str("title"),
        replies_policy=params.str("replies_policy") or None,
        exclusive=params.bool("exclusive"),
    )
    return JSONResponse(list_entity(found))


async def destroy(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:lists")
    await lists.delete(owner, path_id(request))
    return JSONResponse({})


async def members(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:lists")
    everything = request.query_params.get("limit") == "0"  # Mastodon: 0 means all, unpaged
    page = None if everything else page_request(request, default=40, maximum=80)
    rows = await lists.members(owner, path_id(request), page)
    body = presenter(request, owner).accounts(row.account for row in rows)
    if page is None:
        return JSONResponse(body)
    return paged_rows(request, body, rows)


async def add_members(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:lists")
    params = await read_params(request)
    await lists.add_members(owner, path_id(request), _account_ids(params))
    return JSONResponse({})


async def remove_members(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:lists")
    params = await read_params(request)
    await lists.remove_members(owner, path_id(request), _account_ids(params))
    return JSONResponse({})


async def account_lists(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:lists")
    return JSONResponse(
        [list_entity(found) for found in await lists.lists_with(owner, path_id(request))]
    )


async def timeline(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:lists")
    feed = await timelines.list_feed(viewer, path_id(request), page_request(request))
    body = await presenter(request, viewer, filter_context="home").statuses(feed.statuses)
    return paged_response(request, body, feed.newest_key, feed.oldest_key)


routes = [
    Route("/api/v1/lists", index, methods=["GET"]),
    Route("/api/v1/lists", create, methods=["POST"]),
    Route("/api/v1/lists/{id}", show, methods=["GET"]),
    Route("/api/v1/lists/{id}", update, methods=["PUT", "PATCH"]),
    Route("/api/v1/lists/{id}", destroy, methods=["DELETE"]),
    Route("/api/v1/lists/{id}/accounts", members, methods=["GET"]),
    Route("/api/v1/lists/{id}/accounts", add_members, methods=["POST"]),
    Route("/api/v1/lists/{id}/accounts", remove_members, methods=["DELETE"]),
    Route("/api/v1/accounts/{id}/lists", account_lists, methods=["GET"]),
    Route("/api/v1/timelines/list/{id}", timeline, methods=["GET"]),
]

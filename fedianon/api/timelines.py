"""/api/v1/timelines/*, bookmarks and favourites."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import optional_user, require_user
from fedianon.api.common import flag, presenter, query_list
from fedianon.api.pagination import page_request, paged_response
from fedianon.services import timelines


async def _respond(
    request: Request,
    viewer,
    timeline: timelines.Timeline,
    filter_context: str,
    *,
    drop_hidden: bool = True,
) -> JSONResponse:  # type: ignore[no-untyped-def]
    body = await presenter(request, viewer, filter_context=filter_context).statuses(
        timeline.statuses, drop_hidden=drop_hidden
    )
    return paged_response(request, body, timeline.newest_key, timeline.oldest_key)


async def home(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:statuses")
    return await _respond(
        request, viewer, await timelines.home(viewer, page_request(request)), "home"
    )


async def public(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    timeline = await timelines.public(
        viewer,
        page_request(request),
        local=flag(request, "local"),
        remote=flag(request, "remote"),
        only_media=flag(request, "only_media"),
    )
    return await _respond(request, viewer, timeline, "public")


async def tag(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    timeline = await timelines.hashtag(
        viewer,
        request.path_params["hashtag"],
        page_request(request),
        any_tags=query_list(request, "any"),
        all_tags=query_list(request, "all"),
        none_tags=query_list(request, "none"),
        local=flag(request, "local"),
        remote=flag(request, "remote"),
        only_media=flag(request, "only_media"),
    )
    return await _respond(request, viewer, timeline, "public")


async def bookmarks(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:bookmarks")
    # What the reader saved stays listed whatever the filters (`filtered` still says so).
    return await _respond(
        request,
        viewer,
        await timelines.bookmarks(viewer, page_request(request)),
        "home",
        drop_hidden=False,
    )


async def favourites(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:favourites")
    return await _respond(
        request,
        viewer,
        await timelines.favourites(viewer, page_request(request)),
        "home",
        drop_hidden=False,
    )


routes = [
    Route("/api/v1/timelines/home", home, methods=["GET"]),
    Route("/api/v1/timelines/public", public, methods=["GET"]),
    Route("/api/v1/timelines/tag/{hashtag}", tag, methods=["GET"]),
    Route("/api/v1/bookmarks", bookmarks, methods=["GET"]),
    Route("/api/v1/favourites", favourites, methods=["GET"]),
]

"""/api/v2/search and the hashtag endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import optional_user, require_user
from fedianon.api.common import flag, int_param, presenter
from fedianon.api.presenters import tag_entity
from fedianon.context import app_context
from fedianon.errors import BadRequest, NotFound
from fedianon.ids import parse_id
from fedianon.models.statuses import FollowedTag, Tag
from fedianon.services import search


async def search_v2(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:search")
    ctx = app_context(request)
    q = request.query_params.get("q", "")
    kind = request.query_params.get("type") or None
    if kind not in (None, "accounts", "hashtags", "statuses"):
        raise BadRequest("type must be accounts, hashtags or statuses")
    account_id = None
    if request.query_params.get("account_id"):
        account_id = parse_id(request.query_params["account_id"])
        if account_id is None:
            raise BadRequest("account_id must be an id")
    limit = int_param(request, "limit", 20, minimum=1, maximum=40)
    offset = int_param(request, "offset", 0, maximum=10_000)
    if offset and viewer is None:
        raise BadRequest("Search offset requires a signed-in user")
    results = await search.search(
        ctx,
        viewer,
        q,
        kind=kind,
        resolve=flag(request, "resolve"),
        limit=limit,
        offset=offset,
        following=flag(request, "following"),
        account_id=account_id,
    )
    view = presenter(request, viewer)
    followed = set()
    if viewer is not None and results.hashtags:
        followed = set(
            await FollowedTag.filter(
                account_id=viewer.id, tag_id__in=[t.id for t in results.hashtags]
            ).values_list("tag_id", flat=True)
        )
    return JSONResponse(
        {
            "accounts": view.accounts(results.accounts),
            # What someone searched for is shown, filtered or not (`filtered` says so).
            "statuses": await view.statuses(results.statuses, drop_hidden=False),
            "hashtags": [
                tag_entity(t, ctx.urls, following=t.id in followed) for t in results.hashtags
            ],
        }
    )


async def _tag(name: str) -> Tag:
    tag = await Tag.get_or_none(name=name.lower())
    if tag is None:
        raise NotFound()
    return tag


async def show_tag(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:follows")
    tag = await _tag(request.path_params["name"])
    following = (
        viewer is not None
        and await FollowedTag.filter(account_id=viewer.id, tag_id=tag.id).exists()
    )
    return JSONResponse(tag_entity(tag, app_context(request).urls, following=following))


async def follow_tag(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:follows")
    name = request.path_params["name"]
    from fedianon.services.statuses import _tags_for
    from fedianon.services.text import HASHTAG_RE

    if not HASHTAG_RE.fullmatch("#" + name):
        raise NotFound()
    tag = (await _tags_for([name]))[0]
    await FollowedTag.get_or_create(account_id=viewer.id, tag_id=tag.id)
    return JSONResponse(tag_entity(tag, app_context(request).urls, following=True))


async def unfollow_tag(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:follows")
    tag = await _tag(request.path_params["name"])
    await FollowedTag.filter(account_id=viewer.id, tag_id=tag.id).delete()
    return JSONResponse(tag_entity(tag, app_context(request).urls, following=False))


async def followed_tags(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:follows")
    rows = (
        await FollowedTag.filter(account_id=viewer.id)
        .select_related("tag")
        .order_by("-id")
        .limit(200)
    )
    return JSONResponse(
        [tag_entity(r.tag, app_context(request).urls, following=True) for r in rows]
    )


routes = [
    Route("/api/v2/search", search_v2, methods=["GET"]),
    Route("/api/v1/tags/{name}", show_tag, methods=["GET"]),
    Route("/api/v1/tags/{name}/follow", follow_tag, methods=["POST"]),
    Route("/api/v1/tags/{name}/unfollow", unfollow_tag, methods=["POST"]),
    Route("/api/v1/followed_tags", followed_tags, methods=["GET"]),
]

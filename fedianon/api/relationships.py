"""Account pages and relationships: profiles, their statuses and follows, follow/block/mute,
follow requests, lookup and search, preferences and markers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise.expressions import Subquery

from fedianon.api.auth import optional_user, require_user
from fedianon.api.common import flag, int_param, path_id, presenter, query_ids, query_list
from fedianon.api.pagination import page_request, paged_response, paged_rows
from fedianon.api.params import read_params
from fedianon.context import app_context
from fedianon.errors import NotFound, ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.social import AccountDomainBlock, Block, Follow, FollowRequest, Mute
from fedianon.services import preferences, relationships, search, timelines
from fedianon.services.accounts import get_account
from fedianon.services.paging import fetch_page


async def show(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:accounts")
    account = await get_account(path_id(request))
    return JSONResponse(await presenter(request, viewer).profile(account))


async def account_statuses(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    timeline = await timelines.account_statuses(
        viewer,
        path_id(request),
        page_request(request),
        only_media=flag(request, "only_media"),
        exclude_replies=flag(request, "exclude_replies"),
        exclude_reblogs=flag(request, "exclude_reblogs"),
        pinned=flag(request, "pinned"),
        tagged=request.query_params.get("tagged") or None,
    )
    body = await presenter(request, viewer, filter_context="account").statuses(timeline.statuses)
    return paged_response(request, body, timeline.newest_key, timeline.oldest_key)


async def _follow_list(request: Request, *, followers: bool) -> JSONResponse:
    viewer = await optional_user(request, "read:accounts")
    account = await get_account(path_id(request))
    page = page_request(request, default=40, maximum=80)
    if account.hide_collections and (viewer is None or viewer.id != account.id):
        return JSONResponse([])
    if followers:
        rows = await fetch_page(
            Follow.filter(target_account_id=account.id).select_related("account"), page
        )
        people = [r.account for r in rows]
    else:
        rows = await fetch_page(
            Follow.filter(account_id=account.id).select_related("target_account"), page
        )
        people = [r.target_account for r in rows]
    people = [p for p in people if p.suspended_at is None]
    return paged_rows(request, presenter(request, viewer).accounts(people), rows)


async def followers(request: Request) -> JSONResponse:
    return await _follow_list(request, followers=True)


async def following(request: Request) -> JSONResponse:
    return await _follow_list(request, followers=False)


async def _relationship(request: Request, viewer: Account, target: Account) -> JSONResponse:
    return JSONResponse(await presenter(request, viewer).relationship(target))


async def follow(request: Request) -> JSONResponse:
    viewer = await require_user(request, "write:follows")
    params = await read_params(request)
    options = relationships.FollowOptions(
        reblogs=params.bool("reblogs"),
        notify=params.bool("notify"),
        languages=params.str_list("languages") or None,
    )
    target = await relationships.follow(app_context(request), viewer, path_id(request), options)
    return await _relationship(request, viewer, target)


def _simple(scope: str, operation):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        viewer = await require_user(request, scope)
        target = await operation(request, viewer, path_id(request))
        return await _relationship(request, viewer, target)

    return endpoint


async def _mute(request: Request, viewer: Account, target_id: int) -> Account:
    params = await read_params(request)
    return await relationships.mute(
        viewer,
        target_id,
        hide_notifications=params.bool("notifications", True) is not False,
        duration=params.int("duration", 0, minimum=0) or 0,
    )


async def relationships_endpoint(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:follows")
    ids = query_ids(request, "id")
    found = {a.id: a for a in await Account.filter(id__in=ids)}
    targets = [found[i] for i in dict.fromkeys(ids) if i in found]
    return JSONResponse(await presenter(request, viewer).relationships(targets))


async def lookup(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:accounts")
    acct = (request.query_params.get("acct") or "").strip().lstrip("@").lower()
    if not acct:
        raise ValidationFailed("Validation failed: acct is missing")
    ctx = app_context(request)
    username, _, host = acct.partition("@")
    key = username if not host or host == ctx.settings.domain else acct
    account = await Account.get_or_none(acct_key=key)
    if (
        account is None
        and host
        and host != ctx.settings.domain
        and ctx.resolve_remote_account is not None
    ):
        account = await ctx.resolve_remote_account(username, host)
    if account is None or account.suspended_at is not None or account.is_instance_actor:
        raise NotFound()
    return JSONResponse(await presenter(request, viewer).profile(account))


async def account_search(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:accounts")
    ctx = app_context(request)
    q = request.query_params.get("q", "")
    limit = int_param(request, "limit", 40, minimum=1, maximum=80)
    results = await search.search(
        ctx,
        viewer,
        q,
        kind="accounts",
        resolve=flag(request, "resolve"),
        limit=limit,
        offset=0,
        following=flag(request, "following"),
        account_id=None,
    )
    return JSONResponse(presenter(request, viewer).accounts(results.accounts))


async def familiar_followers(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:follows")
    ids = query_ids(request, "id")
    wanted = list(dict.fromkeys(ids))
    # the people the viewer follows who follow each account: one query for all of them
    rows = (
        await Follow.filter(
            target_account_id__in=wanted,
            account_id__in=Subquery(
                Follow.filter(account_id=viewer.id).values("target_account_id")
            ),
            account__suspended_at__isnull=True,
        )
        .select_related("account")
        .order_by("id")
        if wanted
        else []
    )
    familiar: dict[int, list[Account]] = {account_id: [] for account_id in wanted}
    for row in rows:
        familiar[row.target_account_id].append(row.account)  # type: ignore[attr-defined]
    view = presenter(request, viewer)
    return JSONResponse(
        [{"id": str(i), "accounts": view.accounts(people)} for i, people in familiar.items()]
    )


async def follow_requests(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:follows")
    rows = await fetch_page(
        FollowRequest.filter(target_account_id=viewer.id).select_related("account"),
        page_request(request, default=40, maximum=80),
    )
    return paged_rows(request, presenter(request, viewer).accounts(r.account for r in rows), rows)


async def blocks(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:blocks")
    rows = await fetch_page(
        Block.filter(account_id=viewer.id).select_related("target_account"),
        page_request(request, default=40, maximum=80),
    )
    return paged_rows(
        request, presenter(request, viewer).accounts(r.target_account for r in rows), rows
    )


async def mutes(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:mutes")
    rows = await fetch_page(
        Mute.filter(account_id=viewer.id).select_related("target_account"),
        page_request(request, default=40, maximum=80),
    )
    body = presenter(request, viewer).accounts(r.target_account for r in rows)
    for entity, row in zip(body, rows, strict=True):
        from fedianon.timeutil import iso

        entity["mute_expires_at"] = iso(row.expires_at)
    return paged_rows(request, body, rows)


async def domain_blocks(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:blocks")
    if request.method == "GET":
        rows = await fetch_page(
            AccountDomainBlock.filter(account_id=viewer.id),
            page_request(request, default=100, maximum=200),
        )
        return paged_rows(request, [r.domain for r in rows], rows)
    await require_user(request, "write:blocks")
    params = await read_params(request)
    domain = params.str("domain") or ""
    if request.method == "POST":
        await relationships.block_domain(viewer, domain)
    else:
        await relationships.unblock_domain(viewer, domain)
    return JSONResponse({})


async def prefs(request: Request) -> JSONResponse:
    viewer = await require_user(request, "read:accounts")
    return JSONResponse(preferences.preferences(viewer))


async def markers(request: Request) -> JSONResponse:
    if request.method == "GET":
        viewer = await require_user(request, "read:statuses")
        return JSONResponse(await preferences.get_markers(viewer, query_list(request, "timeline")))
    viewer = await require_user(request, "write:statuses")
    params = await read_params(request)
    positions = {}
    for timeline in preferences.TIMELINES:
        value = (
            params.dict(timeline).get("last_read_id")
            if isinstance(params.raw(timeline), dict)
            else None
        )
        if value is not None:
            positions[timeline] = str(value)
    return JSONResponse(await preferences.save_markers(viewer, positions))


routes = [
    Route("/api/v1/accounts/relationships", relationships_endpoint, methods=["GET"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/accounts/search", account_search, methods=["GET"]),
    Route("/api/v1/accounts/familiar_followers", familiar_followers, methods=["GET"]),
    Route("/api/v1/accounts/{id}", show, methods=["GET"]),
    Route("/api/v1/accounts/{id}/statuses", account_statuses, methods=["GET"]),
    Route("/api/v1/accounts/{id}/followers", followers, methods=["GET"]),
    Route("/api/v1/accounts/{id}/following", following, methods=["GET"]),
    Route("/api/v1/accounts/{id}/follow", follow, methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/unfollow",
        _simple("write:follows", lambda r, v, i: relationships.unfollow(app_context(r), v, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id}/remove_from_followers",
        _simple(
            "write:follows", lambda r, v, i: relationships.remove_follower(app_context(r), v, i)
        ),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id}/block",
        _simple("write:blocks", lambda r, v, i: relationships.block(app_context(r), v, i)),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id}/unblock",
        _simple("write:blocks", lambda r, v, i: relationships.unblock(app_context(r), v, i)),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id}/mute", _simple("write:mutes", _mute), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/unmute",
        _simple("write:mutes", lambda r, v, i: relationships.unmute(v, i)),
        methods=["POST"],
    ),
    Route("/api/v1/follow_requests", follow_requests, methods=["GET"]),
    Route(
        "/api/v1/follow_requests/{id}/authorize",
        _simple(
            "write:follows", lambda r, v, i: relationships.authorize_request(app_context(r), v, i)
        ),
        methods=["POST"],
    ),
    Route(
        "/api/v1/follow_requests/{id}/reject",
        _simple(
            "write:follows", lambda r, v, i: relationships.reject_request(app_context(r), v, i)
        ),
        methods=["POST"],
    ),
    Route("/api/v1/blocks", blocks, methods=["GET"]),
    Route("/api/v1/mutes", mutes, methods=["GET"]),
    Route("/api/v1/domain_blocks", domain_blocks, methods=["GET", "POST", "DELETE"]),
    Route("/api/v1/preferences", prefs, methods=["GET"]),
    Route("/api/v1/markers", markers, methods=["GET", "POST"]),
]

"""Server-to-server GETs: actors, statuses and their Create activities, outbox, followers,
following and featured collections. Browsers asking for these get the HTML pages instead.

Unsigned GETs are served by default (Fedify and others fetch unsigned). With
FEDIANON_AUTHORIZED_FETCH the object routes require a valid HTTP signature, except the
actor documents (keys must stay fetchable) and the instance actor, as Mastodon's secure mode.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from federation.collections import build_collection, build_page
from fedianon.activitypub import renderers
from fedianon.activitypub.negotiation import activity_response, wants_activity_json
from fedianon.context import AppContext, app_context
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.models.social import Follow, StatusPin
from fedianon.models.statuses import Status
from fedianon.services import outbox

PAGE_SIZE = 20


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "Record not found"}, status_code=404)


async def _local_account(handle: str) -> Account | None:
    account = await Account.get_or_none(acct_key=handle.lower(), domain=None)
    if account is None or account.actor_type == "Application":
        return None
    return account


async def _require_signature(request: Request) -> Response | None:
    ctx = app_context(request)
    if not ctx.settings.authorized_fetch:
        return None
    from fedianon.activitypub.inbox import verify_request

    result = await verify_request(request, b"")
    return result if isinstance(result, Response) else None


async def actor(request: Request) -> Response:
    ctx = app_context(request)
    handle = request.path_params["handle"]
    if not wants_activity_json(request):
        return RedirectResponse(f"/@{handle}", status_code=302)
    account = await _local_account(handle)
    if account is None:
        return _not_found()
    if account.deleted_at is not None:
        return activity_response(renderers.tombstone(account.uri), 410)
    return activity_response(renderers.person(account, ctx.urls))  # suspended: marked so


async def instance_actor(request: Request) -> Response:
    ctx = app_context(request)
    account = ctx.extras["instance_actor"]
    return activity_response(
        renderers.person(account, ctx.urls, blocklist_url=f"{ctx.urls.instance_actor}/blocklist")
    )


async def _public_status(handle: str, status_id: int | None) -> Status | None:
    if status_id is None:
        return None
    status = await Status.get_or_none(id=status_id, local=True).select_related("account")
    if (
        status is None
        or status.account.username != handle.lower()
        or status.visibility not in ("public", "unlisted")
    ):
        return None
    if status.reblog_of_id is not None or status.account.suspended_at is not None:  # type: ignore[attr-defined]
        return None
    return status


async def status_object(request: Request) -> Response:
    ctx = app_context(request)
    handle = request.path_params["handle"]
    if not wants_activity_json(request):
        return RedirectResponse(f"/@{handle}/{request.path_params['id']}", status_code=302)
    if (denied := await _require_signature(request)) is not None:
        return denied
    status = await _public_status(handle, parse_id(request.path_params["id"]))
    if status is None:
        return _not_found()
    document, _ = await outbox.note_document(ctx, status)
    return activity_response({"@context": renderers.CONTEXT, **document})


async def status_activity(request: Request) -> Response:
    ctx = app_context(request)
    if (denied := await _require_signature(request)) is not None:
        return denied
    status = await _public_status(
        request.path_params["handle"], parse_id(request.path_params["id"])
    )
    if status is None:
        return _not_found()
    document, _ = await outbox.note_document(ctx, status)
    return activity_response(outbox.create_activity(status, document))


async def _create_items(ctx: AppContext, statuses: list[Status]) -> list[dict[str, Any]]:
    items = []
    for status in statuses:
        document, _ = await outbox.note_document(ctx, status)
        activity = outbox.create_activity(status, document)
        activity.pop("@context", None)
        items.append(activity)
    return items


async def outbox_collection(request: Request) -> Response:
    ctx = app_context(request)
    if (denied := await _require_signature(request)) is not None:
        return denied
    account = await _local_account(request.path_params["handle"])
    if account is None:
        return _not_found()
    url = account.outbox_url or ctx.urls.outbox(account.username)
    query = Status.filter(
        account_id=account.id, visibility__in=("public", "unlisted"), reblog_of_id__isnull=True
    )
    if request.query_params.get("page") != "true":
        return activity_response(
            build_collection(
                url,
                total_items=await query.count(),
                first=f"{url}?page=true",
                last=f"{url}?min_id=0&page=true",
            )
        )
    max_id = parse_id(request.query_params.get("max_id"))
    if max_id is not None:
        query = query.filter(id__lt=max_id)
    statuses = list(await query.select_related("account").order_by("-id").limit(PAGE_SIZE))
    next_page = f"{url}?max_id={statuses[-1].id}&page=true" if len(statuses) == PAGE_SIZE else None
    page_id = f"{url}?page=true" + (f"&max_id={max_id}" if max_id else "")
    return activity_response(
        build_page(
            page_id, part_of=url, items=await _create_items(ctx, statuses), next_page=next_page
        )
    )


async def _follow_collection(request: Request, *, followers: bool) -> Response:
    app_context(request)
    if (denied := await _require_signature(request)) is not None:
        return denied
    handle = request.path_params["handle"]
    account = await _local_account(handle)
    if account is None:
        return _not_found()
    url = (account.followers_url if followers else account.following_url) or ""
    query = (
        Follow.filter(target_account_id=account.id)
        if followers
        else Follow.filter(account_id=account.id)
    )
    total = await query.count()
    if account.hide_collections:
        return activity_response(build_collection(url, total_items=total))
    page = parse_id(request.query_params.get("page"))
    if page is None:
        return activity_response(build_collection(url, total_items=total, first=f"{url}?page=1"))
    related = "account" if followers else "target_account"
    rows = await query.select_related(related).order_by("-id").offset((page - 1) * 40).limit(40)
    items = [getattr(row, related).uri for row in rows]
    next_page = f"{url}?page={page + 1}" if len(rows) == 40 else None
    prev_page = f"{url}?page={page - 1}" if page > 1 else None
    return activity_response(
        build_page(
            f"{url}?page={page}",
            part_of=url,
            items=items,
            next_page=next_page,
            prev_page=prev_page,
            total_items=total,
        )
    )


async def followers(request: Request) -> Response:
    return await _follow_collection(request, followers=True)


async def following(request: Request) -> Response:
    return await _follow_collection(request, followers=False)


async def featured(request: Request) -> Response:
    ctx = app_context(request)
    if (denied := await _require_signature(request)) is not None:
        return denied
    account = await _local_account(request.path_params["handle"])
    if account is None:
        return _not_found()
    pins = (
        await StatusPin.filter(account_id=account.id)
        .order_by("-id")
        .values_list("status_id", flat=True)
    )
    statuses = [
        s
        for s in await Status.filter(
            id__in=list(pins), visibility__in=("public", "unlisted")
        ).select_related("account")
    ]
    items = []
    for status in statuses:
        document, _ = await outbox.note_document(ctx, status)
        items.append(document)
    url = account.featured_url or ctx.urls.featured(account.username)
    return activity_response(build_collection(url, total_items=len(items), items=items))


routes = [
    Route("/actor", instance_actor, methods=["GET"]),
    Route("/users/{handle}", actor, methods=["GET"]),
    Route("/users/{handle}/outbox", outbox_collection, methods=["GET"]),
    Route("/users/{handle}/followers", followers, methods=["GET"]),
    Route("/users/{handle}/following", following, methods=["GET"]),
    Route("/users/{handle}/collections/featured", featured, methods=["GET"]),
    Route("/users/{handle}/statuses/{id}", status_object, methods=["GET"]),
    Route("/users/{handle}/statuses/{id}/activity", status_activity, methods=["GET"]),
]


async def blocklist_collection(request: Request) -> Response:
    """The instance's published blocklist. Approved peers (signed GETs from accepted followers
    of the instance actor) see every entry; others only when FEDIANON_SHOW_DOMAIN_BLOCKS=all,
    and without obfuscated entries."""
    from fedianon.activitypub import blocklist_federation
    from fedianon.activitypub.inbox import verify_request

    ctx = app_context(request)
    for_peer = False
    if "signature" in request.headers or "signature-input" in request.headers:
        signer = await verify_request(request, b"")
        if isinstance(signer, Response):
            return signer
        for_peer = await Follow.filter(
            account_id=signer.id, target_account_id=ctx.extras["instance_actor"].id
        ).exists()
    if not for_peer and ctx.settings.show_domain_blocks != "all":
        return JSONResponse(
            {"error": "This blocklist is shared with approved peers only"}, status_code=403
        )
    return activity_response(await blocklist_federation.collection_document(ctx, for_peer=for_peer))


routes.append(Route("/actor/blocklist", blocklist_collection, methods=["GET"]))

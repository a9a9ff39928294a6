"""GoToSocial's domain permission subscriptions, drafts and excludes API, with fedianon's
additions on subscriptions: `max_severity`, `kind` (url | activitypub), `actor_uri`,
`follow_state`, and `POST .../:id/refresh` to fetch now."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_admin
from fedianon.api.common import path_id
from fedianon.api.pagination import page_request, paged_rows
from fedianon.api.params import Params, read_params
from fedianon.context import app_context
from fedianon.errors import BadRequest, NotFound
from fedianon.models.moderation import (
    BlocklistDraft,
    BlocklistExclude,
    BlocklistSubscription,
)
from fedianon.services import domain_blocks, subscriptions
from fedianon.services.paging import fetch_page
from fedianon.timeutil import iso

READ, WRITE = "admin:read", "admin:write"


def subscription_entity(sub: BlocklistSubscription) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(sub.id),
        "priority": sub.priority,
        "title": sub.title,
        "permission_type": sub.permission_type,
        "as_draft": sub.as_draft,
        "adopt_orphans": sub.adopt_orphans,
        "remove_retracted": sub.remove_retracted,
        "created_at": iso(sub.created_at),
        "created_by": str(sub.created_by_id) if sub.created_by_id else None,  # type: ignore[attr-defined]
        "uri": sub.uri,
        "content_type": sub.content_type,
        "fetch_username": sub.fetch_username,
        "fetch_password": sub.fetch_password,
        "fetched_at": iso(sub.fetched_at),
        "successfully_fetched_at": iso(sub.successfully_fetched_at),
        "error": sub.error,
        "count": sub.count,
        "max_severity": sub.max_severity,
        "kind": sub.kind,
        "actor_uri": sub.actor_uri,
        "follow_state": sub.follow_state,
    }
    return {k: v for k, v in entity.items() if v is not None and v != ""}


def _permission(
    domain: str,
    *,
    id_: int,
    permission_type: str | None = None,
    severity: str = "suspend",
    obfuscate: bool = False,
    public_comment: str | None = None,
    private_comment: str | None = None,
    subscription_id: int | None = None,
    created_at: Any = None,
) -> dict[str, Any]:
    entity = {
        "id": str(id_),
        "domain": domain,
        "obfuscate": obfuscate,
        "public_comment": public_comment,
        "private_comment": private_comment,
        "subscription_id": str(subscription_id) if subscription_id else None,
        "created_at": iso(created_at),
        "severity": severity,
    }
    if permission_type is not None:
        entity["permission_type"] = permission_type
    return {k: v for k, v in entity.items() if v is not None}


def draft_entity(d: BlocklistDraft) -> dict[str, Any]:
    return _permission(
        d.domain,
        id_=d.id,
        permission_type=d.permission_type,
        severity=d.severity,
        obfuscate=d.obfuscate,
        public_comment=d.public_comment,
        private_comment=d.private_comment,
        subscription_id=d.subscription_id,
        created_at=d.created_at,
    )  # type: ignore[attr-defined]


def exclude_entity(e: BlocklistExclude) -> dict[str, Any]:
    return _permission(
        e.domain, id_=e.id, private_comment=e.private_comment, created_at=e.created_at
    )


def _spec(params: Params) -> subscriptions.SubscriptionSpec:
    uri = params.str("uri") or ""
    if not uri:
        raise BadRequest("uri is required")
    return subscriptions.SubscriptionSpec(
        uri=uri,
        permission_type=params.str("permission_type") or "block",
        content_type=params.str("content_type") or "text/csv",
        priority=params.int("priority", 0) or 0,
        title=params.str("title"),
        as_draft=params.bool("as_draft", True) is not False,
        adopt_orphans=bool(params.bool("adopt_orphans", False)),
        remove_retracted=params.bool("remove_retracted", True) is not False,
        max_severity=params.str("max_severity") or "suspend",
        fetch_username=params.str("fetch_username"),
        fetch_password=params.str("fetch_password"),
        kind=params.str("kind") or "url",
    )


async def create_subscription(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    params = await read_params(request)
    subscription = await subscriptions.create_subscription(
        app_context(request), _spec(params), actor=actor
    )
    return JSONResponse(subscription_entity(subscription))


async def list_subscriptions(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    query = BlocklistSubscription.all()
    if request.query_params.get("permission_type"):
        query = query.filter(permission_type=request.query_params["permission_type"])
    rows = await fetch_page(query, page_request(request, default=20, maximum=100))
    return paged_rows(request, [subscription_entity(s) for s in rows], rows)


async def preview_subscriptions(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    kind = request.query_params.get("permission_type")
    if kind not in ("block", "allow"):
        raise BadRequest("permission_type must be block or allow")
    rows = await BlocklistSubscription.filter(permission_type=kind).order_by("-priority", "id")
    return JSONResponse([subscription_entity(s) for s in rows])


async def show_subscription(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    return JSONResponse(subscription_entity(await subscriptions.get_subscription(path_id(request))))


async def update_subscription(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    subscription = await subscriptions.get_subscription(path_id(request))
    params = await read_params(request)
    values: dict[str, Any] = {}
    for name in (
        "uri",
        "title",
        "content_type",
        "permission_type",
        "max_severity",
        "fetch_username",
        "fetch_password",
    ):
        if name in params:
            values[name] = params.str(name)
    for name in ("as_draft", "adopt_orphans", "remove_retracted"):
        if name in params:
            values[name] = params.bool(name)
    if "priority" in params:
        values["priority"] = params.int("priority")
    return JSONResponse(
        subscription_entity(
            await subscriptions.update_subscription(subscription, values, actor=actor)
        )
    )


async def remove_subscription(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    subscription = await subscriptions.get_subscription(path_id(request))
    params = await read_params(request)
    entity = subscription_entity(subscription)
    await subscriptions.remove_subscription(
        app_context(request),
        subscription,
        remove_children=params.bool("remove_children", True) is not False,
        actor=actor,
    )
    return JSONResponse(entity)


async def test_subscription(request: Request) -> JSONResponse:
    await require_admin(request, WRITE)
    subscription = await subscriptions.get_subscription(path_id(request))
    try:
        entries = await subscriptions.test_subscription(app_context(request), subscription)
    except subscriptions.FetchFailed as exc:
        return JSONResponse({"error": str(exc)})
    return JSONResponse(
        [
            {
                "domain": e.domain,
                "severity": e.severity,
                "public_comment": e.public_comment or None,
                "obfuscate": e.obfuscate,
            }
            for e in entries
        ]
    )


async def refresh_subscription(request: Request) -> JSONResponse:
    await require_admin(request, WRITE)
    subscription = await subscriptions.get_subscription(path_id(request))
    return JSONResponse(
        subscription_entity(await subscriptions.refresh(app_context(request), subscription))
    )


async def create_draft(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    params = await read_params(request)
    draft = await subscriptions.create_draft(
        app_context(request),
        domain=params.str("domain") or "",
        permission_type=params.str("permission_type") or "block",
        severity=params.str("severity") or "suspend",
        obfuscate=bool(params.bool("obfuscate", False)),
        public_comment=params.str("public_comment"),
        private_comment=params.str("private_comment"),
        actor=actor,
    )
    return JSONResponse(draft_entity(draft))


async def list_drafts(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    query = BlocklistDraft.all()
    for name in ("subscription_id", "domain", "permission_type"):
        value = request.query_params.get(name)
        if value:
            query = query.filter(**{name: value})
    rows = await fetch_page(query, page_request(request, default=20, maximum=100))
    return paged_rows(request, [draft_entity(d) for d in rows], rows)


async def show_draft(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    return JSONResponse(draft_entity(await subscriptions.get_draft(path_id(request))))


async def accept_draft(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    draft = await subscriptions.get_draft(path_id(request))
    params = await read_params(request)
    block = await subscriptions.accept_draft(
        app_context(request), draft, actor=actor, overwrite=bool(params.bool("overwrite", False))
    )
    return JSONResponse(
        _permission(
            block.domain,
            id_=block.id,
            severity=block.severity,
            obfuscate=block.obfuscate,
            public_comment=block.public_comment,
            private_comment=block.private_comment,
            subscription_id=block.subscription_id,
            created_at=block.created_at,
        )
    )  # type: ignore[attr-defined]


async def remove_draft(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    draft = await subscriptions.get_draft(path_id(request))
    params = await read_params(request)
    entity = draft_entity(draft)
    await subscriptions.reject_draft(
        draft, actor=actor, exclude_target=bool(params.bool("exclude_target", False))
    )
    return JSONResponse(entity)


async def create_exclude(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    params = await read_params(request)
    exclude = await subscriptions.create_exclude(
        params.str("domain") or "", private_comment=params.str("private_comment"), actor=actor
    )
    return JSONResponse(exclude_entity(exclude))


async def list_excludes(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    rows = await fetch_page(BlocklistExclude.all(), page_request(request, default=20, maximum=100))
    return paged_rows(request, [exclude_entity(e) for e in rows], rows)


async def show_exclude(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    exclude = await BlocklistExclude.get_or_none(id=path_id(request))
    if exclude is None:
        raise NotFound()
    return JSONResponse(exclude_entity(exclude))


async def delete_exclude(request: Request) -> JSONResponse:
    await require_admin(request, WRITE)
    exclude = await BlocklistExclude.get_or_none(id=path_id(request))
    if exclude is None:
        raise NotFound()
    entity = exclude_entity(exclude)
    await subscriptions.delete_exclude(exclude.id)
    return JSONResponse(entity)


async def provenance(request: Request) -> JSONResponse:
    """fedianon: which subscriptions list a blocked domain, and who owns the block."""
    await require_admin(request, READ)
    block = await domain_blocks.get_block(path_id(request))
    from fedianon.models.moderation import BlocklistProvenance

    rows = await BlocklistProvenance.filter(domain=block.domain).select_related("subscription")
    return JSONResponse(
        {
            "domain_block": domain_blocks.admin_entity(block),
            "source": block.source,
            "owner_subscription_id": str(block.subscription_id) if block.subscription_id else None,  # type: ignore[attr-defined]
            "listed_by": [
                {
                    "subscription_id": str(r.subscription.id),
                    "title": r.subscription.title,
                    "uri": r.subscription.uri,
                    "severity": r.severity,
                    "first_seen_at": iso(r.first_seen_at),
                    "last_seen_at": iso(r.last_seen_at),
                }
                for r in rows
            ],
        }
    )


async def adopt(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    block = await subscriptions.adopt_block(
        await domain_blocks.get_block(path_id(request)), actor=actor
    )
    return JSONResponse(domain_blocks.admin_entity(block))


BASE = "/api/v1/admin/domain_permission_subscriptions"
routes = [
    Route(BASE, create_subscription, methods=["POST"]),
    Route(BASE, list_subscriptions, methods=["GET"]),
    Route(f"{BASE}/preview", preview_subscriptions, methods=["GET"]),
    Route(BASE + "/{id}", show_subscription, methods=["GET"]),
    Route(BASE + "/{id}", update_subscription, methods=["PATCH"]),
    Route(BASE + "/{id}/remove", remove_subscription, methods=["POST"]),
    Route(BASE + "/{id}/test", test_subscription, methods=["POST"]),
    Route(BASE + "/{id}/refresh", refresh_subscription, methods=["POST"]),
    Route("/api/v1/admin/domain_permission_drafts", create_draft, methods=["POST"]),
    Route("/api/v1/admin/domain_permission_drafts", list_drafts, methods=["GET"]),
    Route("/api/v1/admin/domain_permission_drafts/{id}", show_draft, methods=["GET"]),
    Route("/api/v1/admin/domain_permission_drafts/{id}/accept", accept_draft, methods=["POST"]),
    Route("/api/v1/admin/domain_permission_drafts/{id}/remove", remove_draft, methods=["POST"]),
    Route("/api/v1/admin/domain_permission_excludes", create_exclude, methods=["POST"]),
    Route("/api/v1/admin/domain_permission_excludes", list_excludes, methods=["GET"]),
    Route("/api/v1/admin/domain_permission_excludes/{id}", show_exclude, methods=["GET"]),
    Route("/api/v1/admin/domain_permission_excludes/{id}", delete_exclude, methods=["DELETE"]),
    Route("/api/v1/admin/domain_blocks/{id}/provenance", provenance, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks/{id}/adopt", adopt, methods=["POST"]),
]

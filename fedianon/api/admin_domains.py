"""Mastodon's admin API for domain blocks and allows, and the public block list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedianon.api.auth import optional_user, require_admin
from fedianon.api.common import path_id
from fedianon.api.pagination import page_request, paged_rows
from fedianon.api.params import Params, read_params
from fedianon.blocklists import ListFormatError
from fedianon.context import app_context
from fedianon.errors import NotFound, ValidationFailed
from fedianon.models.moderation import DomainAllow, DomainBlock
from fedianon.services import domain_blocks, domain_import
from fedianon.services.paging import fetch_page
from fedianon.timeutil import iso

READ, WRITE = "admin:read:domain_blocks", "admin:write:domain_blocks"


def _spec(params: Params, domain: str) -> domain_blocks.BlockSpec:
    return domain_blocks.BlockSpec(
        domain=domain,
        severity=params.str("severity") or "silence",
        reject_media=bool(params.bool("reject_media", False)),
        reject_reports=bool(params.bool("reject_reports", False)),
        private_comment=params.str("private_comment"),
        public_comment=params.str("public_comment"),
        obfuscate=bool(params.bool("obfuscate", False)),
    )


async def list_blocks(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    rows = await fetch_page(DomainBlock.all(), page_request(request, default=100, maximum=200))
    return paged_rows(request, [domain_blocks.admin_entity(b) for b in rows], rows)


async def create_block(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    ctx = app_context(request)
    params = await read_params(request)
    if params.bool("import") and "domains" in params.files:
        return await _import_file(request, params)
    domain = params.str("domain") or ""
    if not domain.strip():
        raise ValidationFailed("Validation failed: Domain can't be blank")
    block = await domain_blocks.create_block(ctx, _spec(params, domain), actor=actor)
    return JSONResponse(domain_blocks.admin_entity(block))


async def _import_file(request: Request, params: Params) -> JSONResponse:
    """GoToSocial's bulk import: `import=true` with a `domains` file (JSON, CSV or text)."""
    actor = await require_admin(request, WRITE)
    ctx = app_context(request)
    upload = params.files["domains"]
    data = await upload.read(50 * 1024 * 1024 + 1)
    if len(data) > 50 * 1024 * 1024:
        raise ValidationFailed("Validation failed: the file is larger than 50 MB")
    try:
        planned = await domain_import.preview(ctx, data, upload.content_type)
    except ListFormatError as exc:
        raise ValidationFailed(f"Validation failed: {exc}") from None
    if params.bool("dry_run"):
        return JSONResponse(preview_entity(planned))
    await domain_import.apply(ctx, planned, actor=actor, filename=upload.filename or "upload")
    domains = [e.domain for e in planned.added] + [c.new.domain for c in planned.changed]
    blocks = await DomainBlock.filter(domain__in=domains) if domains else []
    return JSONResponse([domain_blocks.admin_entity(b) for b in blocks])


def preview_entity(planned: domain_import.ImportPreview) -> dict[str, object]:
    return {
        "format": planned.format,
        "added": [e._asdict() for e in planned.added],
        "changed": [{"old": c.old._asdict(), "new": c.new._asdict()} for c in planned.changed],
        "unchanged": planned.unchanged,
        "excluded": [e.domain for e in planned.excluded],
        "problems": [
            {"line": p.line_no, "text": p.text_excerpt, "reason": p.reason}
            for p in planned.problems
        ],
    }


async def show_block(request: Request) -> JSONResponse:
    await require_admin(request, READ)
    return JSONResponse(domain_blocks.admin_entity(await domain_blocks.get_block(path_id(request))))


async def update_block(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    block = await domain_blocks.get_block(path_id(request))
    params = await read_params(request)
    values: dict[str, object] = {}
    for name in ("severity", "private_comment", "public_comment"):
        if name in params:
            values[name] = params.str(name)
    for name in ("reject_media", "reject_reports", "obfuscate"):
        if name in params:
            values[name] = params.bool(name)
    block = await domain_blocks.update_block(app_context(request), block, values, actor=actor)
    return JSONResponse(domain_blocks.admin_entity(block))


async def delete_block(request: Request) -> JSONResponse:
    actor = await require_admin(request, WRITE)
    block = await domain_blocks.get_block(path_id(request))
    await domain_blocks.delete_block(app_context(request), block, actor=actor)
    return JSONResponse({})


def _allow_entity(allow: DomainAllow) -> dict[str, object]:
    return {"id": str(allow.id), "domain": allow.domain, "created_at": iso(allow.created_at)}


async def list_allows(request: Request) -> JSONResponse:
    await require_admin(request, "admin:read:domain_allows")
    rows = await fetch_page(DomainAllow.all(), page_request(request, default=100, maximum=200))
    return paged_rows(request, [_allow_entity(a) for a in rows], rows)


async def create_allow(request: Request) -> JSONResponse:
    actor = await require_admin(request, "admin:write:domain_allows")
    params = await read_params(request)
    domain = params.str("domain") or ""
    if not domain.strip():
        raise ValidationFailed("Validation failed: Domain can't be blank")
    return JSONResponse(
        _allow_entity(await domain_blocks.create_allow(app_context(request), domain, actor=actor))
    )


async def show_allow(request: Request) -> JSONResponse:
    await require_admin(request, "admin:read:domain_allows")
    allow = await DomainAllow.get_or_none(id=path_id(request))
    if allow is None:
        raise NotFound()
    return JSONResponse(_allow_entity(allow))


async def delete_allow(request: Request) -> JSONResponse:
    actor = await require_admin(request, "admin:write:domain_allows")
    await domain_blocks.delete_allow(path_id(request), actor=actor)
    return JSONResponse({})


async def public_list(request: Request) -> Response:
    """/api/v1/instance/domain_blocks, shown to all, to signed-in users, or to nobody."""
    settings = app_context(request).settings
    viewer = await optional_user(request)
    if settings.show_domain_blocks == "disabled" or (
        settings.show_domain_blocks == "users" and viewer is None
    ):
        return Response(status_code=404)
    rationale = settings.show_domain_blocks_rationale
    with_comment = rationale == "all" or (rationale == "users" and viewer is not None)
    entries = domain_blocks.public_entries(list(await DomainBlock.all()), with_comment=with_comment)
    return JSONResponse(
        entries,
        headers={"Cache-Control": "public, max-age=180"}
        if settings.show_domain_blocks == "all"
        else None,
    )


async def public_csv(request: Request) -> Response:
    """The published blocklist as Mastodon's CSV, for peers that subscribe by URL. Shown when
    FEDIANON_SHOW_DOMAIN_BLOCKS=all; obfuscated entries and private comments are left out."""
    if app_context(request).settings.show_domain_blocks != "all":
        return Response(
            "This instance does not publish its blocklist.",
            status_code=404,
            media_type="text/plain",
        )
    return Response(
        await domain_import.export_csv(public=True),
        media_type="text/csv; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


routes = [
    Route("/blocklist.csv", public_csv, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks", list_blocks, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks", create_block, methods=["POST"]),
    Route("/api/v1/admin/domain_blocks/{id}", show_block, methods=["GET"]),
    Route("/api/v1/admin/domain_blocks/{id}", update_block, methods=["PUT"]),
    Route("/api/v1/admin/domain_blocks/{id}", delete_block, methods=["DELETE"]),
    Route("/api/v1/admin/domain_allows", list_allows, methods=["GET"]),
    Route("/api/v1/admin/domain_allows", create_allow, methods=["POST"]),
    Route("/api/v1/admin/domain_allows/{id}", show_allow, methods=["GET"]),
    Route("/api/v1/admin/domain_allows/{id}", delete_allow, methods=["DELETE"]),
    Route("/api/v1/instance/domain_blocks", public_list, methods=["GET"]),
]

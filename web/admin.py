"""The admin area (/admin): domain blocks and allows, imports with a preview, exports,
subscriptions with their fetch status, the drafts review queue, excludes, provenance, the
federation job queue and blocklist peers. Admins only for federation; every form carries
the CSRF token; every page calls services, never models."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedianon.blocklists import ListFormatError
from fedianon.context import app_context
from fedianon.errors import FedianonError, NotFound, ValidationFailed
from fedianon.jobs import queue
from fedianon.models.accounts import Account
from fedianon.services import admin_views, domain_blocks, domain_import, subscriptions
from web.csrf import FIELD, check_csrf
from web.routes import current_account, render, render_error_page

MAX_UPLOAD = 20 * 1024 * 1024


async def _admin(request: Request) -> Account | Response:
    account = await current_account(request)
    if account is None:
        return RedirectResponse("/auth/sign_in?next=" + request.url.path, status_code=303)
    if account.role != "admin":
        return render_error_page(request, "Only admins can manage federation.", 403, None)
    return account


async def _form(
    request: Request, *, files: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    try:
        form = await request.form(
            max_files=1 if files else 0, max_fields=5000, max_part_size=MAX_UPLOAD
        )
    except Exception:  # malformed bodies of any kind
        raise FedianonError("The form could not be read. Please try again.") from None
    check_csrf(request, form.get(FIELD))
    single = {k: v for k, v in form.items()}
    multi = {k: [str(v) for v in form.getlist(k)] for k in form}
    return single, multi


def _back(path: str, notice: str | None = None) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(path + (f"?notice={quote(notice)}" if notice else ""), status_code=303)


PageContext = Callable[[Request], Awaitable[dict[str, Any]]]


async def _no_context(request: Request) -> dict[str, Any]:
    return {}


def _page(name: str, context: PageContext = _no_context):  # type: ignore[no-untyped-def]
    """Decorator: admin-only page; FedianonError becomes the same page, built by `context`
    (the one its GET uses), with the error shown."""

    def wrap(handler):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> Response:
            admin = await _admin(request)
            if isinstance(admin, Response):
                return admin
            try:
                return await handler(request, admin)
            except FedianonError as exc:
                return await render(
                    request,
                    name,
                    {**await context(request), "error": exc.message},
                    exc.status_code,
                )

        return endpoint

    return wrap


async def _blocks_context(request: Request) -> dict[str, Any]:
    return {
        "blocks": await admin_views.blocks(query=request.query_params.get("q", "")),
        "allows": await admin_views.allows(),
    }


def _block_id(request: Request) -> int:
    return int(request.path_params["id"]) if request.path_params["id"].isdigit() else 0


async def _block_context(request: Request) -> dict[str, Any]:
    found = await admin_views.block_with_provenance(_block_id(request))
    return {"block": found[0], "listed": found[1]} if found is not None else {}


async def _subscriptions_context(request: Request) -> dict[str, Any]:
    return {"subscriptions": await admin_views.subscriptions()}


async def _drafts_context(request: Request) -> dict[str, Any]:
    rows, total = await admin_views.drafts()
    return {"drafts": rows, "total": total, "excludes": await admin_views.excludes()}


async def _federation_context(request: Request) -> dict[str, Any]:
    from fedianon.activitypub import blocklist_federation

    ctx = app_context(request)
    return {
        "dead": await admin_views.dead_jobs(),
        "instances": await admin_views.instances_in_trouble(),
        "target": admin_views.job_target,
        "pending_peers": await blocklist_federation.pending_peers(ctx),
        "peers": await blocklist_federation.peers(ctx),
    }


def _form_int(form: Any, name: str, default: int | None = None) -> int:
    """A whole number (a record id, a priority) posted by an admin form; when it is missing,
    `default` if there is one; anything else is a clear 422, not a crash."""
    raw = str(form.get(name, "") or "").strip()
    if not raw and default is not None:
        return default
    if not raw.isdigit():
        raise ValidationFailed(f"Validation failed: {name} must be a whole number")
    return int(raw)


async def index(request: Request) -> Response:
    """The overview: moderators see the reports link, admins everything."""
    account = await current_account(request)
    if account is None:
        return RedirectResponse("/auth/sign_in?next=/admin", status_code=303)
    if account.role not in ("admin", "moderator"):
        return render_error_page(
            request, "Only moderators and admins can open the admin area.", 403, None
        )
    stats = await admin_views.dashboard() if account.role == "admin" else None
    return await render(request, "admin/index.html", {"stats": stats})


@_page("admin/domain_blocks.html", _blocks_context)
async def blocks_page(request: Request, admin: Account) -> Response:
    ctx = app_context(request)
    if request.method == "POST":
        form, _ = await _form(request)
        action = form.get("action", "block")
        if action == "allow":
            await domain_blocks.create_allow(ctx, str(form.get("domain", "")), actor=admin)
            return _back("/admin/domain_blocks", "Domain allowed.")
        if action == "remove_allow":
            await domain_blocks.delete_allow(_form_int(form, "allow_id"), actor=admin)
            return _back("/admin/domain_blocks", "Allow removed.")
        await domain_blocks.create_block(
            ctx,
            domain_blocks.BlockSpec(
                domain=str(form.get("domain", "")),
                severity=str(form.get("severity", "silence")),
                reject_media=form.get("reject_media") == "on",
                reject_reports=form.get("reject_reports") == "on",
                public_comment=str(form.get("public_comment", "")) or None,
                private_comment=str(form.get("private_comment", "")) or None,
                obfuscate=form.get("obfuscate") == "on",
            ),
            actor=admin,
        )
        return _back("/admin/domain_blocks", "Domain blocked.")
    return await render(
        request,
        "admin/domain_blocks.html",
        {
            **await _blocks_context(request),
            "notice": request.query_params.get("notice"),
        },
    )


@_page("admin/domain_block.html", _block_context)
async def block_page(request: Request, admin: Account) -> Response:
    ctx = app_context(request)
    page = await _block_context(request)
    if not page:
        return render_error_page(request, "No such domain block.", 404, None)
    block = page["block"]
    if request.method == "POST":
        form, _ = await _form(request)
        action = form.get("action")
        if action == "delete":
            await domain_blocks.delete_block(ctx, block, actor=admin)
            return _back("/admin/domain_blocks", f"{block.domain} unblocked.")
        if action == "adopt":
            await subscriptions.adopt_block(block, actor=admin)
            return _back(f"/admin/domain_blocks/{block.id}", "Adopted: no list can retract it now.")
        await domain_blocks.update_block(
            ctx,
            block,
            {
                "severity": str(form.get("severity", block.severity)),
                "reject_media": form.get("reject_media") == "on",
                "reject_reports": form.get("reject_reports") == "on",
                "public_comment": str(form.get("public_comment", "")) or None,
                "private_comment": str(form.get("private_comment", "")) or None,
                "obfuscate": form.get("obfuscate") == "on",
            },
            actor=admin,
        )
        return _back(f"/admin/domain_blocks/{block.id}", "Saved.")
    return await render(
        request,
        "admin/domain_block.html",
        {**page, "notice": request.query_params.get("notice")},
    )


def _imports_dir(request: Request) -> Path:
    path = app_context(request).settings.data_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@_page("admin/import.html")
async def import_page(request: Request, admin: Account) -> Response:
    ctx = app_context(request)
    if request.method == "GET":
        return await render(
            request, "admin/import.html", {"notice": request.query_params.get("notice")}
        )
    form, _ = await _form(request, files=True)
    token = str(form.get("token", ""))
    if token:  # the confirmation of a preview
        if not token.isalnum():
            return render_error_page(request, "That import has expired.", 400, None)
        stored = _imports_dir(request) / f"{token}.bin"
        if not stored.is_file():
            return render_error_page(
                request, "That import has expired; upload the file again.", 410, None
            )
        data = stored.read_bytes()
        planned = await domain_import.preview(ctx, data, str(form.get("content_type", "")) or None)
        added, changed, skipped = await domain_import.apply(
            ctx, planned, actor=admin, filename=str(form.get("filename", "import"))
        )
        stored.unlink(missing_ok=True)
        return _back(
            "/admin/domain_blocks",
            f"Imported: {added} added, {changed} changed, {skipped} skipped.",
        )
    upload = form.get("file")
    pasted = str(form.get("text", ""))
    if upload is not None and hasattr(upload, "read"):
        data = await upload.read(MAX_UPLOAD + 1)
        filename, content_type = upload.filename or "upload", upload.content_type
    else:
        data, filename, content_type = pasted.encode(), "pasted list", "text/plain"
    if not data.strip():
        return await render(
            request, "admin/import.html", {"error": "Choose a file or paste a list."}, 422
        )
    if len(data) > MAX_UPLOAD:
        return await render(
            request, "admin/import.html", {"error": "The file is larger than 20 MB."}, 413
        )
    try:
        planned = await domain_import.preview(ctx, data, content_type)
    except ListFormatError as exc:
        return await render(
            request, "admin/import.html", {"error": f"This is not a blocklist: {exc}"}, 422
        )
    token = secrets.token_hex(16)
    (_imports_dir(request) / f"{token}.bin").write_bytes(data)
    return await render(
        request,
        "admin/import_preview.html",
        {
            "preview": planned,
            "token": token,
            "filename": filename,
            "content_type": content_type or "",
        },
    )


async def export_csv(request: Request) -> Response:
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    return Response(
        await domain_import.export_csv(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'},
    )


@_page("admin/subscriptions.html", _subscriptions_context)
async def subscriptions_page(request: Request, admin: Account) -> Response:
    ctx = app_context(request)
    if request.method == "POST":
        form, _ = await _form(request)
        action = form.get("action", "create")
        if action == "create":
            await subscriptions.create_subscription(
                ctx,
                subscriptions.SubscriptionSpec(
                    uri=str(form.get("uri", "")).strip(),
                    kind=str(form.get("kind", "url")),
                    content_type=str(form.get("content_type", "text/csv")),
                    priority=_form_int(form, "priority", 0),
                    title=str(form.get("title", "")) or None,
                    as_draft=form.get("trust") != "auto",
                    max_severity=str(form.get("max_severity", "suspend")),
                    adopt_orphans=form.get("adopt_orphans") == "on",
                    remove_retracted=form.get("keep_retracted") != "on",
                ),
                actor=admin,
            )
            return _back("/admin/subscriptions", "Subscribed; the list is being fetched.")
        subscription = await subscriptions.get_subscription(_form_int(form, "subscription_id"))
        if action == "refresh":
            fresh = await subscriptions.refresh(ctx, subscription)
            return _back(
                "/admin/subscriptions",
                f"Fetched: {fresh.error}" if fresh.error else f"Fetched: {fresh.count} entries.",
            )
        if action == "remove":
            await subscriptions.remove_subscription(
                ctx, subscription, remove_children=form.get("keep_blocks") != "on", actor=admin
            )
            return _back("/admin/subscriptions", "Subscription removed.")
    return await render(
        request,
        "admin/subscriptions.html",
        {
            **await _subscriptions_context(request),
            "notice": request.query_params.get("notice"),
        },
    )


@_page("admin/drafts.html", _drafts_context)
async def drafts_page(request: Request, admin: Account) -> Response:
    ctx = app_context(request)
    if request.method == "POST":
        form, multi = await _form(request)
        action = form.get("action", "")
        if action in ("add_exclude", "remove_exclude"):
            if action == "add_exclude":
                await subscriptions.create_exclude(
                    str(form.get("domain", "")),
                    private_comment=str(form.get("private_comment", "")) or None,
                    actor=admin,
                )
            else:
                await subscriptions.delete_exclude(_form_int(form, "exclude_id"))
            return _back("/admin/drafts", "Excludes updated.")
        ids = [int(i) for i in multi.get("draft_ids", []) if i.isdigit()]
        if not ids:
            return await render(
                request,
                "admin/drafts.html",
                {
                    **await _drafts_context(request),
                    "error": "Select at least one draft.",
                },
                422,
            )
        done = 0
        for draft_id in ids:
            draft = await subscriptions.get_draft(draft_id)
            if action == "accept":
                await subscriptions.accept_draft(
                    ctx, draft, actor=admin, overwrite=form.get("overwrite") == "on"
                )
            else:
                await subscriptions.reject_draft(
                    draft, actor=admin, exclude_target=action == "reject_exclude"
                )
            done += 1
        verb = "accepted" if action == "accept" else "rejected"
        return _back("/admin/drafts", f"{done} draft{'s' if done != 1 else ''} {verb}.")
    return await render(
        request,
        "admin/drafts.html",
        {
            **await _drafts_context(request),
            "notice": request.query_params.get("notice"),
        },
    )


@_page("admin/federation.html", _federation_context)
async def federation_page(request: Request, admin: Account) -> Response:
    from fedianon.activitypub import blocklist_federation

    ctx = app_context(request)
    if request.method == "POST":
        form, _ = await _form(request)
        action = form.get("action")
        if action == "retry":
            if not await queue.retry(_form_int(form, "job_id")):
                raise NotFound("That job no longer exists")
            return _back("/admin/federation", "Job requeued.")
        if action == "retry_all":
            await queue.retry_dead()
            return _back("/admin/federation", "Dead jobs requeued.")
        if action in ("approve_peer", "reject_peer"):
            await blocklist_federation.answer_peer(
                ctx, _form_int(form, "request_id"), approve=action == "approve_peer"
            )
            return _back(
                "/admin/federation",
                "Peer approved." if action == "approve_peer" else "Peer rejected.",
            )
    return await render(
        request,
        "admin/federation.html",
        {**await _federation_context(request), "notice": request.query_params.get("notice")},
    )


routes = [
    Route("/admin", index, methods=["GET"]),
    Route("/admin/domain_blocks", blocks_page, methods=["GET", "POST"]),
    Route("/admin/domain_blocks/{id}", block_page, methods=["GET", "POST"]),
    Route("/admin/import", import_page, methods=["GET", "POST"]),
    Route("/admin/export.csv", export_csv, methods=["GET"]),
    Route("/admin/subscriptions", subscriptions_page, methods=["GET", "POST"]),
    Route("/admin/drafts", drafts_page, methods=["GET", "POST"]),
    Route("/admin/federation", federation_page, methods=["GET", "POST"]),
]

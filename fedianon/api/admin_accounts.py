"""Mastodon's admin API for accounts: the v1 and v2 lists, show, `action` (warn, sensitive,
disable, silence, suspend), the reversals, approve/reject and deletion. Answers carry the
Admin::Account entity (with no e-mail or IP address: fedianon stores none)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api import entities
from fedianon.api.auth import require_staff
from fedianon.api.common import flag, path_id, query_list
from fedianon.api.pagination import page_request, paged_rows
from fedianon.api.params import read_params
from fedianon.context import app_context
from fedianon.errors import ValidationFailed
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.services import account_moderation as moderation
from fedianon.services.accounts import get_account

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"
V1_STATUSES = ("active", "pending", "disabled", "silenced", "suspended", "sensitized")


def _text(request: Request, name: str) -> str | None:
    return (request.query_params.get(name) or "").strip() or None


def _v1_filter(request: Request) -> moderation.AccountFilter:
    """v1 takes flags (`remote`, `suspended`, `staff`…); local and active by default."""
    status = "active"
    for name in V1_STATUSES:
        if flag(request, name):
            status = name
    return moderation.AccountFilter(
        origin="remote" if flag(request, "remote") else "local",
        status=status,
        staff=flag(request, "staff"),
        username=_text(request, "username"),
        display_name=_text(request, "display_name"),
        by_domain=_text(request, "by_domain"),
        email=_text(request, "email"),
        ip=_text(request, "ip"),
    )


def _v2_filter(request: Request) -> moderation.AccountFilter:
    status = _text(request, "status")
    if status is not None and status not in V1_STATUSES:
        raise ValidationFailed(f"Validation failed: Unknown status: {status}")
    permissions = _text(request, "permissions")
    if permissions is not None and permissions != "staff":
        raise ValidationFailed("Validation failed: permissions must be staff")
    role_ids = query_list(request, "role_ids")
    unknown = [r for r in role_ids if r not in moderation.ROLE_IDS]
    if unknown:
        raise ValidationFailed("Validation failed: Unknown role ids")
    return moderation.AccountFilter(
        origin=_text(request, "origin"),
        status=status,
        staff=permissions == "staff",
        roles=tuple(moderation.ROLE_IDS[r] for r in role_ids),
        username=_text(request, "username"),
        display_name=_text(request, "display_name"),
        by_domain=_text(request, "by_domain"),
        email=_text(request, "email"),
        ip=_text(request, "ip"),
        invited_by=_text(request, "invited_by"),
    )


async def _listing(request: Request, filters: moderation.AccountFilter) -> JSONResponse:
    rows = await moderation.list_accounts(filters, page_request(request, default=100, maximum=200))
    urls = app_context(request).urls
    return paged_rows(request, [entities.admin_account(a, urls) for a in rows], rows)


async def index_v1(request: Request) -> JSONResponse:
    await require_staff(request, READ)
    return await _listing(request, _v1_filter(request))


async def index_v2(request: Request) -> JSONResponse:
    await require_staff(request, READ)
    return await _listing(request, _v2_filter(request))


def _entity(request: Request, account: Account) -> JSONResponse:
    return JSONResponse(entities.admin_account(account, app_context(request).urls))


async def show(request: Request) -> JSONResponse:
    await require_staff(request, READ)
    return _entity(request, await get_account(path_id(request)))


async def action(request: Request) -> JSONResponse:
    moderator = await require_staff(request, WRITE)
    params = await read_params(request)
    raw_report = params.str("report_id")
    report_id = parse_id(raw_report) if raw_report else None
    if raw_report and report_id is None:
        raise ValidationFailed("Validation failed: report_id must be an id")
    await moderation.take_action(
        app_context(request),
        moderator,
        path_id(request),
        (params.str("type") or "").strip(),
        report_id=report_id,
        text=params.str("text", max_length=5000) or "",
    )
    return JSONResponse({})


def _reversal(operation: Callable[[Account, int], Awaitable[Account]]):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        moderator = await require_staff(request, WRITE)
        return _entity(request, await operation(moderator, path_id(request)))

    return endpoint


async def unsuspend(request: Request) -> JSONResponse:
    moderator = await require_staff(request, WRITE)
    account = await moderation.unsuspend(app_context(request), moderator, path_id(request))
    return _entity(request, account)


async def destroy(request: Request) -> JSONResponse:
    moderator = await require_staff(request, WRITE)
    account = await moderation.delete(app_context(request), moderator, path_id(request))
    return _entity(request, account)


routes = [
    Route("/api/v1/admin/accounts", index_v1, methods=["GET"]),
    Route("/api/v2/admin/accounts", index_v2, methods=["GET"]),
    Route("/api/v1/admin/accounts/{id}", show, methods=["GET"]),
    Route("/api/v1/admin/accounts/{id}", destroy, methods=["DELETE"]),
    Route("/api/v1/admin/accounts/{id}/action", action, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/unsuspend", unsuspend, methods=["POST"]),
    *(
        Route(f"/api/v1/admin/accounts/{{id}}/{name}", _reversal(operation), methods=["POST"])
        for name, operation in (
            ("enable", moderation.enable),
            ("unsilence", moderation.unsilence),
            ("unsensitive", moderation.unsensitive),
            ("approve", moderation.approve),
            ("reject", moderation.reject),
        )
    ),
]

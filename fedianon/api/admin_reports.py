"""Mastodon's admin API for reports (`/api/v1/admin/reports`), for moderators and admins:
list with filters and Link paging, show, update category and rules, assign, resolve, reopen.
Each answers with the Admin::Report entity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_staff
from fedianon.api.common import flag, path_id, presenter
from fedianon.api.pagination import page_request, paged_rows
from fedianon.api.params import read_params
from fedianon.errors import BadRequest
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.models.moderation import Report
from fedianon.services import reports

READ = "admin:read:reports"
WRITE = "admin:write:reports"


def _id_filter(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise BadRequest(f"{name} must be an id")
    return value


async def index(request: Request) -> JSONResponse:
    moderator = await require_staff(request, READ)
    rows = await reports.list_reports(
        reports.ReportFilter(
            resolved=flag(request, "resolved"),
            unresolved=flag(request, "unresolved"),
            account_id=_id_filter(request, "account_id"),
            target_account_id=_id_filter(request, "target_account_id"),
            by_target_domain=request.query_params.get("by_target_domain") or None,
        ),
        page_request(request, default=100, maximum=200),
    )
    body = await presenter(request, moderator).admin_reports(rows)
    return paged_rows(request, list(body), rows)


async def show(request: Request) -> JSONResponse:
    moderator = await require_staff(request, READ)
    report = await reports.get_report(path_id(request))
    return JSONResponse(await presenter(request, moderator).admin_report(report))


async def update(request: Request) -> JSONResponse:
    moderator = await require_staff(request, WRITE)
    params = await read_params(request)
    report = await reports.update_report(
        moderator,
        path_id(request),
        category=params.str("category"),
        rule_ids=params.str_list("rule_ids") if "rule_ids" in params.data else None,
    )
    return JSONResponse(await presenter(request, moderator).admin_report(report))


def _step(operation: Callable[[Account, int], Awaitable[Report]]):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        moderator = await require_staff(request, WRITE)
        report = await operation(moderator, path_id(request))
        return JSONResponse(await presenter(request, moderator).admin_report(report))

    return endpoint


routes = [
    Route("/api/v1/admin/reports", index, methods=["GET"]),
    Route("/api/v1/admin/reports/{id}", show, methods=["GET"]),
    Route("/api/v1/admin/reports/{id}", update, methods=["PUT"]),
    Route(
        "/api/v1/admin/reports/{id}/assign_to_self",
        _step(reports.assign_to_self),
        methods=["POST"],
    ),
    Route("/api/v1/admin/reports/{id}/unassign", _step(reports.unassign), methods=["POST"]),
    Route("/api/v1/admin/reports/{id}/resolve", _step(reports.resolve), methods=["POST"]),
    Route("/api/v1/admin/reports/{id}/reopen", _step(reports.reopen), methods=["POST"]),
]

"""`POST /api/v1/reports`: a user reports an account (and some of its statuses) to the
moderators, optionally forwarding it, anonymously, to the account's own server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api import entities
from fedianon.api.auth import require_user
from fedianon.api.params import read_params
from fedianon.context import app_context
from fedianon.errors import ValidationFailed
from fedianon.models.accounts import Account
from fedianon.services import reports


async def create(request: Request) -> JSONResponse:
    reporter = await require_user(request, "write:reports")
    params = await read_params(request)
    account_id = params.str("account_id")
    if not account_id:
        raise ValidationFailed("Validation failed: account_id is missing")
    ctx = app_context(request)
    report = await reports.file_report(
        ctx,
        reporter,
        reports.ReportDraft(
            account_id=account_id,
            status_ids=params.str_list("status_ids"),
            comment=params.str("comment") or "",
            forward=bool(params.bool("forward", False)),
            category=params.str("category"),
            rule_ids=params.str_list("rule_ids"),
            forward_to_domains=params.str_list("forward_to_domains")
            if "forward_to_domains" in params
            else None,
        ),
    )
    target = await Account.get(id=report.target_account_id)  # type: ignore[attr-defined]
    return JSONResponse(entities.report(report, target, ctx.urls))


routes = [
    Route("/api/v1/reports", create, methods=["POST"]),
    Route("/api/v1/reports/", create, methods=["POST"]),  # Mastodon.py posts here
]

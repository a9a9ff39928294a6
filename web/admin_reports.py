"""The admin area's moderation pages: the reports queue, a report with its posts, and the
actions on the reported account. Open to moderators and admins; every form has the CSRF token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedianon.context import app_context
from fedianon.errors import FedianonError
from fedianon.models.accounts import Account
from fedianon.services import account_moderation, admin_views, reports
from web.csrf import FIELD, check_csrf
from web.routes import current_account, render, render_error_page


async def _staff(request: Request) -> Account | Response:
    account = await current_account(request)
    if account is None:
        return RedirectResponse("/auth/sign_in?next=" + request.url.path, status_code=303)
    if account.role not in ("admin", "moderator"):
        return render_error_page(
            request, "Only moderators and admins can handle reports.", 403, None
        )
    return account


async def queue(request: Request) -> Response:
    staff = await _staff(request)
    if isinstance(staff, Response):
        return staff
    resolved = request.query_params.get("state") == "resolved"
    return await render(
        request,
        "admin/reports.html",
        {
            "reports": await admin_views.reports(resolved=resolved),
            "resolved": resolved,
            "notice": request.query_params.get("notice"),
        },
    )


async def show(request: Request) -> Response:
    staff = await _staff(request)
    if isinstance(staff, Response):
        return staff
    report_id = int(request.path_params["id"]) if request.path_params["id"].isdigit() else 0
    view = await admin_views.report_view(report_id)
    if view is None:
        return render_error_page(request, "No such report.", 404, None)
    error = None
    status_code = 200
    if request.method == "POST":
        try:
            form = await request.form(max_files=0, max_fields=20)
        except Exception:  # malformed bodies of any kind
            return render_error_page(request, "The form could not be read.", 400, None)
        check_csrf(request, form.get(FIELD))
        action = str(form.get("action", ""))
        try:
            if action == "assign":
                await reports.assign_to_self(staff, report_id)
            elif action == "unassign":
                await reports.unassign(staff, report_id)
            elif action == "resolve":
                await reports.resolve(staff, report_id)
            elif action == "reopen":
                await reports.reopen(staff, report_id)
            elif action == "account_action":
                await account_moderation.take_action(
                    app_context(request),
                    staff,
                    view.target.id,
                    str(form.get("type", "none")),
                    report_id=report_id,
                    text=str(form.get("text", ""))[:2000],
                )
            else:
                raise FedianonError("Choose an action.")
        except FedianonError as exc:
            error, status_code = exc.message, exc.status_code
        else:
            return RedirectResponse(f"/admin/reports/{report_id}?notice=Done.", status_code=303)
        view = await admin_views.report_view(report_id)
    return await render(
        request,
        "admin/report.html",
        {
            "view": view,
            "error": error,
            "notice": request.query_params.get("notice"),
        },
        status_code,
    )


routes = [
    Route("/admin/reports", queue, methods=["GET"]),
    Route("/admin/reports/{id}", show, methods=["GET", "POST"]),
]

"""HTML pages: sign-up, sign-in, sign-out, password reset, OAuth consent.

Handlers parse the form, call one service, and render. Errors are shown on the same form
with the status code that fits (422, 429, 503), never as a 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from fedianon.context import app_context
from fedianon.errors import FedianonError, RateLimited
from fedianon.models.accounts import Account
from fedianon.services import accounts, oauth, signup
from fedianon.services.handles import suggest_handle
from web.csrf import FIELD, check_csrf, csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["csrf_field"] = FIELD
MAX_FORM_FIELDS = 50


async def current_account(request: Request) -> Account | None:
    cached = getattr(request.state, "web_account", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    found = await accounts.for_session(request.session.get("uid"), request.session.get("sv"))
    if found is None and "uid" in request.session:
        request.session.pop("uid", None)
        request.session.pop("sv", None)
    request.state.web_account = found
    return found


def sign_in_session(request: Request, account: Account) -> None:
    request.session.clear()
    request.session["uid"] = account.id
    request.session["sv"] = account.session_version
    csrf_token(request)
    request.state.web_account = account


async def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    ctx = app_context(request)
    values = {
        "request": request,
        "csrf_token": csrf_token(request),
        "instance_title": ctx.settings.instance_title,
        "domain": ctx.settings.domain,
        "sign_up_open": ctx.settings.sign_up_open,
        "current_account": await current_account(request),
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )


def render_error_page(
    request: Request, message: str, status_code: int, headers: dict[str, str] | None
) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "request": request,
            "message": message,
            "status_code": status_code,
            "instance_title": app_context(request).settings.instance_title,
            "current_account": None,
            "csrf_token": "",
        },
        status_code=status_code,
        headers=headers,
    )


async def _form(request: Request) -> dict[str, str]:
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except Exception:  # malformed bodies of any kind
        raise FedianonError("The form could not be read. Please try again.") from None
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    check_csrf(request, values.get(FIELD))
    return values


def _status_for(exc: FedianonError) -> tuple[int, dict[str, str] | None]:
    if isinstance(exc, RateLimited):
        return 429, {"Retry-After": str(exc.retry_after)}
    return exc.status_code, None


def _safe_next(value: str | None) -> str:
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- home ------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    return await render(request, "home.html")


# --- sign-up ---------------------------------------------------------------------------------


async def sign_up(request: Request) -> Response:
    ctx = app_context(request)
    if not ctx.settings.sign_up_open:
        return await render(request, "sign_up_closed.html", status_code=403)
    if request.method == "GET":
        return await render(
            request, "sign_up.html", {"campus_domains": ctx.settings.campus_domains}
        )
    form = await _form(request)
    try:
        started = await signup.start_signup(ctx.settings, ctx.limiter, form.get("email", ""))
    except FedianonError as exc:
        status, headers = _status_for(exc)
        return await render(
            request,
            "sign_up.html",
            {"error": exc.message, "campus_domains": ctx.settings.campus_domains},
            status,
            headers,
        )
    request.session["signup"] = started.token
    return redirect("/auth/sign_up/code")


async def sign_up_code(request: Request) -> Response:
    ctx = app_context(request)
    token = request.session.get("signup", "")
    if not token:
        return redirect("/auth/sign_up")
    if request.method == "GET":
        return await render(request, "sign_up_code.html")
    form = await _form(request)
    try:
        await signup.confirm_signup_code(ctx.settings, ctx.limiter, token, form.get("code", ""))
    except FedianonError as exc:
        status, headers = _status_for(exc)
        return await render(request, "sign_up_code.html", {"error": exc.message}, status, headers)
    return redirect("/auth/sign_up/account")


async def sign_up_account(request: Request) -> Response:
    ctx = app_context(request)
    token = request.session.get("signup", "")
    if not token or not await signup.signup_confirmed(token):
        return await render(
            request,
            "sign_up_code.html",
            {"error": "Please confirm your address with the code we mailed first."},
            409,
        )
    if request.method == "GET":
        return await render(request, "sign_up_account.html", {"suggestion": suggest_handle()})
    form = await _form(request)
    handle, password = form.get("handle", ""), form.get("password", "")
    error = None
    if password != form.get("password_confirmation", password):
        error = "The two passwords do not match."
    else:
        try:
            account = await signup.complete_signup(ctx.settings, ctx.urls, token, handle, password)
        except FedianonError as exc:
            error = exc.message
        else:
            sign_in_session(request, account)
            return redirect("/?welcome=1")
    return await render(
        request,
        "sign_up_account.html",
        {"error": error, "suggestion": handle or suggest_handle()},
        422 if error else 200,
    )


# --- sign-in / sign-out ----------------------------------------------------------------------


async def sign_in(request: Request) -> Response:
    ctx = app_context(request)
    next_url = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return await render(request, "sign_in.html", {"next": next_url})
    form = await _form(request)
    next_url = _safe_next(form.get("next") or next_url)
    handle = form.get("handle", "").strip().lstrip("@").lower()
    try:
        ctx.limiter.hit("signin", handle, "Too many sign-in attempts; please wait a few minutes.")
    except RateLimited as exc:
        return await render(
            request,
            "sign_in.html",
            {"error": exc.message, "next": next_url, "handle": handle},
            429,
            {"Retry-After": str(exc.retry_after)},
        )
    account = await accounts.authenticate(handle, form.get("password", ""))
    if account is None:
        return await render(
            request,
            "sign_in.html",
            {"error": "Invalid handle or password.", "next": next_url, "handle": handle},
            401,
        )
    sign_in_session(request, account)
    request.session["fresh"] = True
    return redirect(next_url)


async def sign_out(request: Request) -> Response:
    if request.method == "GET":
        return await render(request, "sign_out.html")
    await _form(request)
    request.session.clear()
    return redirect("/")


# --- password reset --------------------------------------------------------------------------


async def password_new(request: Request) -> Response:
    ctx = app_context(request)
    if request.method == "GET":
        return await render(request, "password_new.html")
    form = await _form(request)
    try:
        started = await signup.start_reset(ctx.settings, ctx.limiter, form.get("email", ""))
    except FedianonError as exc:
        status, headers = _status_for(exc)
        return await render(request, "password_new.html", {"error": exc.message}, status, headers)
    request.session["reset"] = started.token
    return redirect("/auth/password/edit")


async def password_edit(request: Request) -> Response:
    ctx = app_context(request)
    token = request.session.get("reset", "")
    if not token:
        return redirect("/auth/password/new")
    if request.method == "GET":
        return await render(request, "password_edit.html")
    form = await _form(request)
    password = form.get("password", "")
    if password != form.get("password_confirmation", password):
        return await render(
            request, "password_edit.html", {"error": "The two passwords do not match."}, 422
        )
    try:
        account = await signup.complete_reset(
            ctx.settings, ctx.limiter, token, form.get("code", ""), password
        )
    except FedianonError as exc:
        status, headers = _status_for(exc)
        return await render(request, "password_edit.html", {"error": exc.message}, status, headers)
    request.session.pop("reset", None)
    return await render(request, "password_done.html", {"handle": account.username})


# --- OAuth consent ---------------------------------------------------------------------------


def _with_query(uri: str, values: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in values.items() if v is not None})
    return uri + ("&" if "?" in uri else "?") + query


async def authorize(request: Request) -> Response:
    params = dict(request.query_params) if request.method == "GET" else {}
    if request.method == "POST":
        form = await _form(request)
        params = {k: v for k, v in form.items() if k != FIELD}
    try:
        auth_request, problem = await oauth.check_authorization_request(params)
    except oauth.AuthorizationRequestError as exc:
        return await render(request, "oauth_error.html", {"error": str(exc)}, 400)
    assert auth_request is not None
    redirect_uri = auth_request.redirect_uri
    if problem is not None:
        if redirect_uri == oauth.OOB:
            return await render(request, "oauth_error.html", {"error": problem.description}, 400)
        return RedirectResponse(
            _with_query(
                redirect_uri,
                {
                    "error": problem.error,
                    "error_description": problem.description,
                    "state": auth_request.state,
                },
            ),
            302,
        )
    account = await current_account(request)
    force_login = str(params.get("force_login", "")).lower() in ("1", "true")
    if account is None or (
        force_login and request.method == "GET" and not request.session.get("fresh")
    ):
        if account is not None:
            request.session.clear()
        target = "/oauth/authorize?" + urlencode(params)
        return redirect("/auth/sign_in?" + urlencode({"next": target}))
    if request.method == "GET":
        request.session.pop("fresh", None)
        return await render(
            request,
            "authorize.html",
            {"app": auth_request.application, "scopes": auth_request.scopes, "params": params},
        )
    if params.get("decision") != "approve":
        if redirect_uri == oauth.OOB:
            return await render(
                request, "oauth_error.html", {"error": "You denied the authorization request."}, 403
            )
        return RedirectResponse(
            _with_query(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The resource owner or authorization server denied the request.",
                    "state": auth_request.state,
                },
            ),
            302,
        )
    code = await oauth.issue_code(auth_request, account)
    if redirect_uri == oauth.OOB:
        return await render(
            request, "oob_code.html", {"code": code, "app": auth_request.application}
        )
    return RedirectResponse(
        _with_query(redirect_uri, {"code": code, "state": auth_request.state}), 302
    )


routes = [
    Route("/", home, methods=["GET"]),
    Route("/auth/sign_up", sign_up, methods=["GET", "POST"]),
    Route("/auth/sign_up/code", sign_up_code, methods=["GET", "POST"]),
    Route("/auth/sign_up/account", sign_up_account, methods=["GET", "POST"]),
    Route("/auth/sign_in", sign_in, methods=["GET", "POST"]),
    Route("/auth/sign_out", sign_out, methods=["GET", "POST"]),
    Route("/auth/password/new", password_new, methods=["GET", "POST"]),
    Route("/auth/password/edit", password_edit, methods=["GET", "POST"]),
    Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
    Route("/oauth/authorize/", authorize, methods=["GET", "POST"]),
    Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
]


# --- public profile and status pages ---------------------------------------------------------


async def profile_page(request: Request) -> Response:
    from fedianon.activitypub import objects
    from fedianon.activitypub.negotiation import wants_activity_json
    from fedianon.services.paging import PageRequest
    from fedianon.services.timelines import account_statuses

    handle = request.path_params["handle"]
    if (
        "@" not in handle
        and wants_activity_json(request)
        and "text/html" not in request.headers.get("accept", "")
    ):
        return await objects.actor(request)
    account = await accounts.get_local_by_handle(handle) if "@" not in handle else None
    if account is None or account.actor_type == "Application" or account.suspended_at is not None:
        return render_error_page(request, "There is no account with that handle here.", 404, None)
    timeline = await account_statuses(None, account.id, PageRequest(limit=20), exclude_replies=True)
    return await render(
        request, "profile.html", {"account": account, "statuses": timeline.statuses}
    )


async def status_page(request: Request) -> Response:
    from fedianon.activitypub import objects
    from fedianon.activitypub.negotiation import wants_activity_json
    from fedianon.errors import NotFound
    from fedianon.ids import parse_id
    from fedianon.services.statuses import get_visible

    if wants_activity_json(request) and "text/html" not in request.headers.get("accept", ""):
        return await objects.status_object(request)
    status_id = parse_id(request.path_params["id"])
    try:
        status = await get_visible(status_id or 0, None)
    except NotFound:
        return render_error_page(request, "This post does not exist or is not public.", 404, None)
    if (
        status.account.username != request.path_params["handle"].lower()
        or status.account.domain is not None
    ):
        return render_error_page(request, "This post does not exist or is not public.", 404, None)
    return await render(request, "status.html", {"status": status, "account": status.account})


routes[-1:-1] = [
    Route("/@{handle}", profile_page, methods=["GET"]),
    Route("/@{handle}/{id}", status_page, methods=["GET"]),
]

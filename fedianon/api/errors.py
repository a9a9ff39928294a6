"""One place that turns errors into responses: Mastodon's `{"error": ...}` for the API and
OAuth endpoints, a plain page for the web. Nothing leaks a stack trace; nothing is a 500 for
bad input."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fedianon.errors import FedianonError, RateLimited
from fedianon.services.oauth import OAuthError

log = logging.getLogger("fedianon.errors")

JSON_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/.well-known/",
    "/nodeinfo/",
    "/users/",
    "/inbox",
    "/actor",
)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(JSON_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def error_json(
    message: str, status_code: int, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status_code, headers=headers)


async def handle_fedianon_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FedianonError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if wants_json(request):
        return error_json(exc.message, exc.status_code, headers, **exc.extra)
    renderer = getattr(request.app.state, "render_error_page", None)
    if renderer is not None:
        return renderer(request, exc.message, exc.status_code, headers)
    return Response(
        exc.message, status_code=exc.status_code, headers=headers, media_type="text/plain"
    )


async def handle_oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    headers = {"WWW-Authenticate": 'Bearer realm="fedianon"'} if exc.status_code == 401 else None
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status_code,
        headers=headers,
    )


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: "Record not found",
        405: "Method not allowed",
        400: "Bad request",
        413: "Payload too large",
    }
    message = (
        exc.detail
        if exc.detail and exc.detail not in ("Not Found", "Method Not Allowed", "Bad Request")
        else messages.get(exc.status_code, exc.detail)
    )
    if wants_json(request):
        return error_json(str(message), exc.status_code, dict(exc.headers or {}))
    renderer = getattr(request.app.state, "render_error_page", None)
    if renderer is not None:
        return renderer(
            request,
            "The page you were looking for doesn't exist."
            if exc.status_code == 404
            else str(message),
            exc.status_code,
            None,
        )
    return Response(str(message), status_code=exc.status_code, media_type="text/plain")


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception(
        "unhandled error on %s %s",
        request.method,
        request.scope.get("route_path", request.url.path),
    )
    if wants_json(request):
        return error_json("Internal server error", 500)
    return Response("Something went wrong on our side.", status_code=500, media_type="text/plain")


EXCEPTION_HANDLERS = {
    FedianonError: handle_fedianon_error,
    OAuthError: handle_oauth_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}

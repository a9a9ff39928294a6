"""Rate limits for the API, per access token (Mastodon: 300 requests per 5 minutes).

Client IPs are never used (privacy): anonymous calls share no per-address bucket. Every
authenticated API response carries X-RateLimit-Limit/Remaining/Reset; past the limit the
answer is 429 with the same headers and Retry-After.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedianon.api.auth import bearer_token
from fedianon.ratelimit import Standing
from fedianon.timeutil import iso, utcnow


class ApiRateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        token = bearer_token(connection)  # type: ignore[arg-type]
        if not token:
            await self.app(scope, receive, send)
            return
        limiter = scope["app"].state.ctx.api_limiter
        bucket = (
            "media"
            if scope["path"].startswith(("/api/v1/media", "/api/v2/media"))
            and scope["method"] == "POST"
            else "api"
        )
        standing = limiter.attempt(bucket, token)
        headers = self._headers(standing)
        if not standing.counted:
            headers["Retry-After"] = str(standing.retry_after)
            await JSONResponse({"error": "Too many requests"}, status_code=429, headers=headers)(
                scope, receive, send
            )
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in headers.items():
                    out[key] = value
            await send(message)

        await self.app(scope, receive, with_headers)

    @staticmethod
    def _headers(standing: Standing) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(standing.limit),
            "X-RateLimit-Remaining": str(standing.remaining),
            "X-RateLimit-Reset": iso(utcnow() + timedelta(seconds=standing.reset_in)) or "",
        }

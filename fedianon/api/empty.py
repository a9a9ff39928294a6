"""Endpoints that clients call and that fedianon answers with valid, empty content: there
are no announcements, trends or suggestions on a campus instance (yet)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import optional_user, require_user


async def _public_empty(request: Request) -> JSONResponse:
    await optional_user(request)
    return JSONResponse([])


def _user_empty(scope: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        await require_user(request, scope)
        return JSONResponse([])

    return endpoint


routes = [
    Route("/api/v1/announcements", _user_empty("read"), methods=["GET"]),
    Route("/api/v1/trends", _public_empty, methods=["GET"]),
    Route("/api/v1/trends/tags", _public_empty, methods=["GET"]),
    Route("/api/v1/trends/statuses", _public_empty, methods=["GET"]),
    Route("/api/v1/trends/links", _public_empty, methods=["GET"]),
    Route("/api/v1/suggestions", _user_empty("read"), methods=["GET"]),
    Route("/api/v2/suggestions", _user_empty("read"), methods=["GET"]),
    Route("/api/v1/featured_tags", _user_empty("read:accounts"), methods=["GET"]),
    Route("/api/v1/accounts/{id}/featured_tags", _public_empty, methods=["GET"]),
    Route("/api/v1/endorsements", _user_empty("read:accounts"), methods=["GET"]),
    Route("/api/v1/instance/activity", _public_empty, methods=["GET"]),
]

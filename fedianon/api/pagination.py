"""Paging parameters and `Link` headers, keeping every other query parameter (so a filtered
timeline stays filtered on the next page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from fedianon.context import app_context
from fedianon.errors import BadRequest
from fedianon.ids import parse_id
from fedianon.services.paging import PageRequest, keys_of

CURSORS = ("max_id", "since_id", "min_id")


def _cursor(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        raise BadRequest(f"{name} must be a numeric id")
    return value


def page_request(request: Request, *, default: int = 20, maximum: int = 40) -> PageRequest:
    raw_limit = request.query_params.get("limit")
    limit = default
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)  # type: ignore[arg-type]
        except ValueError:
            raise BadRequest("limit must be a number") from None
        limit = max(1, min(limit, maximum))
    return PageRequest(
        max_id=_cursor(request, "max_id"),
        since_id=_cursor(request, "since_id"),
        min_id=_cursor(request, "min_id"),
        limit=limit,
    )


def link_header(request: Request, newest: int | None, oldest: int | None) -> dict[str, str]:
    if newest is None or oldest is None:
        return {}
    base = app_context(request).settings.base_url + request.url.path
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in CURSORS]
    next_url = f"{base}?{urlencode([*kept, ('max_id', str(oldest))])}"
    prev_url = f"{base}?{urlencode([*kept, ('min_id', str(newest))])}"
    return {"Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}


def paged_response(
    request: Request, body: list[object], newest: int | None, oldest: int | None
) -> JSONResponse:
    return JSONResponse(body, headers=link_header(request, newest, oldest))


def paged_rows(request: Request, body: list[Any], rows: Sequence[Any]) -> JSONResponse:
    """`paged_response` for a page of rows paged by their own id (the usual case)."""
    return paged_response(request, body, *keys_of(rows))

"""Content negotiation: ActivityPub clients get JSON-LD, browsers get the HTML page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

ACTIVITY_JSON = "application/activity+json"
_AP_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    if not accept:
        return True  # peers that send no Accept still expect JSON
    if any(kind in accept for kind in _AP_TYPES):
        return True
    return "text/html" not in accept and "application/json" in accept


def activity_response(document: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        document,
        status_code=status_code,
        media_type=f"{ACTIVITY_JSON}; charset=utf-8",
        headers={"Vary": "Accept, Signature", "Cache-Control": "max-age=60"},
    )

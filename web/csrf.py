"""CSRF tokens: one random token per session, a hidden field in every form."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from fedianon.errors import Forbidden

FIELD = "authenticity_token"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: object) -> None:
    expected = request.session.get("csrf")
    if (
        not expected
        or not isinstance(submitted, str)
        or not hmac.compare_digest(str(expected), submitted)
    ):
        raise Forbidden(
            "This form has expired or was not sent from this site. Please reload the page and try again."
        )

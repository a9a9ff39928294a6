"""Who is calling the API: the bearer token, its account and scopes.

account = await require_user(request, "read:statuses")   # 401 / 403 as Mastodon
viewer = await optional_user(request, "read:statuses")     # None for anonymous calls
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fedianon.errors import Forbidden, Unauthorized
from fedianon.models.accounts import Account
from fedianon.models.oauth import AccessToken
from fedianon.services.oauth import token_for_bearer
from fedianon.services.scopes import satisfies


@dataclass(frozen=True)
class Caller:
    token: AccessToken | None
    account: Account | None
    scopes: frozenset[str]


_ANONYMOUS = Caller(None, None, frozenset())


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query_params.get("access_token") or None


async def caller(request: Request) -> Caller:
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    raw = bearer_token(request)
    if raw is None:
        result = _ANONYMOUS
    else:
        token = await token_for_bearer(raw)
        if token is None:
            raise Unauthorized("The access token is invalid")
        result = Caller(token, token.account, frozenset(token.scopes.split()))
    request.state.caller = result
    return result


def _check_scope(found: Caller, scope: str | None) -> None:
    if scope is not None and not satisfies(found.scopes, scope):
        raise Forbidden("This action is outside the authorized scopes")


async def require_user(request: Request, scope: str | None = None) -> Account:
    found = await caller(request)
    if found.token is None:
        raise Unauthorized("The access token is invalid")
    if found.account is None:
        raise Unauthorized("This method requires an authenticated user")
    _check_scope(found, scope)
    return found.account


async def require_app(request: Request, scope: str | None = None) -> Caller:
    """Any valid token, user or app-only (client_credentials)."""
    found = await caller(request)
    if found.token is None:
        raise Unauthorized("The access token is invalid")
    _check_scope(found, scope)
    return found


async def optional_user(request: Request, scope: str | None = None) -> Account | None:
    found = await caller(request)
    if found.token is None:
        return None
    _check_scope(found, scope)
    return found.account


async def require_staff(request: Request, scope: str) -> Account:
    account = await require_user(request, scope)
    if not account.is_staff:
        raise Forbidden("This action is not allowed")
    return account


async def require_admin(request: Request, scope: str) -> Account:
    """Federation management (domain blocks, subscriptions) is for admins, as Mastodon's
    "Manage Federation" permission; moderators handle reports and accounts."""
    account = await require_user(request, scope)
    if account.role != "admin":
        raise Forbidden("This action is not allowed")
    return account

"""OAuth endpoints for clients: app registration, token, revoke, server metadata."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api import entities
from fedianon.api.auth import require_app
from fedianon.api.params import read_params
from fedianon.context import app_context
from fedianon.services import accounts as account_service
from fedianon.services import oauth
from fedianon.services.scopes import ALL_SCOPES, TOP_LEVEL


async def create_app(request: Request) -> JSONResponse:
    params = await read_params(request)
    redirect = params.raw("redirect_uris")
    if redirect is None:
        redirect = params.raw("redirect_uri") or ""
    if not isinstance(redirect, str | list):
        redirect = ""
    app = await oauth.create_application(
        name=params.str("client_name", "") or "",
        redirect_uris=redirect,
        scopes=params.raw("scopes") if isinstance(params.raw("scopes"), str | list) else None,
        website=params.str("website"),
    )
    return JSONResponse(entities.application(app, with_secret=True))


async def verify_app(request: Request) -> JSONResponse:
    found = await require_app(request)
    assert found.token is not None
    app = await oauth.application_of(found.token)
    if app is None:
        return JSONResponse(
            {"name": "fedianon", "website": None, "scopes": found.token.scopes.split()}
        )
    return JSONResponse(entities.application(app))


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


async def token(request: Request) -> JSONResponse:
    params = await read_params(request)
    basic_id, basic_secret = _basic_credentials(request)
    application = await oauth.authenticate_client(
        params.str("client_id") or basic_id, params.str("client_secret") or basic_secret
    )
    grant_type = params.str("grant_type", "") or ""
    if grant_type == "authorization_code":
        issued = await oauth.exchange_code(
            application,
            code=params.str("code"),
            redirect_uri=params.str("redirect_uri"),
            code_verifier=params.str("code_verifier"),
        )
    elif grant_type == "client_credentials":
        issued = await oauth.client_credentials(
            application, params.str("scope") or params.str("scopes")
        )
    elif grant_type == "password" and app_context(request).settings.enable_password_grant:
        ctx = app_context(request)
        username = params.str("username", "") or ""
        ctx.limiter.hit("signin", username.lower())
        found = await account_service.authenticate(username, params.str("password", "") or "")
        issued = await oauth.password_grant(application, found, params.str("scope"))
    else:
        raise oauth.OAuthError(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    return JSONResponse(
        issued.as_json(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


async def revoke(request: Request) -> JSONResponse:
    params = await read_params(request)
    basic_id, basic_secret = _basic_credentials(request)
    application = await oauth.authenticate_client(
        params.str("client_id") or basic_id, params.str("client_secret") or basic_secret
    )
    await oauth.revoke(application, params.str("token"))
    return JSONResponse({})


async def server_metadata(request: Request) -> JSONResponse:
    ctx = app_context(request)
    base = ctx.settings.base_url
    grants = ["authorization_code", "client_credentials"]
    if ctx.settings.enable_password_grant:
        grants.append("password")
    return JSONResponse(
        {
            "issuer": base + "/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": [*TOP_LEVEL, *sorted(ALL_SCOPES - set(TOP_LEVEL))],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": grants,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


routes = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
]

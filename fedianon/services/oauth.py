"""OAuth 2 for Mastodon clients: applications, authorization codes (with PKCE S256) and
bearer tokens. Secrets are random; codes and tokens are stored as SHA-256 digests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from fedianon.db import fetch_rows, hydrate, select_columns
from fedianon.errors import ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.oauth import AccessToken, Application, AuthorizationCode
from fedianon.privacy import secret_digest
from fedianon.services.scopes import InvalidScope, is_subset, parse_scopes
from fedianon.timeutil import utcnow

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
_FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file"}


class OAuthError(Exception):
    """An RFC 6749 error: `error` code, human description and HTTP status."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code


def _validate_redirect_uris(value: str | list[str]) -> list[str]:
    items = value if isinstance(value, list) else value.replace("\r", "\n").split("\n")
    uris = [str(item).strip() for item in items if str(item).strip()]
    if not uris:
        raise ValidationFailed("Validation failed: Redirect URI can't be blank")
    for uri in uris:
        if uri == OOB:
            continue
        parts = urlsplit(uri)
        if not parts.scheme or parts.scheme.lower() in _FORBIDDEN_SCHEMES or parts.fragment:
            raise ValidationFailed("Validation failed: Redirect URI must be an absolute URI.")
        if parts.scheme.lower() in ("http", "https") and not parts.netloc:
            raise ValidationFailed("Validation failed: Redirect URI must be an absolute URI.")
    return uris


async def create_application(
    *,
    name: str,
    redirect_uris: str | list[str],
    scopes: str | list[str] | None,
    website: str | None,
) -> Application:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Validation failed: Application name can't be blank")
    if len(name) > 255:
        raise ValidationFailed(
            "Validation failed: Application name is too long (maximum is 255 characters)"
        )
    uris = _validate_redirect_uris(redirect_uris)
    try:
        scope_list = parse_scopes(scopes)
    except InvalidScope as exc:
        raise ValidationFailed(f"Validation failed: Scopes {exc}") from None
    website = (website or "").strip() or None
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise ValidationFailed("Validation failed: Website must be an http(s) URL")
    return await Application.create(
        name=name,
        website=website,
        redirect_uris="\n".join(uris),
        scopes=" ".join(scope_list),
        client_id=secrets.token_urlsafe(32),
        client_secret=secrets.token_urlsafe(32),
    )


@dataclass(frozen=True)
class AuthorizationRequest:
    application: Application
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class AuthorizationRequestError(Exception):
    """Raised before the client is trusted: shown on a page, never redirected."""


async def check_authorization_request(
    params: dict[str, str],
) -> tuple[AuthorizationRequest | None, OAuthError | None]:
    """Validate /oauth/authorize parameters.

    Unknown clients and unregistered redirect URIs raise AuthorizationRequestError (the
    page shows it). Other errors come back as an OAuthError to send to the redirect URI.
    """
    client_id = params.get("client_id", "")
    application = await Application.get_or_none(client_id=client_id) if client_id else None
    if application is None:
        raise AuthorizationRequestError(
            "Client authentication failed: this application is not registered here (unknown client_id)."
        )
    redirect_uri = params.get("redirect_uri") or (
        application.redirect_uri_list[0] if len(application.redirect_uri_list) == 1 else ""
    )
    if redirect_uri not in application.redirect_uri_list:
        raise AuthorizationRequestError(
            "The redirect URI included is not valid for this application."
        )
    request = AuthorizationRequest(application, redirect_uri, [], params.get("state"), None, None)
    if params.get("response_type", "code") != "code":
        return request, OAuthError(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        )
    try:
        scopes = parse_scopes(params.get("scope") or params.get("scopes"))
    except InvalidScope as exc:
        return request, OAuthError("invalid_scope", str(exc))
    if not is_subset(scopes, application.scopes.split()):
        return request, OAuthError(
            "invalid_scope", "The requested scope is not registered for this application."
        )
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is not None:
        method = method or "plain"
        if method != "S256":
            return request, OAuthError(
                "invalid_request", "Only the S256 code challenge method is supported."
            )
        if not 43 <= len(challenge) <= 128:
            return request, OAuthError("invalid_request", "The code challenge is malformed.")
    return AuthorizationRequest(
        application, redirect_uri, scopes, params.get("state"), challenge, method
    ), None


async def issue_code(request: AuthorizationRequest, account: Account) -> str:
    code = secrets.token_urlsafe(32)
    await AuthorizationCode.create(
        code_digest=secret_digest(code),
        application=request.application,
        account=account,
        redirect_uri=request.redirect_uri,
        scopes=" ".join(request.scopes),
        code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method,
        expires_at=utcnow() + CODE_LIFETIME,
    )
    return code


async def authenticate_client(client_id: str | None, client_secret: str | None) -> Application:
    application = await Application.get_or_none(client_id=client_id) if client_id else None
    if (
        application is None
        or not client_secret
        or not hmac.compare_digest(application.client_secret, client_secret)
    ):
        raise OAuthError(
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
            401,
        )
    return application


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
    "URI used in the authorization request, or was issued to another client."
)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: AccessToken

    def as_json(self) -> dict[str, object]:
        return {
            "access_token": self.token,
            "token_type": "Bearer",
            "scope": self.record.scopes,
            "created_at": int(self.record.created_at.timestamp()),
        }


async def _new_token(
    application: Application, account: Account | None, scopes: list[str]
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    record = await AccessToken.create(
        token_digest=secret_digest(token),
        application=application,
        account=account,
        scopes=" ".join(scopes),
    )
    return IssuedToken(token, record)


async def exchange_code(
    application: Application,
    *,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    if not code:
        raise OAuthError("invalid_request", "The request is missing a required parameter: code.")
    grant = await AuthorizationCode.get_or_none(code_digest=secret_digest(code)).select_related(
        "account"
    )
    if grant is None or grant.application_id != application.id:  # type: ignore[attr-defined]
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    if grant.used_at is not None or grant.expires_at <= utcnow():
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    if redirect_uri and redirect_uri != grant.redirect_uri:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    if grant.code_challenge is not None and (
        not code_verifier or not _pkce_matches(code_verifier, grant.code_challenge)
    ):
        raise OAuthError(
            "invalid_grant", "The PKCE code verifier does not match the code challenge."
        )
    claimed = await AuthorizationCode.filter(id=grant.id, used_at__isnull=True).update(
        used_at=utcnow()
    )
    if not claimed:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    account = grant.account
    if account.suspended_at or account.disabled_at:
        raise OAuthError("invalid_grant", "The account is suspended or disabled.")
    return await _new_token(application, account, grant.scopes.split())


async def client_credentials(application: Application, scope: str | None) -> IssuedToken:
    try:
        scopes = parse_scopes(scope)
    except InvalidScope as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not is_subset(scopes, application.scopes.split()):
        raise OAuthError(
            "invalid_scope", "The requested scope is not registered for this application."
        )
    return await _new_token(application, None, scopes)


async def password_grant(
    application: Application, account: Account | None, scope: str | None
) -> IssuedToken:
    """Only when FEDIANON_ENABLE_PASSWORD_GRANT is set (development and tests of `toot login_cli`)."""
    if account is None:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    try:
        scopes = parse_scopes(scope)
    except InvalidScope as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    if not is_subset(scopes, application.scopes.split()):
        raise OAuthError(
            "invalid_scope", "The requested scope is not registered for this application."
        )
    return await _new_token(application, account, scopes)


async def revoke(application: Application, token: str | None) -> None:
    if not token:
        raise OAuthError("invalid_request", "The request is missing a required parameter: token.")
    record = await AccessToken.get_or_none(token_digest=secret_digest(token))
    if record is None or record.revoked_at is not None:
        return
    if record.application_id != application.id:  # type: ignore[attr-defined]
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token", 403)
    record.revoked_at = utcnow()
    await record.save(update_fields=["revoked_at"])


_TOKEN_SQL = """
SELECT t.id AS token_id, t.scopes AS token_scopes, t.revoked_at AS token_revoked_at,
       t.application_id AS token_application_id, {account_columns}
FROM oauth_access_tokens t LEFT JOIN accounts a ON a.id = t.account_id
WHERE t.token_digest = {{p1}}
"""


async def token_for_bearer(token: str) -> AccessToken | None:
    """The live token record with its account loaded (application loaded on demand), or None.

    One narrow join: this runs on every authenticated request.
    """
    if not token or len(token) > 512:
        return None
    rows = await fetch_rows(
        _TOKEN_SQL.format(account_columns=select_columns(Account, "a")), [secret_digest(token)]
    )
    if not rows or rows[0]["token_revoked_at"] is not None:
        return None
    row = rows[0]
    account = hydrate(Account, row, "a")
    if account is not None and (account.suspended_at or account.disabled_at or account.deleted_at):
        return None
    record = AccessToken(
        id=row["token_id"],
        scopes=row["token_scopes"],
        application_id=row["token_application_id"],
        account_id=account.id if account else None,
    )
    record._saved_in_db = True
    record.account = account  # type: ignore[assignment]
    return record


async def application_of(record: AccessToken) -> Application | None:
    application_id = record.application_id  # type: ignore[attr-defined]
    return await Application.get_or_none(id=application_id) if application_id else None


async def revoke_all_for_account(account: Account) -> None:
    await AccessToken.filter(account=account, revoked_at__isnull=True).update(revoked_at=utcnow())

"""OAuth: applications, codes with PKCE, tokens, revocation, scopes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from fedianon.errors import ValidationFailed
from fedianon.services import oauth
from fedianon.services.accounts import create_local_account
from fedianon.services.scopes import parse_scopes, satisfies
from fedianon.settings import Settings
from fedianon.urls import LocalUrls

REDIRECT = "https://client.example/callback"


def challenge_for(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


async def setup(settings: Settings):  # type: ignore[no-untyped-def]
    account = await create_local_account(
        LocalUrls(settings.base_url), handle="alice", password="a good password"
    )
    app = await oauth.create_application(
        name="Client",
        redirect_uris=[REDIRECT, oauth.OOB],
        scopes="read write follow push",
        website="https://client.example",
    )
    return account, app


def test_scope_hierarchy() -> None:
    assert satisfies({"read"}, "read:statuses")
    assert satisfies({"follow"}, "write:follows")
    assert not satisfies({"follow"}, "write:statuses")
    assert satisfies({"admin:read"}, "admin:read:reports")
    assert not satisfies({"read"}, "write:statuses")
    assert parse_scopes("read+write  follow") == ["read", "write", "follow"]
    with pytest.raises(ValueError):
        parse_scopes("read bogus")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "redirect_uris": REDIRECT}, "name can't be blank"),
        ({"name": "x", "redirect_uris": ""}, "Redirect URI can't be blank"),
        ({"name": "x", "redirect_uris": "javascript:alert(1)"}, "absolute URI"),
        ({"name": "x", "redirect_uris": REDIRECT, "scopes": "read launch_missiles"}, "Scopes"),
    ],
)
async def test_bad_applications(db: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await oauth.create_application(**{"scopes": None, "website": None, **kwargs})


async def test_custom_scheme_redirects_are_accepted(db: str) -> None:
    app = await oauth.create_application(
        name="Tusky",
        redirect_uris="oauth2redirect://com.keylesspalace.tusky/",
        scopes=None,
        website=None,
    )
    assert app.redirect_uri_list == ["oauth2redirect://com.keylesspalace.tusky/"]
    assert app.scopes == "read"


async def test_code_flow_with_pkce(settings: Settings, db: str) -> None:
    account, app = await setup(settings)
    verifier = "v" * 64
    request, problem = await oauth.check_authorization_request(
        {
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "read write",
            "code_challenge": challenge_for(verifier),
            "code_challenge_method": "S256",
        }
    )
    assert problem is None and request is not None
    code = await oauth.issue_code(request, account)
    with pytest.raises(oauth.OAuthError) as bad:
        await oauth.exchange_code(app, code=code, redirect_uri=REDIRECT, code_verifier="w" * 64)
    assert bad.value.error == "invalid_grant"
    issued = await oauth.exchange_code(
        app, code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert issued.as_json()["scope"] == "read write"
    with pytest.raises(oauth.OAuthError) as reused:
        await oauth.exchange_code(app, code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert reused.value.error == "invalid_grant"
    record = await oauth.token_for_bearer(issued.token)
    assert record is not None and record.account_id == account.id  # type: ignore[attr-defined]


async def test_code_requires_verifier_when_challenged(settings: Settings, db: str) -> None:
    account, app = await setup(settings)
    request, _ = await oauth.check_authorization_request(
        {
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge_for("x" * 50),
            "code_challenge_method": "S256",
        }
    )
    assert request is not None
    code = await oauth.issue_code(request, account)
    with pytest.raises(oauth.OAuthError, match="PKCE"):
        await oauth.exchange_code(app, code=code, redirect_uri=REDIRECT, code_verifier=None)


async def test_authorization_request_errors(settings: Settings, db: str) -> None:
    _, app = await setup(settings)
    with pytest.raises(oauth.AuthorizationRequestError, match="unknown client"):
        await oauth.check_authorization_request({"client_id": "nope", "redirect_uri": REDIRECT})
    with pytest.raises(oauth.AuthorizationRequestError, match="redirect URI"):
        await oauth.check_authorization_request(
            {"client_id": app.client_id, "redirect_uri": "https://evil.example/cb"}
        )
    _, problem = await oauth.check_authorization_request(
        {"client_id": app.client_id, "redirect_uri": REDIRECT, "scope": "admin:write"}
    )
    assert problem is not None and problem.error == "invalid_scope"
    _, problem = await oauth.check_authorization_request(
        {"client_id": app.client_id, "redirect_uri": REDIRECT, "response_type": "token"}
    )
    assert problem is not None and problem.error == "unsupported_response_type"
    _, problem = await oauth.check_authorization_request(
        {
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": "c" * 43,
            "code_challenge_method": "plain",
        }
    )
    assert problem is not None and problem.error == "invalid_request"


async def test_code_bound_to_redirect_uri_and_client(settings: Settings, db: str) -> None:
    account, app = await setup(settings)
    other = await oauth.create_application(
        name="Other", redirect_uris=REDIRECT, scopes="read", website=None
    )
    request, _ = await oauth.check_authorization_request(
        {"client_id": app.client_id, "redirect_uri": REDIRECT}
    )
    assert request is not None
    code = await oauth.issue_code(request, account)
    with pytest.raises(oauth.OAuthError):
        await oauth.exchange_code(
            app, code=code, redirect_uri="https://client.example/other", code_verifier=None
        )
    with pytest.raises(oauth.OAuthError):
        await oauth.exchange_code(other, code=code, redirect_uri=REDIRECT, code_verifier=None)


async def test_client_authentication_and_revocation(settings: Settings, db: str) -> None:
    _, app = await setup(settings)
    with pytest.raises(oauth.OAuthError) as info:
        await oauth.authenticate_client(app.client_id, "wrong")
    assert info.value.status_code == 401 and info.value.error == "invalid_client"
    issued = await oauth.client_credentials(app, "read")
    assert await oauth.token_for_bearer(issued.token) is not None
    other = await oauth.create_application(
        name="Other", redirect_uris=REDIRECT, scopes="read", website=None
    )
    with pytest.raises(oauth.OAuthError) as forbidden:
        await oauth.revoke(other, issued.token)
    assert forbidden.value.status_code == 403
    await oauth.revoke(app, issued.token)
    await oauth.revoke(app, issued.token)  # idempotent
    assert await oauth.token_for_bearer(issued.token) is None
    with pytest.raises(oauth.OAuthError) as scope:
        await oauth.client_credentials(app, "admin:read")
    assert scope.value.error == "invalid_scope"

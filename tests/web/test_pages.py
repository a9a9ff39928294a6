"""Web pages through the in-process client: forms, CSRF, errors and cookies."""

from __future__ import annotations

import re

import httpx

from fedianon.services import signup
from fedianon.settings import Settings
from tests.support.factories import PASSWORD, make_user


def csrf(html: str) -> str:
    match = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_forms_without_csrf_token_are_refused(
    client: httpx.AsyncClient, captured_mail: list
) -> None:  # type: ignore[type-arg]
    await client.get("/auth/sign_up")
    response = await client.post("/auth/sign_up", data={"email": "a@campus.test"})
    assert response.status_code == 403 and "expired" in response.text
    assert captured_mail == []


async def test_signup_form_errors_are_shown_on_the_page(
    client: httpx.AsyncClient, captured_mail: list
) -> None:  # type: ignore[type-arg]
    token = csrf((await client.get("/auth/sign_up")).text)
    outside = await client.post(
        "/auth/sign_up", data={"email": "a@gmail.example", "authenticity_token": token}
    )
    assert (
        outside.status_code == 422
        and "Only campus addresses" in outside.text
        and 'role="alert"' in outside.text
    )
    malformed = await client.post(
        "/auth/sign_up", data={"email": "not-an-address", "authenticity_token": token}
    )
    assert malformed.status_code == 422 and "not a valid mail address" in malformed.text
    assert captured_mail == []


async def test_signup_rate_limit_page_has_retry_after(
    client: httpx.AsyncClient, app, captured_mail: list
) -> None:  # type: ignore[no-untyped-def, type-arg]
    app.state.ctx.limiter = signup.default_limiter()
    token = csrf((await client.get("/auth/sign_up")).text)
    for _ in range(5):
        ok = await client.post(
            "/auth/sign_up", data={"email": "same@campus.test", "authenticity_token": token}
        )
        assert ok.status_code == 303
    limited = await client.post(
        "/auth/sign_up", data={"email": "same@campus.test", "authenticity_token": token}
    )
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_code_page_requires_a_started_signup(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/sign_up/code")
    assert response.status_code == 303 and response.headers["location"] == "/auth/sign_up"


async def test_sign_in_and_cookie_flags(client: httpx.AsyncClient, settings: Settings) -> None:
    await make_user(settings, "cookie_user")
    token = csrf((await client.get("/auth/sign_in")).text)
    wrong = await client.post(
        "/auth/sign_in",
        data={"handle": "cookie_user", "password": "nope nope", "authenticity_token": token},
    )
    assert wrong.status_code == 401 and "Invalid handle or password" in wrong.text
    ok = await client.post(
        "/auth/sign_in",
        data={
            "handle": "@Cookie_User",
            "password": PASSWORD,
            "authenticity_token": token,
            "next": "https://evil.example/",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    home = await client.get("/")
    assert "@cookie_user" in home.text
    out_token = csrf((await client.get("/auth/sign_out")).text)
    await client.post("/auth/sign_out", data={"authenticity_token": out_token})
    assert "@cookie_user" not in (await client.get("/")).text


async def test_sign_in_rate_limit(client: httpx.AsyncClient, settings: Settings, app) -> None:  # type: ignore[no-untyped-def]
    app.state.ctx.limiter = signup.default_limiter()
    token = csrf((await client.get("/auth/sign_in")).text)
    for _ in range(10):
        await client.post(
            "/auth/sign_in",
            data={"handle": "target", "password": "guess guess", "authenticity_token": token},
        )
    limited = await client.post(
        "/auth/sign_in",
        data={"handle": "target", "password": "guess guess", "authenticity_token": token},
    )
    assert limited.status_code == 429 and "retry-after" in limited.headers


async def test_authorize_errors_are_pages_not_redirects(client: httpx.AsyncClient) -> None:
    unknown = await client.get(
        "/oauth/authorize",
        params={
            "client_id": "nope",
            "redirect_uri": "https://x.example/cb",
            "response_type": "code",
        },
    )
    assert unknown.status_code == 400 and "unknown client" in unknown.text
    app = (
        await client.post(
            "/api/v1/apps", data={"client_name": "c", "redirect_uris": "https://client.example/cb"}
        )
    ).json()
    wrong = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
        },
    )
    assert wrong.status_code == 400 and "redirect URI" in wrong.text
    scope = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://client.example/cb",
            "scope": "admin:write",
            "state": "s1",
        },
    )
    assert (
        scope.status_code == 302
        and "error=invalid_scope" in scope.headers["location"]
        and "state=s1" in scope.headers["location"]
    )
    anonymous = await client.get(
        "/oauth/authorize",
        params={"client_id": app["client_id"], "redirect_uri": "https://client.example/cb"},
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith(
        "/auth/sign_in?next=%2Foauth%2Fauthorize"
    )


async def test_pages_render_for_phones(client: httpx.AsyncClient) -> None:
    for path in ("/", "/auth/sign_up", "/auth/sign_in", "/auth/password/new"):
        page = await client.get(path)
        assert page.status_code == 200
        assert 'name="viewport"' in page.text and '<html lang="en">' in page.text
    assert (await client.get("/static/style.css")).status_code == 200
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404 and "doesn" in missing.text

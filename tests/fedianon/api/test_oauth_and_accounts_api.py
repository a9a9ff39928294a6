"""The OAuth endpoints, credentials and instance entities over HTTP (in-process)."""

from __future__ import annotations

import re

import httpx
import pytest

from fedianon.settings import Settings
from tests.support.factories import make_user


async def test_register_app_with_form_and_json(client: httpx.AsyncClient) -> None:
    form = await client.post(
        "/api/v1/apps",
        data={
            "client_name": "Form",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push",
        },
    )
    assert form.status_code == 200
    body = form.json()
    assert (
        body["client_id"]
        and body["client_secret"]
        and body["scopes"] == ["read", "write", "follow", "push"]
    )
    assert (
        body["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob"]
        and body["client_secret_expires_at"] == 0
    )
    js = await client.post(
        "/api/v1/apps",
        json={
            "client_name": "Elk",
            "redirect_uris": ["https://elk.zone/cb", "https://elk.zone/cb2"],
            "scopes": "read",
        },
    )
    assert js.status_code == 200 and js.json()["redirect_uris"] == [
        "https://elk.zone/cb",
        "https://elk.zone/cb2",
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        {"client_name": "x"},
        {"client_name": "x", "redirect_uris": "javascript:1"},
        {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "nope"},
    ],
)
async def test_bad_app_registrations_get_422(
    client: httpx.AsyncClient, payload: dict[str, str]
) -> None:
    response = await client.post("/api/v1/apps", data=payload)
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/apps", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "error" in response.json()


async def test_token_endpoint_errors(client: httpx.AsyncClient) -> None:
    unknown = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    )
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    app = (
        await client.post(
            "/api/v1/apps", data={"client_name": "c", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
        )
    ).json()
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    bad_grant = await client.post(
        "/oauth/token", data={**creds, "grant_type": "authorization_code", "code": "made-up"}
    )
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_grant"
    unsupported = await client.post(
        "/oauth/token", data={**creds, "grant_type": "password", "username": "a", "password": "b"}
    )
    assert (
        unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
    )
    ok = await client.post("/oauth/token", data={**creds, "grant_type": "client_credentials"})
    assert (
        ok.status_code == 200
        and ok.json()["token_type"] == "Bearer"
        and isinstance(ok.json()["created_at"], int)
    )
    verify = await client.get(
        "/api/v1/apps/verify_credentials",
        headers={"Authorization": f"Bearer {ok.json()['access_token']}"},
    )
    assert verify.status_code == 200 and verify.json()["name"] == "c"
    # An app token has no user behind it.
    me = await client.get(
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {ok.json()['access_token']}"},
    )
    assert me.status_code == 401


async def test_revoked_token_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    user = await make_user(settings, "revoker")
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    ).status_code == 200
    from fedianon.models.oauth import AccessToken

    record = await AccessToken.get(account_id=user.account.id).select_related("application")
    app = record.application
    revoked = await client.post(
        "/oauth/revoke",
        data={"client_id": app.client_id, "client_secret": app.client_secret, "token": user.token},
    )
    assert revoked.status_code == 200 and revoked.json() == {}
    after = await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert after.status_code == 401 and after.json() == {"error": "The access token is invalid"}


async def test_missing_scope_is_403(client: httpx.AsyncClient, settings: Settings) -> None:
    writer = await make_user(settings, "writer_only", scopes="write")
    response = await client.get("/api/v1/accounts/verify_credentials", headers=writer.headers)
    assert response.status_code == 403 and response.json() == {
        "error": "This action is outside the authorized scopes"
    }
    reader = await make_user(settings, "reader_only", scopes="read")
    denied = await client.patch(
        "/api/v1/accounts/update_credentials", headers=reader.headers, data={"display_name": "x"}
    )
    assert denied.status_code == 403


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 401 and response.json()["error"] == "The access token is invalid"
    garbage = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": "Bearer " + "z" * 2000}
    )
    assert garbage.status_code == 401


async def test_verify_and_update_credentials(client: httpx.AsyncClient, settings: Settings) -> None:
    user = await make_user(settings, "profile_owner")
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)).json()
    assert me["username"] == me["acct"] == "profile_owner"
    assert me["id"] == str(user.account.id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", me["created_at"])
    assert (
        me["source"]["privacy"] == "public"
        and me["source"]["note"] == ""
        and me["source"]["fields"] == []
    )
    assert (
        me["avatar"].startswith("https://campus.test/")
        and me["url"] == "https://campus.test/@profile_owner"
    )
    form = {
        "display_name": "Quiet Otter",
        "note": "Hello #campus\nsecond line",
        "locked": "1",
        "bot": "0",
        "discoverable": "false",
        "fields_attributes[0][name]": "Pronouns",
        "fields_attributes[0][value]": "they/them",
        "source[privacy]": "unlisted",
    }
    updated = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data=form
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (
        body["display_name"] == "Quiet Otter"
        and body["locked"] is True
        and body["bot"] is False
        and body["discoverable"] is False
    )
    assert body["note"].startswith("<p>Hello") and "<br />second line" in body["note"]
    assert body["source"]["note"] == "Hello #campus\nsecond line"
    assert body["fields"] == [{"name": "Pronouns", "value": "they/them", "verified_at": None}]
    assert body["source"]["privacy"] == "unlisted"
    js = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=user.headers,
        json={"locked": False, "display_name": "Otter"},
    )
    assert js.json()["locked"] is False and js.json()["display_name"] == "Otter"


async def test_update_credentials_is_all_or_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(settings, "atomic_user")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=user.headers,
        data={"display_name": "fine", "note": "x" * 501},
    )
    assert response.status_code == 422 and "Note is too long" in response.json()["error"]
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=user.headers)).json()
    assert me["display_name"] == "" and me["note"] == ""
    long_name = await client.patch(
        "/api/v1/accounts/update_credentials", headers=user.headers, data={"display_name": "n" * 31}
    )
    assert long_name.status_code == 422


async def test_instance_entities(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/instance", "/api/v1/instance/"):
        v1 = (await client.get(path)).json()
        assert v1["uri"] == "campus.test" and v1["registrations"] is True
        assert v1["version"] == "4.2.0 (compatible; fedianon 0.1.0)"
        assert v1["configuration"]["statuses"]["max_characters"] == 500
        assert v1["urls"]["streaming_api"] == "wss://campus.test"
    v2 = (await client.get("/api/v2/instance/")).json()
    assert v2["domain"] == "campus.test" and v2["api_versions"] == {"mastodon": 1}
    assert v2["configuration"]["accounts"]["max_featured_tags"] == 10
    assert v2["registrations"]["url"] == "https://campus.test/auth/sign_up"
    assert (await client.get("/api/v1/custom_emojis")).json() == []


async def test_authorization_server_metadata(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint"] == "https://campus.test/oauth/token"
    assert set(meta["grant_types_supported"]) == {"authorization_code", "client_credentials"}


async def test_cors_preflight_and_exposed_headers(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/api/v1/statuses",
        headers={
            "Origin": "https://elk.zone",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,idempotency-key",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    normal = await client.get("/api/v1/instance", headers={"Origin": "https://elk.zone"})
    assert "Link" in normal.headers["access-control-expose-headers"]
    page = await client.get("/auth/sign_in", headers={"Origin": "https://elk.zone"})
    assert "access-control-allow-origin" not in page.headers


async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing/here")
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}

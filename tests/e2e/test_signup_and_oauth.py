"""Issue 3 end to end: a student signs up in Chromium with the code from a real SMTP server,
a Mastodon client logs in through OAuth (consent in the browser), and nothing in the database
or the logs ties the pseudonym to the address or to a client IP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon
from playwright.async_api import Browser, Page

from tests.support.databases import dump_database
from tests.support.oauth import obtain_token
from tests.support.servers import Instance
from tests.support.smtp import SmtpSink
from tests.support.waiting import eventually

LOCAL_PART = "privacy.probe.7731"
ADDRESS = f"{LOCAL_PART}@campus.example"
PASSWORD = "a long enough password"
SCOPES = ["read", "write", "follow", "push"]
OOB = "urn:ietf:wg:oauth:2.0:oob"


async def sign_up_in_browser(page: Page, instance: Instance, smtp: SmtpSink, address: str) -> str:
    await page.goto(f"{instance.base_url}/auth/sign_up")
    await page.fill("#email", address)
    already = len(smtp.received)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/auth/sign_up/code")
    mail = await asyncio.to_thread(smtp.wait_for, address, 15.0, already)
    assert mail.message["From"].endswith(f"@{instance.host}")
    await page.fill("#code", mail.code())
    await page.click("button[type=submit]")
    await page.wait_for_url("**/auth/sign_up/account")
    suggestion = await page.input_value("#handle")
    assert re.fullmatch(r"[a-z]+_[a-z]+_\d{3}", suggestion), suggestion
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirmation", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/?welcome=1")
    assert f"@{suggestion}" in await page.inner_text("main")
    return suggestion


async def authorize_in_browser(page: Page, url: str) -> str:
    await page.goto(url)
    await page.click("#authorize")
    await page.wait_for_selector("#oauth-code")
    return (await page.inner_text("#oauth-code")).strip()


@pytest.fixture
async def instance(workdir: Path, smtp: SmtpSink):  # type: ignore[no-untyped-def]
    # Served as localhost:PORT, so a loopback IP in a log can only have come from a client.
    server = Instance(
        workdir,
        host="localhost",
        env={"FEDIANON_CAMPUS_DOMAINS": "campus.example", "FEDIANON_SMTP_URL": smtp.url},
    )
    await server.start()
    yield server
    await server.destroy()


async def test_signup_oauth_and_privacy(
    instance: Instance, smtp: SmtpSink, browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    handle = await sign_up_in_browser(page, instance, smtp, ADDRESS)

    # Mastodon.py: register the app, authorize in the browser (out-of-band code), log in.
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app,
        "fedianon e2e",
        scopes=SCOPES,
        redirect_uris=OOB,
        api_base_url=instance.base_url,
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=instance.base_url)
    url = api.auth_request_url(scopes=SCOPES, redirect_uris=OOB, allow_http=True)
    code = await authorize_in_browser(page, url)
    await asyncio.to_thread(api.log_in, code=code, scopes=SCOPES, allow_http=True)
    me = await asyncio.to_thread(api.account_verify_credentials)
    assert me["username"] == handle and me["acct"] == handle
    assert me["source"]["privacy"] == "public"
    updated = await asyncio.to_thread(
        api.account_update_credentials,
        display_name="Quiet Otter",
        note="Studying #physics",
        locked=True,
        bot=False,
        discoverable=True,
    )
    assert updated["display_name"] == "Quiet Otter" and updated["locked"] is True
    assert (await asyncio.to_thread(api.account_verify_credentials))[
        "display_name"
    ] == "Quiet Otter"

    # The same flow with PKCE S256, the code exchanged over plain HTTP.
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    pkce_url = (
        f"{instance.base_url}/oauth/authorize?"
        + httpx.QueryParams(
            {
                "client_id": client_id,
                "redirect_uri": OOB,
                "response_type": "code",
                "scope": "read",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        ).__str__()
    )
    pkce_code = await authorize_in_browser(page, pkce_url)
    async with httpx.AsyncClient(base_url=instance.base_url) as http:
        wrong = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": pkce_code,
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": OOB,
                "code_verifier": "x" * 50,
            },
        )
        assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
        pkce_code = await authorize_in_browser(page, pkce_url)
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": pkce_code,
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": OOB,
                "code_verifier": verifier,
            },
        )
        assert token.status_code == 200, token.text
        me2 = await http.get(
            "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert me2.json()["username"] == handle

    # Sign out and back in by handle and password.
    await page.goto(f"{instance.base_url}/auth/sign_out")
    await page.click("button[type=submit]")
    await page.goto(f"{instance.base_url}/auth/sign_in")
    await page.fill("#handle", handle)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{instance.base_url}/")
    assert f"@{handle}" in await page.inner_text("header")
    await context.close()

    # The student posts; a second instance (also served as localhost:PORT) follows and
    # receives it, so the federation paths are part of what is checked below.
    peer = Instance(instance.workdir, host="localhost", label="peer")
    await peer.start()
    try:
        peer.cli("accounts", "create", "reader", "--password-stdin", stdin=PASSWORD + "\n")
        reader = Mastodon(
            access_token=(await obtain_token(peer.base_url, "reader", PASSWORD)).access_token,
            api_base_url=peer.base_url,
        )
        remote = await asyncio.to_thread(
            reader.search_v2, f"@{handle}@{instance.domain}", resolve=True, result_type="accounts"
        )
        assert [a["acct"] for a in remote["accounts"]] == [f"{handle}@{instance.domain}"]
        await asyncio.to_thread(reader.account_follow, remote["accounts"][0]["id"])
        requests = await eventually(
            lambda: api.follow_requests(), what="the follow request (the account is locked)"
        )
        await asyncio.to_thread(api.follow_request_authorize, requests[0]["id"])
        await eventually(
            lambda: reader.account_relationships([remote["accounts"][0]["id"]])[0]["following"],
            what="the follow to be accepted",
        )
        post = await asyncio.to_thread(api.status_post, "first post from campus")
        await eventually(
            lambda: post["uri"] in [s["uri"] for s in reader.timeline_home()],
            what="the post to federate",
        )

        # Privacy: nothing in either database or log has the address, its local part or a client IP.
        instance.stop()
        peer.stop()
        dumps = [await dump_database(instance.database_url), await dump_database(peer.database_url)]
        logs = [instance.logs(), peer.logs()]
    finally:
        await peer.destroy()
    assert (
        "GET /auth/sign_up" in logs[0] and "POST /oauth/token" in logs[0]
    )  # the access log was captured
    # Federation shows in the access logs, which record route templates, never raw paths:
    # "{handle}" below is the template itself, not a missing f-string. The peer fetched the
    # student's actor and delivered its Follow to the instance's shared inbox; the instance
    # delivered the Accept and the post to the peer's.
    assert "GET /users/{handle} 200" in logs[0]
    assert "POST /inbox 202" in logs[0]
    assert logs[1].count("POST /inbox 202") == 2
    access_lines = [line for log in logs for line in log.splitlines() if "fedianon.access:" in line]
    assert not [line for line in access_lines if handle in line]
    assert handle in dumps[0] and handle in dumps[1]
    for haystack in (*dumps, *logs):
        lowered = haystack.lower()
        assert ADDRESS not in lowered
        assert LOCAL_PART not in lowered
        assert "127.0.0.1" not in haystack


async def test_smtp_down_stores_nothing_and_retry_works(workdir: Path) -> None:
    smtp = SmtpSink()  # not started: nothing listens on its port yet
    server = Instance(
        workdir, env={"FEDIANON_CAMPUS_DOMAINS": "campus.example", "FEDIANON_SMTP_URL": smtp.url}
    )
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            page = await http.get("/auth/sign_up")
            csrf = re.search(r'name="authenticity_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            failed = await http.post(
                "/auth/sign_up", data={"email": ADDRESS, "authenticity_token": csrf}
            )
            assert failed.status_code == 503
            assert "could not send the mail" in failed.text and "try again" in failed.text
            dump = await dump_database(server.database_url)
            assert "email_verifications" in dump and LOCAL_PART not in dump
            assert await _count_rows(server, "email_verifications") == 0

            smtp.start()
            try:
                retry = await http.post(
                    "/auth/sign_up", data={"email": ADDRESS, "authenticity_token": csrf}
                )
                assert retry.status_code == 303
                mail = await asyncio.to_thread(smtp.wait_for, ADDRESS)
                confirmed = await http.post(
                    "/auth/sign_up/code", data={"code": mail.code(), "authenticity_token": csrf}
                )
                assert (
                    confirmed.status_code == 303
                    and confirmed.headers["location"] == "/auth/sign_up/account"
                )
            finally:
                smtp.stop()
    finally:
        await server.destroy()


async def _count_rows(server: Instance, table: str) -> int:
    if server.database_url.startswith("postgres"):
        import asyncpg

        conn = await asyncpg.connect(server.database_url)
        try:
            return int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
        finally:
            await conn.close()
    import sqlite3

    with sqlite3.connect(server.database_url[len("sqlite://") :]) as db:
        return int(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

"""Issue 7 end to end with three real instances.

Instance one subscribes to instance two over ActivityPub (auto-apply, capped at silence) and
to instance three's CSV URL as drafts. Two suspends a domain: one applies it as a silence
within seconds, with provenance; two retracts it: one removes it. Three's new entry waits as
a draft until an admin accepts it in one's admin area (headless Chromium); then a post from
that domain is dropped at one's inbox.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon
from playwright.async_api import Browser

from federation.activitystreams import PUBLIC
from federation.signatures import sign
from federation.signatures.keys import generate_rsa_keypair
from tests.support.oauth import obtain_token
from tests.support.servers import ROOT, Instance
from tests.support.waiting import eventually

PASSWORD = "a long enough password"
ADMIN_SCOPES = "read write follow admin:read admin:write"


@pytest.fixture(scope="module")
async def trio(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Instance]]:
    base = tmp_path_factory.mktemp("blocklists")
    one = Instance(base, label="one")
    two = Instance(base, label="two", env={"FEDIANON_SHOW_DOMAIN_BLOCKS": "all"})
    three = Instance(base, label="three", env={"FEDIANON_SHOW_DOMAIN_BLOCKS": "all"})
    two.extra_env["FEDIANON_BLOCKLIST_PEERS"] = one.domain  # two auto-approves one as a peer
    servers = {"one": one, "two": two, "three": three}
    await asyncio.gather(*(s.start() for s in servers.values()))
    for server in servers.values():
        server.cli(
            "accounts",
            "create",
            "campus_admin",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    yield servers
    await asyncio.gather(*(s.destroy() for s in servers.values()))


async def admin_api(server: Instance) -> Mastodon:
    grant = await obtain_token(server.base_url, "campus_admin", PASSWORD, scopes=ADMIN_SCOPES)
    return Mastodon(
        access_token=grant.access_token, api_base_url=server.base_url, request_timeout=30
    )


async def rest(
    server: Instance, api: Mastodon, method: str, path: str, **data: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        return await http.request(
            method, path, headers={"Authorization": f"Bearer {api.access_token}"}, data=data or None
        )


async def test_federated_subscriptions_with_trust_caps_drafts_and_retraction(
    trio: dict[str, Instance], browser: Browser, tmp_path: Path
) -> None:
    one, two, three = trio["one"], trio["two"], trio["three"]
    api_one, api_two, api_three = await admin_api(one), await admin_api(two), await admin_api(three)

    # Subscriptions on one: two over ActivityPub (auto, at most silence), three's CSV as drafts.
    ap = await rest(
        one,
        api_one,
        "POST",
        "/api/v1/admin/domain_permission_subscriptions",
        uri=f"{two.base_url}/actor",
        kind="activitypub",
        permission_type="block",
        as_draft="false",
        max_severity="silence",
        title="peer two",
        priority="10",
    )
    assert ap.status_code == 200, ap.text

    async def subscription_shown() -> bool:
        shown = await rest(
            one, api_one, "GET", f"/api/v1/admin/domain_permission_subscriptions/{ap.json()['id']}"
        )
        assert shown.status_code == 200, shown.text
        entity = shown.json()
        assert (
            entity["id"],
            entity["kind"],
            entity["uri"],
            entity["actor_uri"],
            entity["max_severity"],
            entity["as_draft"],
            entity["title"],
        ) == (
            ap.json()["id"],
            "activitypub",
            f"{two.base_url}/actor",
            f"{two.base_url}/actor",
            "silence",
            False,
            "peer two",
        ), entity
        assert entity.get("follow_state") in ("requested", "accepted"), entity
        return True

    await eventually(subscription_shown, what="the subscription resolved to two's actor")

    async def follow_state() -> str | None:
        return (
            (
                await rest(
                    one,
                    api_one,
                    "GET",
                    f"/api/v1/admin/domain_permission_subscriptions/{ap.json()['id']}",
                )
            )
            .json()
            .get("follow_state")
        )

    await eventually(lambda: follow_state(), what="follow requested")
    await eventually(lambda: _is(follow_state(), "accepted"), what="two to accept one as a peer")
    csv_sub = await rest(
        one,
        api_one,
        "POST",
        "/api/v1/admin/domain_permission_subscriptions",
        uri=f"{three.base_url}/blocklist.csv",
        permission_type="block",
        content_type="text/csv",
        as_draft="true",
        title="peer three",
    )
    assert csv_sub.status_code == 200, csv_sub.text

    # Two suspends a domain: one applies it as a silence, with provenance, within seconds.
    block = api_two.admin_create_domain_block(
        "evil.example", severity="suspend", public_comment="harassment"
    )

    async def one_blocks() -> dict[str, dict]:  # type: ignore[type-arg]
        return {
            b["domain"]: b
            for b in (await rest(one, api_one, "GET", "/api/v1/admin/domain_blocks")).json()
        }

    applied = await eventually(
        lambda: _get(one_blocks(), "evil.example"), timeout=15, what="the pushed block on one"
    )
    assert applied["severity"] == "silence" and applied["public_comment"] == "harassment"
    provenance = (
        await rest(one, api_one, "GET", f"/api/v1/admin/domain_blocks/{applied['id']}/provenance")
    ).json()
    assert (
        provenance["source"] == "subscription"
        and provenance["owner_subscription_id"] == ap.json()["id"]
    )
    assert [(p["title"], p["severity"]) for p in provenance["listed_by"]] == [
        ("peer two", "suspend")
    ]

    # Two retracts it: one removes it.
    api_two.admin_delete_domain_block(block["id"])
    await eventually(
        lambda: _absent(one_blocks(), "evil.example"), timeout=15, what="the retraction on one"
    )

    # Three blocks a domain; on one it waits as a draft.
    api_three.admin_create_domain_block("spam.example", severity="suspend", public_comment="spam")
    refreshed = await rest(
        one,
        api_one,
        "POST",
        f"/api/v1/admin/domain_permission_subscriptions/{csv_sub.json()['id']}/refresh",
    )
    assert refreshed.json().get("count") == 1, refreshed.text
    assert "spam.example" not in await one_blocks()
    drafts = (await rest(one, api_one, "GET", "/api/v1/admin/domain_permission_drafts")).json()
    assert [d["domain"] for d in drafts] == ["spam.example"]

    # A known actor of spam.example can post to one before the draft is accepted...
    private_pem, public_pem = generate_rsa_keypair()
    (tmp_path / "key.pem").write_text(public_pem)
    actor = "https://spam.example/users/spammer"
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.seed",
            "remote-actor",
            actor,
            str(tmp_path / "key.pem"),
        ],
        env={**one.env(), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert await _post_note(one, actor, private_pem, "https://spam.example/notes/1") == 202
    api_user = api_one
    await eventually(
        lambda: (
            "https://spam.example/notes/1"
            in [s["uri"] for s in api_user.timeline_public(remote=True)]
        ),
        what="the first post stored",
    )

    # ...the admin accepts the draft in the admin area, in Chromium...
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{one.base_url}/auth/sign_in?next=/admin/drafts")
    await page.fill("#handle", "campus_admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/admin/drafts")
    await page.check("input[aria-label='Select spam.example']")
    await page.click("#accept-drafts")
    await page.wait_for_url("**/admin/drafts?notice=*")
    assert "1 draft accepted" in await page.inner_text("main")
    await page.goto(f"{one.base_url}/admin/domain_blocks")
    assert "spam.example" in await page.inner_text("main")
    await context.close()
    assert (await one_blocks())["spam.example"]["severity"] == "suspend"

    # ...and now posts from that domain are dropped at the inbox.
    await asyncio.sleep(2.5)  # the inbox's policy cache lives two seconds
    assert await _post_note(one, actor, private_pem, "https://spam.example/notes/2") == 202
    await asyncio.sleep(1.5)
    uris = [s["uri"] for s in api_user.timeline_public(remote=True)]
    assert (
        "https://spam.example/notes/2" not in uris and "https://spam.example/notes/1" not in uris
    )  # the suspend also removed cached content


async def _is(value, expected):  # type: ignore[no-untyped-def]
    return (await value) == expected


async def _get(mapping, key):  # type: ignore[no-untyped-def]
    return (await mapping).get(key)


async def _absent(mapping, key):  # type: ignore[no-untyped-def]
    return key not in await mapping


async def _post_note(server: Instance, actor: str, private_pem: str, note_id: str) -> int:
    document = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>buy now</p>",
            "to": [PUBLIC],
        },
    }
    body = json.dumps(document).encode()
    url = f"{server.base_url}/inbox"
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign("cavage", "POST", url, headers, body, f"{actor}#main-key", private_pem))
    async with httpx.AsyncClient() as http:
        return (await http.post(url, content=body, headers=headers)).status_code

"""For each visibility x relationship, which endpoints show the post (Mastodon's rules).

Relationships: self (the author), follower, stranger, mentioned (named in the post, not a
follower), blocked (was a follower, then the author blocked them), muted (a follower who
muted the author).
"""

from __future__ import annotations

import httpx
import pytest

from fedianon.settings import Settings
from tests.support.factories import make_user

Y, N = True, False
ENDPOINTS = ("status", "home", "public", "account", "context")
# visibility -> relationship -> (status, home, public, account, context)
EXPECTED = {
    "public": {
        "self": (Y, Y, Y, Y, Y),
        "follower": (Y, Y, Y, Y, Y),
        "stranger": (Y, N, Y, Y, Y),
        "mentioned": (Y, N, Y, Y, Y),
        "blocked": (N, N, N, N, N),
        "muted": (Y, N, N, Y, N),
    },
    "unlisted": {
        "self": (Y, Y, N, Y, Y),
        "follower": (Y, Y, N, Y, Y),
        "stranger": (Y, N, N, Y, Y),
        "mentioned": (Y, N, N, Y, Y),
        "blocked": (N, N, N, N, N),
        "muted": (Y, N, N, Y, N),
    },
    "private": {
        "self": (Y, Y, N, Y, Y),
        "follower": (Y, Y, N, Y, Y),
        "stranger": (N, N, N, N, N),
        "mentioned": (Y, N, N, Y, Y),
        "blocked": (N, N, N, N, N),
        "muted": (Y, N, N, Y, N),
    },
    "direct": {
        "self": (Y, Y, N, Y, Y),
        "follower": (N, N, N, N, N),
        "stranger": (N, N, N, N, N),
        "mentioned": (Y, Y, N, Y, Y),
        "blocked": (N, N, N, N, N),
        "muted": (N, N, N, N, N),
    },
}


async def _seen(
    client: httpx.AsyncClient, viewer, author_id: int, root_id: str, status_id: str
) -> tuple[bool, ...]:  # type: ignore[no-untyped-def]
    h = viewer.headers
    status = (await client.get(f"/api/v1/statuses/{status_id}", headers=h)).status_code == 200
    home = status_id in [
        s["id"]
        for s in (
            await client.get("/api/v1/timelines/home", headers=h, params={"limit": 40})
        ).json()
    ]
    public = status_id in [
        s["id"]
        for s in (
            await client.get("/api/v1/timelines/public", headers=h, params={"limit": 40})
        ).json()
    ]
    account = status_id in [
        s["id"]
        for s in (
            await client.get(
                f"/api/v1/accounts/{author_id}/statuses", headers=h, params={"limit": 40}
            )
        ).json()
    ]
    thread = await client.get(f"/api/v1/statuses/{root_id}/context", headers=h)
    context = thread.status_code == 200 and status_id in [
        s["id"] for s in thread.json()["descendants"]
    ]
    return status, home, public, account, context


@pytest.mark.parametrize("visibility", list(EXPECTED))
async def test_visibility_matrix(
    client: httpx.AsyncClient, settings: Settings, visibility: str
) -> None:
    author = await make_user(settings, "author")
    viewers = {
        name: await make_user(settings, name)
        for name in ("follower", "stranger", "mentioned", "blocked", "muted")
    }
    viewers["self"] = author
    for name in ("follower", "blocked", "muted"):
        assert (
            await client.post(
                f"/api/v1/accounts/{author.account.id}/follow", headers=viewers[name].headers
            )
        ).status_code == 200
    # A public root by the author, so the test status is a (self-)reply visible in /context.
    root = (
        await client.post(
            "/api/v1/statuses",
            headers=author.headers,
            data={"status": "thread start", "visibility": "public"},
        )
    ).json()
    posted = await client.post(
        "/api/v1/statuses",
        headers=author.headers,
        data={
            "status": f"a {visibility} note for @mentioned",
            "visibility": visibility,
            "in_reply_to_id": root["id"],
        },
    )
    assert posted.status_code == 200, posted.text
    status_id = posted.json()["id"]
    assert (
        await client.post(
            f"/api/v1/accounts/{viewers['blocked'].account.id}/block", headers=author.headers
        )
    ).json()["blocking"] is True
    assert (
        await client.post(
            f"/api/v1/accounts/{author.account.id}/mute", headers=viewers["muted"].headers
        )
    ).json()["muting"] is True

    mismatches = []
    for relationship, expected in EXPECTED[visibility].items():
        seen = await _seen(client, viewers[relationship], author.account.id, root["id"], status_id)
        for endpoint, want, got in zip(ENDPOINTS, expected, seen, strict=True):
            if want != got:
                mismatches.append(
                    f"{visibility}/{relationship}/{endpoint}: expected {want}, got {got}"
                )
    assert not mismatches, "\n".join(mismatches)


async def test_anonymous_sees_only_public_and_unlisted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    author = await make_user(settings, "author")
    ids = {}
    for visibility in EXPECTED:
        ids[visibility] = (
            await client.post(
                "/api/v1/statuses",
                headers=author.headers,
                data={"status": visibility, "visibility": visibility},
            )
        ).json()["id"]
    public = [s["id"] for s in (await client.get("/api/v1/timelines/public")).json()]
    assert public == [ids["public"]]
    profile = {
        s["id"] for s in (await client.get(f"/api/v1/accounts/{author.account.id}/statuses")).json()
    }
    assert profile == {ids["public"], ids["unlisted"]}
    for visibility, expected in (
        ("public", 200),
        ("unlisted", 200),
        ("private", 404),
        ("direct", 404),
    ):
        response = await client.get(f"/api/v1/statuses/{ids[visibility]}")
        assert response.status_code == expected
        if expected == 404:
            assert response.json() == {"error": "Record not found"}

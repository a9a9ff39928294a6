"""The smaller endpoints real clients call: markers, preferences, lookup, familiar followers,
a user's own domain blocks, hashtags followed, notifications by id, empty-but-valid lists."""

from __future__ import annotations

import httpx

from fedianon.models.social import Follow
from fedianon.settings import Settings
from tests.support.factories import make_remote, make_user


async def test_markers_round_trip(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    assert (
        await client.get(
            "/api/v1/markers",
            headers=alice.headers,
            params={"timeline[]": ["home", "notifications"]},
        )
    ).json() == {}
    saved = await client.post(
        "/api/v1/markers",
        headers=alice.headers,
        json={"home": {"last_read_id": "123"}, "notifications": {"last_read_id": "456"}},
    )
    assert (
        saved.status_code == 200
        and saved.json()["home"]["last_read_id"] == "123"
        and saved.json()["home"]["version"] == 0
    )
    form = await client.post(
        "/api/v1/markers", headers=alice.headers, data={"home[last_read_id]": "789"}
    )
    assert form.json()["home"] == {**form.json()["home"], "last_read_id": "789", "version": 1}
    read = (
        await client.get("/api/v1/markers", headers=alice.headers, params={"timeline[]": "home"})
    ).json()
    assert list(read) == ["home"] and read["home"]["last_read_id"] == "789"
    bad = await client.post(
        "/api/v1/markers", headers=alice.headers, json={"home": {"last_read_id": "not-an-id"}}
    )
    assert bad.status_code == 422
    empty = await client.post("/api/v1/markers", headers=alice.headers, json={})
    assert empty.status_code == 422


async def test_preferences_follow_the_account_source(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice.headers,
        data={"source[privacy]": "private", "source[sensitive]": "true", "source[language]": "de"},
    )
    prefs = (await client.get("/api/v1/preferences", headers=alice.headers)).json()
    assert (
        prefs["posting:default:visibility"] == "private"
        and prefs["posting:default:sensitive"] is True
        and prefs["posting:default:language"] == "de"
    )
    posted = (
        await client.post(
            "/api/v1/statuses", headers=alice.headers, data={"status": "defaults apply"}
        )
    ).json()
    assert posted["visibility"] == "private" and posted["language"] == "de"


async def test_lookup_local_and_remote(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    peer = await make_remote("bob", domain="peer.example")
    assert (await client.get("/api/v1/accounts/lookup", params={"acct": "alice"})).json()[
        "id"
    ] == str(alice.account.id)
    assert (
        await client.get("/api/v1/accounts/lookup", params={"acct": "@alice@campus.test"})
    ).json()["id"] == str(alice.account.id)
    remote = (
        await client.get("/api/v1/accounts/lookup", params={"acct": "bob@peer.example"})
    ).json()
    assert remote["acct"] == "bob@peer.example" and remote["id"] == str(peer.account.id)
    assert (
        await client.get("/api/v1/accounts/lookup", params={"acct": "nobody"})
    ).status_code == 404
    assert (await client.get("/api/v1/accounts/lookup")).status_code == 422


async def test_familiar_followers_and_follow_requests(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob, carol = (
        await make_user(settings, "alice"),
        await make_user(settings, "bob"),
        await make_user(settings, "carol"),
    )
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    await client.post(f"/api/v1/accounts/{carol.account.id}/follow", headers=bob.headers)
    familiar = (
        await client.get(
            "/api/v1/accounts/familiar_followers",
            headers=alice.headers,
            params={"id[]": str(carol.account.id)},
        )
    ).json()
    assert (
        familiar == [{"id": str(carol.account.id), "accounts": [familiar[0]["accounts"][0]]}]
        and familiar[0]["accounts"][0]["acct"] == "bob"
    )
    await client.patch(
        "/api/v1/accounts/update_credentials", headers=carol.headers, data={"locked": "true"}
    )
    await client.post(f"/api/v1/accounts/{carol.account.id}/follow", headers=alice.headers)
    requests = (await client.get("/api/v1/follow_requests", headers=carol.headers)).json()
    assert [a["acct"] for a in requests] == ["alice"]
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=carol.headers)).json()[
        "source"
    ]["follow_requests_count"] == 1
    followers = (await client.get(f"/api/v1/accounts/{carol.account.id}/followers")).json()
    assert [a["acct"] for a in followers] == ["bob"]
    removed = await client.post(
        f"/api/v1/accounts/{bob.account.id}/remove_from_followers", headers=carol.headers
    )
    assert (
        removed.json()["followed_by"] is False
        and not await Follow.filter(
            account_id=bob.account.id, target_account_id=carol.account.id
        ).exists()
    )


async def test_user_domain_blocks_hide_and_unfollow(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    peer = await make_remote("loud", domain="loud.example")
    await Follow.create(account=alice.account, target_account=peer.account)
    assert (
        await client.post(
            "/api/v1/domain_blocks", headers=alice.headers, data={"domain": "LOUD.example"}
        )
    ).json() == {}
    assert (await client.get("/api/v1/domain_blocks", headers=alice.headers)).json() == [
        "loud.example"
    ]
    assert not await Follow.filter(account_id=alice.account.id).exists()
    relationship = (
        await client.get(
            "/api/v1/accounts/relationships",
            headers=alice.headers,
            params={"id[]": str(peer.account.id)},
        )
    ).json()[0]
    assert relationship["domain_blocking"] is True
    bad = await client.post(
        "/api/v1/domain_blocks", headers=alice.headers, data={"domain": "not a domain"}
    )
    assert bad.status_code == 422
    await client.request(
        "DELETE", "/api/v1/domain_blocks", headers=alice.headers, data={"domain": "loud.example"}
    )
    assert (await client.get("/api/v1/domain_blocks", headers=alice.headers)).json() == []


async def test_followed_hashtags_reach_the_home_timeline(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    followed = await client.post("/api/v1/tags/Physics/follow", headers=alice.headers)
    assert followed.json()["following"] is True and followed.json()["name"] == "Physics"
    post = (
        await client.post(
            "/api/v1/statuses", headers=bob.headers, data={"status": "new results in #physics"}
        )
    ).json()
    assert post["id"] in [
        s["id"] for s in (await client.get("/api/v1/timelines/home", headers=alice.headers)).json()
    ]
    assert [
        t["name"] for t in (await client.get("/api/v1/followed_tags", headers=alice.headers)).json()
    ] == ["Physics"]
    tagged = (await client.get("/api/v1/timelines/tag/PHYSICS")).json()
    assert [s["id"] for s in tagged] == [post["id"]]
    assert (await client.post("/api/v1/tags/physics/unfollow", headers=alice.headers)).json()[
        "following"
    ] is False


async def test_notification_by_id_and_clear(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{alice.account.id}/follow", headers=bob.headers)
    listed = (await client.get("/api/v1/notifications", headers=alice.headers)).json()
    one = await client.get(f"/api/v1/notifications/{listed[0]['id']}", headers=alice.headers)
    assert one.json()["type"] == "follow" and one.json()["account"]["acct"] == "bob"
    assert (
        await client.get(f"/api/v1/notifications/{listed[0]['id']}", headers=bob.headers)
    ).status_code == 404
    assert (await client.post("/api/v1/notifications/clear", headers=alice.headers)).json() == {}
    assert (await client.get("/api/v1/notifications", headers=alice.headers)).json() == []


async def test_empty_but_valid_endpoints(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    for path in (
        "/api/v1/announcements",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v1/suggestions",
        "/api/v2/suggestions",
        "/api/v1/custom_emojis",
        "/api/v1/instance/rules",
    ):
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 200 and response.json() == [], path

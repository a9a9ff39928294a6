"""Lists over HTTP (in-process): CRUD, members, the list timeline and its fan-out rules,
exclusive lists, and the bad input (a member the owner does not follow)."""

from __future__ import annotations

import httpx

from fedianon.models.timelines import List as UserList
from fedianon.models.timelines import ListAccount
from fedianon.settings import Settings
from tests.support.factories import User, make_user


async def _follow(client: httpx.AsyncClient, follower: User, target: User) -> None:
    response = await client.post(
        f"/api/v1/accounts/{target.account.id}/follow", headers=follower.headers
    )
    assert response.status_code == 200 and response.json()["following"], response.text


async def _post(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> str:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={"status": text, **extra}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _ids(client: httpx.AsyncClient, user: User, path: str) -> list[str]:
    response = await client.get(path, headers=user.headers, params={"limit": 40})
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


async def test_list_crud(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    created = await client.post(
        "/api/v1/lists", headers=alice.headers, data={"title": "Friends", "replies_policy": "none"}
    )
    assert created.status_code == 200
    body = created.json()
    assert body == {
        "id": body["id"],
        "title": "Friends",
        "replies_policy": "none",
        "exclusive": False,
    }
    defaulted = (
        await client.post("/api/v1/lists", headers=alice.headers, json={"title": "Lab"})
    ).json()
    assert defaulted["replies_policy"] == "list"
    listed = await client.get("/api/v1/lists", headers=alice.headers)
    assert [item["title"] for item in listed.json()] == ["Friends", "Lab"]
    updated = await client.put(
        f"/api/v1/lists/{body['id']}",
        headers=alice.headers,
        data={"title": "Close friends", "exclusive": "true"},
    )
    assert updated.json()["title"] == "Close friends" and updated.json()["exclusive"] is True
    assert updated.json()["replies_policy"] == "none"
    shown = await client.get(f"/api/v1/lists/{body['id']}", headers=alice.headers)
    assert shown.json()["title"] == "Close friends"
    assert (await client.delete(f"/api/v1/lists/{body['id']}", headers=alice.headers)).json() == {}
    gone = await client.get(f"/api/v1/lists/{body['id']}", headers=alice.headers)
    assert gone.status_code == 404 and gone.json() == {"error": "Record not found"}


async def test_bad_list_input(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    blank = await client.post("/api/v1/lists", headers=alice.headers, data={"title": "  "})
    assert blank.status_code == 422 and blank.json() == {
        "error": "Validation failed: Title can't be blank"
    }
    policy = await client.post(
        "/api/v1/lists", headers=alice.headers, data={"title": "x", "replies_policy": "all"}
    )
    assert policy.status_code == 422 and "Replies policy" in policy.json()["error"]
    assert await UserList.all().count() == 0
    mine = (await client.post("/api/v1/lists", headers=alice.headers, data={"title": "x"})).json()
    # Someone else's list does not exist for bob.
    for method in ("GET", "PUT", "DELETE"):
        other = await client.request(method, f"/api/v1/lists/{mine['id']}", headers=bob.headers)
        assert other.status_code == 404
    not_an_id = await client.post(
        f"/api/v1/lists/{mine['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": "abc"},
    )
    assert not_an_id.status_code == 422
    unknown = await client.post(
        f"/api/v1/lists/{mine['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": "12345"},
    )
    assert unknown.status_code == 404
    unauthenticated = await client.get("/api/v1/lists")
    assert unauthenticated.status_code == 401


async def test_adding_someone_not_followed_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob, carol = await make_user(settings, "bob"), await make_user(settings, "carol")
    await _follow(client, alice, bob)
    friends = (
        await client.post("/api/v1/lists", headers=alice.headers, data={"title": "F"})
    ).json()
    refused = await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": [str(bob.account.id), str(carol.account.id)]},
    )
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("Validation failed:")
    assert "you must follow" in refused.json()["error"] and "carol" in refused.json()["error"]
    assert await ListAccount.all().count() == 0  # bob was not added either
    ok = await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": str(bob.account.id)},
    )
    assert ok.status_code == 200 and ok.json() == {}
    again = await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        json={"account_ids": [str(bob.account.id)]},
    )
    assert again.status_code == 422 and "already been taken" in again.json()["error"]
    members = await client.get(f"/api/v1/lists/{friends['id']}/accounts", headers=alice.headers)
    assert [a["acct"] for a in members.json()] == ["bob"]
    everyone = await client.get(
        f"/api/v1/lists/{friends['id']}/accounts", headers=alice.headers, params={"limit": 0}
    )
    assert [a["acct"] for a in everyone.json()] == ["bob"]
    of_bob = await client.get(f"/api/v1/accounts/{bob.account.id}/lists", headers=alice.headers)
    assert [item["id"] for item in of_bob.json()] == [friends["id"]]
    assert (
        await client.get(f"/api/v1/accounts/{carol.account.id}/lists", headers=alice.headers)
    ).json() == []


async def test_list_timeline_fan_out_and_removal(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob, carol = await make_user(settings, "bob"), await make_user(settings, "carol")
    await _follow(client, alice, bob)
    await _follow(client, alice, carol)
    old = await _post(client, bob, "posted before the list existed")
    friends = (
        await client.post("/api/v1/lists", headers=alice.headers, data={"title": "F"})
    ).json()
    await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": str(bob.account.id)},
    )
    path = f"/api/v1/timelines/list/{friends['id']}"
    assert await _ids(client, alice, path) == [old]  # history merged in
    posts = [await _post(client, bob, f"bob {n}") for n in range(3)]
    await _post(client, carol, "carol is not in the list")
    private = await _post(client, bob, "followers only", visibility="private")
    direct = await _post(client, bob, "@alice just us", visibility="direct")
    timeline = await _ids(client, alice, path)
    assert timeline == [private, *reversed(posts), old]
    assert direct not in timeline
    # Paged like home, with a Link header keeping the list path.
    page = await client.get(path, headers=alice.headers, params={"limit": 2})
    assert [s["id"] for s in page.json()] == [private, posts[2]]
    assert (
        f"/api/v1/timelines/list/{friends['id']}?limit=2&max_id={posts[2]}" in page.headers["link"]
    )
    # Other people cannot read it.
    assert (await client.get(path, headers=bob.headers)).status_code == 404
    # Removing bob takes his posts out of the list.
    removed = await client.request(
        "DELETE",
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        params={"account_ids[]": str(bob.account.id)},
    )
    assert removed.status_code == 200
    assert await _ids(client, alice, path) == []


async def test_replies_policy(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    bob, carol, dave = [await make_user(settings, name) for name in ("bob", "carol", "dave")]
    for target in (bob, carol):
        await _follow(client, alice, target)
    lists = {}
    for policy in ("followed", "list", "none"):
        created = await client.post(
            "/api/v1/lists", headers=alice.headers, data={"title": policy, "replies_policy": policy}
        )
        lists[policy] = created.json()["id"]
        await client.post(
            f"/api/v1/lists/{lists[policy]}/accounts",
            headers=alice.headers,
            data={"account_ids[]": str(bob.account.id)},
        )
    carol_post = await _post(client, carol, "carol asks")
    dave_post = await _post(client, dave, "dave asks")
    alice_post = await _post(client, alice, "alice asks")
    to_carol = await _post(client, bob, "@carol answer", in_reply_to_id=carol_post)
    to_dave = await _post(client, bob, "@dave answer", in_reply_to_id=dave_post)
    to_alice = await _post(client, bob, "@alice answer", in_reply_to_id=alice_post)
    seen = {
        policy: set(await _ids(client, alice, f"/api/v1/timelines/list/{list_id}"))
        for policy, list_id in lists.items()
    }
    replies = {to_carol, to_dave, to_alice}
    assert seen["followed"] & replies == {to_carol, to_alice}  # alice follows carol, not dave
    assert seen["list"] & replies == {to_alice}  # carol is not a member
    assert seen["none"] & replies == {to_alice}


async def test_exclusive_list_keeps_posts_out_of_home(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob, carol = [await make_user(settings, name) for name in ("alice", "bob", "carol")]
    await _follow(client, alice, bob)
    await _follow(client, alice, carol)
    before = await _post(client, bob, "before the exclusive list")
    assert before in await _ids(client, alice, "/api/v1/timelines/home")
    focus = (
        await client.post(
            "/api/v1/lists", headers=alice.headers, data={"title": "Focus", "exclusive": "1"}
        )
    ).json()
    await client.post(
        f"/api/v1/lists/{focus['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": str(bob.account.id)},
    )
    after = await _post(client, bob, "after")
    by_carol = await _post(client, carol, "carol")
    home = await _ids(client, alice, "/api/v1/timelines/home")
    assert by_carol in home and after not in home and before not in home
    assert await _ids(client, alice, f"/api/v1/timelines/list/{focus['id']}") == [after, before]
    # Not exclusive any more: bob's posts come back home.
    await client.put(f"/api/v1/lists/{focus['id']}", headers=alice.headers, data={"exclusive": "0"})
    home = await _ids(client, alice, "/api/v1/timelines/home")
    assert {after, before} <= set(home)


async def test_unfollow_and_mute_clean_lists(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await _follow(client, alice, bob)
    friends = (
        await client.post("/api/v1/lists", headers=alice.headers, data={"title": "F"})
    ).json()
    await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": str(bob.account.id)},
    )
    path = f"/api/v1/timelines/list/{friends['id']}"
    post = await _post(client, bob, "hello")
    assert await _ids(client, alice, path) == [post]
    await client.post(f"/api/v1/accounts/{bob.account.id}/mute", headers=alice.headers)
    assert await _ids(client, alice, path) == []
    await client.post(f"/api/v1/accounts/{bob.account.id}/unfollow", headers=alice.headers)
    members = await client.get(f"/api/v1/lists/{friends['id']}/accounts", headers=alice.headers)
    assert members.json() == []

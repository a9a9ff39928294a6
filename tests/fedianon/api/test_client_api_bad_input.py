"""Issue 4's bad input: each gets a clear 4xx with Mastodon's error shape, never a 500, and
nothing half-written (counters stay right)."""

from __future__ import annotations

import httpx

from fedianon.models.accounts import Account
from fedianon.models.statuses import Status
from fedianon.settings import Settings
from tests.support.factories import make_user


async def test_empty_and_too_long_statuses(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    empty = await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "   "})
    assert empty.status_code == 422 and empty.json() == {
        "error": "Validation failed: Text can't be blank"
    }
    long = await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "x" * 501})
    assert long.status_code == 422 and "character limit of 500" in long.json()["error"]
    spoiler = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        data={"status": "x" * 450, "spoiler_text": "y" * 51},
    )
    assert spoiler.status_code == 422
    # A URL counts as 23 characters, whatever its length.
    url_post = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        json={"status": "see https://example.com/" + "a" * 600 + " " + "z" * 470},
    )
    assert url_post.status_code == 200, url_post.text
    bad_visibility = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "hi", "visibility": "secret"}
    )
    assert bad_visibility.status_code == 422
    assert await Status.all().count() == 1
    assert (await Account.get(id=alice.account.id)).statuses_count == 1


async def test_statuses_accept_form_json_and_query(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    form = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "form", "sensitive": "0"}
    )
    js = await client.post(
        "/api/v1/statuses", headers=alice.headers, json={"status": "json", "sensitive": False}
    )
    query = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        params={"status": "query", "visibility": "unlisted"},
    )
    assert [r.status_code for r in (form, js, query)] == [200, 200, 200]
    assert query.json()["visibility"] == "unlisted" and form.json()["sensitive"] is False


async def test_idempotency_key_creates_one_status(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    headers = {**alice.headers, "Idempotency-Key": "same-key"}
    first = await client.post("/api/v1/statuses", headers=headers, data={"status": "once"})
    second = await client.post("/api/v1/statuses", headers=headers, data={"status": "once"})
    assert first.json()["id"] == second.json()["id"]
    assert await Status.filter(account_id=alice.account.id).count() == 1


async def test_reply_to_a_status_the_user_cannot_see(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    private = (
        await client.post(
            "/api/v1/statuses",
            headers=alice.headers,
            data={"status": "secret", "visibility": "private"},
        )
    ).json()
    reply = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        data={"status": "sneaky", "in_reply_to_id": private["id"]},
    )
    assert reply.status_code == 404 and reply.json() == {"error": "Record not found"}
    assert await Status.filter(account_id=bob.account.id).count() == 0
    assert (await Status.get(id=int(private["id"]))).replies_count == 0


async def test_unknown_and_malformed_ids_are_404(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    for path in (
        "/api/v1/statuses/123456",
        "/api/v1/statuses/abc",
        "/api/v1/accounts/999999",
        "/api/v1/statuses/99999/context",
        "/api/v1/notifications/42",
    ):
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}
    for path in (
        "/api/v1/statuses/424242/favourite",
        "/api/v1/accounts/424242/follow",
        "/api/v1/statuses/x/reblog",
    ):
        response = await client.post(path, headers=alice.headers)
        assert response.status_code == 404, path


async def test_edit_or_delete_someone_elses_status(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    status = (
        await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "mine"})
    ).json()
    edit = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=bob.headers, data={"status": "hijacked"}
    )
    delete = await client.delete(f"/api/v1/statuses/{status['id']}", headers=bob.headers)
    assert edit.status_code == 403 and delete.status_code == 403
    assert edit.json()["error"] == "This action is not allowed"
    still = (await client.get(f"/api/v1/statuses/{status['id']}", headers=alice.headers)).json()
    assert "mine" in still["content"] and still["edited_at"] is None
    assert (await Account.get(id=alice.account.id)).statuses_count == 1
    source = await client.get(f"/api/v1/statuses/{status['id']}/source", headers=bob.headers)
    assert source.status_code == 404


async def test_follow_oneself_and_counters(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    response = await client.post(
        f"/api/v1/accounts/{alice.account.id}/follow", headers=alice.headers
    )
    assert response.status_code == 403 and "yourself" in response.json()["error"]
    for _ in range(2):
        assert (
            await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
        ).status_code == 200
    assert (await Account.get(id=alice.account.id)).following_count == 1
    assert (await Account.get(id=bob.account.id)).followers_count == 1
    for _ in range(2):
        await client.post(f"/api/v1/accounts/{bob.account.id}/unfollow", headers=alice.headers)
    assert (await Account.get(id=alice.account.id)).following_count == 0
    assert (await Account.get(id=bob.account.id)).followers_count == 0


async def test_malformed_pagination_params(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    for params in ({"max_id": "abc"}, {"since_id": "-5"}, {"min_id": "1.5"}, {"limit": "lots"}):
        response = await client.get("/api/v1/timelines/home", headers=alice.headers, params=params)
        assert response.status_code == 400, params
        assert "error" in response.json()
    clamped = await client.get(
        "/api/v1/timelines/home", headers=alice.headers, params={"limit": "100000"}
    )
    assert clamped.status_code == 200


async def test_wrong_scope_is_403(client: httpx.AsyncClient, settings: Settings) -> None:
    reader = await make_user(settings, "reader", scopes="read")
    response = await client.post(
        "/api/v1/statuses", headers=reader.headers, data={"status": "nope"}
    )
    assert response.status_code == 403 and response.json() == {
        "error": "This action is outside the authorized scopes"
    }
    assert await Status.all().count() == 0
    favs_only = await make_user(settings, "favs", scopes="read:statuses write:favourites")
    assert (
        await client.get("/api/v1/timelines/home", headers=favs_only.headers)
    ).status_code == 200
    assert (await client.get("/api/v1/notifications", headers=favs_only.headers)).status_code == 403
    follow_scope = await make_user(settings, "follower", scopes="follow")
    other = await make_user(settings, "other")
    assert (
        await client.post(
            f"/api/v1/accounts/{other.account.id}/follow", headers=follow_scope.headers
        )
    ).status_code == 200


async def test_boosting_private_or_direct_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{alice.account.id}/follow", headers=bob.headers)
    private = (
        await client.post(
            "/api/v1/statuses", headers=alice.headers, data={"status": "p", "visibility": "private"}
        )
    ).json()
    response = await client.post(f"/api/v1/statuses/{private['id']}/reblog", headers=bob.headers)
    assert response.status_code == 403
    assert (await Status.get(id=int(private["id"]))).reblogs_count == 0


async def test_pin_limits(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    ids = [
        (
            await client.post("/api/v1/statuses", headers=alice.headers, data={"status": f"s{i}"})
        ).json()["id"]
        for i in range(6)
    ]
    for status_id in ids[:5]:
        assert (
            await client.post(f"/api/v1/statuses/{status_id}/pin", headers=alice.headers)
        ).status_code == 200
    sixth = await client.post(f"/api/v1/statuses/{ids[5]}/pin", headers=alice.headers)
    assert sixth.status_code == 422 and "up to 5" in sixth.json()["error"]
    others = await client.post(f"/api/v1/statuses/{ids[0]}/pin", headers=bob.headers)
    assert others.status_code == 422
    direct = (
        await client.post(
            "/api/v1/statuses",
            headers=alice.headers,
            data={"status": "@bob hi", "visibility": "direct"},
        )
    ).json()
    await client.post(f"/api/v1/statuses/{ids[0]}/unpin", headers=alice.headers)
    assert (
        await client.post(f"/api/v1/statuses/{direct['id']}/pin", headers=alice.headers)
    ).status_code == 422


async def test_rate_limit_headers_and_429(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    from fedianon.ratelimit import Limit, RateLimiter

    alice = await make_user(settings, "alice")
    app.state.ctx.api_limiter = RateLimiter(limits={"api": Limit(3, 300), "media": Limit(30, 1800)})
    first = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert (
        first.headers["x-ratelimit-limit"] == "3" and first.headers["x-ratelimit-remaining"] == "2"
    )
    assert first.headers["x-ratelimit-reset"].endswith("Z")
    for _ in range(2):
        await client.get("/api/v1/timelines/home", headers=alice.headers)
    limited = await client.get("/api/v1/timelines/home", headers=alice.headers)
    assert limited.status_code == 429 and limited.json() == {"error": "Too many requests"}
    assert (
        limited.headers["x-ratelimit-remaining"] == "0" and int(limited.headers["retry-after"]) > 0
    )
    assert "X-RateLimit-Remaining" in limited.headers.get("access-control-expose-headers", "")


async def test_delete_keeps_counters_right(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    root = (
        await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "root"})
    ).json()
    reply = (
        await client.post(
            "/api/v1/statuses",
            headers=bob.headers,
            data={"status": "reply", "in_reply_to_id": root["id"]},
        )
    ).json()
    await client.post(f"/api/v1/statuses/{root['id']}/reblog", headers=bob.headers)
    assert (await Account.get(id=bob.account.id)).statuses_count == 2
    await client.delete(f"/api/v1/statuses/{reply['id']}", headers=bob.headers)
    assert (await client.get(f"/api/v1/statuses/{root['id']}", headers=alice.headers)).json()[
        "replies_count"
    ] == 0
    await client.delete(f"/api/v1/statuses/{root['id']}", headers=alice.headers)
    assert (await Account.get(id=bob.account.id)).statuses_count == 0  # the boost went with it
    assert (await Account.get(id=alice.account.id)).statuses_count == 0
    assert await Status.all().count() == 0


async def test_link_header_keeps_filters(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    for i in range(3):
        await client.post("/api/v1/statuses", headers=alice.headers, data={"status": f"n{i}"})
    response = await client.get("/api/v1/timelines/public", params={"local": "true", "limit": "2"})
    link = response.headers["link"]
    assert (
        "local=true" in link
        and "max_id=" in link
        and "min_id=" in link
        and link.startswith("<https://campus.test/")
    )
    empty = await client.get("/api/v1/timelines/public", params={"local": "true", "max_id": "1"})
    assert empty.json() == [] and "link" not in empty.headers

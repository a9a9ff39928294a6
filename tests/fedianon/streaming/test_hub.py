"""The streaming hub in-process: which connection gets which event, rendered how.

Statuses are posted through the API (in-process); the hub listens to the event bus as it
does on SQLite, and each test reads the frames queued for its connections.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from fedianon.context import AppContext
from fedianon.services import events
from fedianon.settings import Settings
from fedianon.streaming.channels import Channel, StreamError, resolve
from fedianon.streaming.hub import Connection, Frame, Hub
from fedianon.streaming.postgres import MAX_PAYLOAD, decode, encode
from tests.support.factories import User, make_user


@pytest.fixture
async def hub(settings: Settings, db: str) -> AsyncIterator[Hub]:
    streaming = Hub(AppContext.build(settings))
    await streaming.start()
    unsubscribe = events.subscribe(streaming.submit)
    yield streaming
    unsubscribe()
    await streaming.stop()


def connect(hub: Hub, user: User, *channels: Channel, scopes: str = "read") -> Connection:
    conn = Connection(user.account, frozenset(scopes.split()))
    for channel in channels:
        conn.subscribe(channel)
    hub.register(conn)
    return conn


async def frames(hub: Hub, conn: Connection) -> list[Frame]:
    await hub.drained()
    out = []
    while not conn.queue.empty():
        item = conn.queue.get_nowait()
        assert isinstance(item, Frame)
        out.append(item)
    return out


async def post(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> str:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={"status": text, **extra}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def test_update_goes_to_followers_and_public_streams(
    client: httpx.AsyncClient, settings: Settings, hub: Hub
) -> None:
    alice, bob, carol, dave = [
        await make_user(settings, n) for n in ("alice", "bob", "carol", "dave")
    ]
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    await client.post(f"/api/v1/accounts/{bob.account.id}/block", headers=dave.headers)
    alice_home = connect(hub, alice, Channel("user"))
    carol_home = connect(hub, carol, Channel("user"))
    carol_public = connect(hub, carol, Channel("public"), Channel("public:local"))
    carol_remote = connect(hub, carol, Channel("public:remote"), Channel("public:media"))
    dave_public = connect(hub, dave, Channel("public"))
    status_id = await post(client, bob, "hello #campus")
    (update,) = await frames(hub, alice_home)
    assert update.stream == ["user"] and update.event == "update"
    entity = json.loads(update.payload or "")
    assert entity["id"] == status_id and entity["account"]["acct"] == "bob"
    assert "favourited" in entity  # rendered for the reader
    assert await frames(hub, carol_home) == []
    assert [(f.stream, f.event) for f in await frames(hub, carol_public)] == [
        (["public"], "update"),
        (["public:local"], "update"),
    ]
    assert await frames(hub, carol_remote) == []
    assert await frames(hub, dave_public) == []  # dave blocks bob

    unlisted = await post(client, bob, "quiet", visibility="unlisted")
    assert [json.loads(f.payload or "")["id"] for f in await frames(hub, alice_home)] == [unlisted]
    assert await frames(hub, carol_public) == []

    edited = await client.put(
        f"/api/v1/statuses/{status_id}", headers=bob.headers, data={"status": "hello again"}
    )
    assert edited.status_code == 200
    (change,) = await frames(hub, alice_home)
    assert (
        change.event == "status.update"
        and "hello again" in json.loads(change.payload or "")["content"]
    )
    assert [f.event for f in await frames(hub, carol_public)] == ["status.update"] * 2

    await client.delete(f"/api/v1/statuses/{status_id}", headers=bob.headers)
    (gone,) = await frames(hub, alice_home)
    assert gone.event == "delete" and gone.payload == status_id
    assert {f.payload for f in await frames(hub, carol_public)} == {status_id}
    assert await frames(hub, carol_home) == []


async def test_notifications_need_their_scope(
    client: httpx.AsyncClient, settings: Settings, hub: Hub
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    full = connect(hub, alice, Channel("user"), Channel("user:notification"))
    statuses_only = connect(hub, alice, Channel("user"), scopes="read:statuses")
    await post(client, bob, "@alice look")
    received = await frames(hub, full)
    assert [(f.stream, f.event) for f in received] == [
        (["user"], "notification"),
        (["user:notification"], "notification"),
    ]
    entity = json.loads(received[0].payload or "")
    assert entity["type"] == "mention" and entity["account"]["acct"] == "bob"
    assert await frames(hub, statuses_only) == []


async def test_hide_filters_keep_statuses_and_notifications_off_the_stream(
    client: httpx.AsyncClient, settings: Settings, hub: Hub
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    conn = connect(hub, alice, Channel("user"), Channel("public"))
    created = await client.post(
        "/api/v2/filters",
        headers=alice.headers,
        json={
            "title": "no spoilers",
            "context": ["home", "notifications"],
            "filter_action": "hide",
            "keywords_attributes": [{"keyword": "spoiler"}],
        },
    )
    assert created.status_code == 200
    (changed,) = await frames(hub, conn)
    assert changed.stream == ["user"] and changed.event == "filters_changed"
    assert changed.payload is None and "payload" not in json.loads(changed.websocket())
    await post(client, bob, "@alice big spoiler inside")
    # Hidden on home and in notifications; the public stream (another context) warns only.
    (public,) = await frames(hub, conn)
    assert public.stream == ["public"]
    assert json.loads(public.payload or "")["filtered"][0]["filter"]["title"] == "no spoilers"
    await post(client, bob, "@alice nothing special")
    assert sorted(f.event for f in await frames(hub, conn)) == ["notification", "update", "update"]


async def test_hashtag_list_and_direct_streams(
    client: httpx.AsyncClient, settings: Settings, hub: Hub
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    friends = (
        await client.post("/api/v1/lists", headers=alice.headers, data={"title": "F"})
    ).json()
    await client.post(
        f"/api/v1/lists/{friends['id']}/accounts",
        headers=alice.headers,
        data={"account_ids[]": str(bob.account.id)},
    )
    tags = connect(hub, alice, Channel("hashtag", "Campus"), Channel("hashtag:local", "campus"))
    other_tag = connect(hub, alice, Channel("hashtag", "elsewhere"))
    in_list = connect(hub, alice, Channel("list", friends["id"]))
    direct = connect(hub, alice, Channel("direct"))
    tagged = await post(client, bob, "see you at the #campus fair")
    assert [f.stream for f in await frames(hub, tags)] == [
        ["hashtag", "Campus"],
        ["hashtag:local", "campus"],
    ]
    assert await frames(hub, other_tag) == []
    (listed,) = await frames(hub, in_list)
    assert (
        listed.stream == ["list", friends["id"]]
        and json.loads(listed.payload or "")["id"] == tagged
    )
    dm = await post(client, bob, "@alice secret plan", visibility="direct")
    (conversation,) = await frames(hub, direct)
    assert conversation.event == "conversation"
    entity = json.loads(conversation.payload or "")
    assert entity["last_status"]["id"] == dm and entity["unread"] is True
    assert [a["acct"] for a in entity["accounts"]] == ["bob"]
    assert await frames(hub, tags) == [] and await frames(hub, in_list) == []


async def test_subscriptions_are_checked(settings: Settings, db: str) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    scopes = frozenset({"read"})
    for name, kwargs, status in (
        ("nonsense", {}, 400),
        (None, {}, 400),
        ("hashtag", {}, 400),
        ("hashtag", {"tag": "#"}, 400),
        ("list", {"list_id": "abc"}, 400),
    ):
        with pytest.raises(StreamError) as caught:
            await resolve(alice.account, scopes, name, **kwargs)
        assert caught.value.status_code == status
    from fedianon.models.timelines import List as UserList

    bobs = await UserList.create(account=bob.account, title="bob's")
    with pytest.raises(StreamError) as caught:
        await resolve(alice.account, scopes, "list", list_id=str(bobs.id))
    assert caught.value.message == "Not authorized to stream this list"
    assert (await resolve(bob.account, scopes, "list", list_id=str(bobs.id))).stream == [
        "list",
        str(bobs.id),
    ]
    with pytest.raises(StreamError):
        await resolve(alice.account, frozenset({"read:statuses"}), "user:notification")


def test_notify_payloads_stay_under_the_limit() -> None:
    small = events.Event("status.created", {"status_id": 1, "home_account_ids": [1, 2]})
    assert decode(encode(small)) == small
    huge = events.Event(
        "status.created", {"status_id": 7, "home_account_ids": list(range(10**17, 10**17 + 2000))}
    )
    text = encode(huge)
    assert len(text.encode()) <= MAX_PAYLOAD
    assert decode(text) == events.Event("status.created", {"status_id": 7, "truncated": True})
    assert decode("not json") is None and decode('["x"]') is None

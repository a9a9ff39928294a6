"""Direct conversations over HTTP (in-process): who gets one, unread, read, hide, paging,
and what a deleted message leaves behind."""

from __future__ import annotations

import httpx

from fedianon.models.timelines import AccountConversation
from fedianon.settings import Settings
from tests.support.factories import User, make_user


async def _dm(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> str:
    response = await client.post(
        "/api/v1/statuses",
        headers=user.headers,
        data={"status": text, "visibility": "direct", **extra},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _conversations(client: httpx.AsyncClient, user: User, **params: str) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get("/api/v1/conversations", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_direct_messages_make_conversations(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob, carol = [await make_user(settings, n) for n in ("alice", "bob", "carol")]
    first = await _dm(client, alice, "@bob @carol lunch?")
    for viewer, unread in ((alice, False), (bob, True), (carol, True)):
        (conversation,) = await _conversations(client, viewer)
        assert conversation["unread"] is unread
        assert conversation["last_status"]["id"] == first
        expected = {"alice", "bob", "carol"} - {viewer.account.username}
        assert {a["acct"] for a in conversation["accounts"]} == expected
    reply = await _dm(client, bob, "@alice @carol yes", in_reply_to_id=first)
    (for_alice,) = await _conversations(client, alice)
    assert for_alice["last_status"]["id"] == reply and for_alice["unread"] is True
    (for_bob,) = await _conversations(client, bob)
    assert for_bob["unread"] is False  # bob wrote the last message
    # Public posts with mentions make no conversation.
    await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "@bob public hello"}
    )
    assert len(await _conversations(client, bob)) == 1

    read = await client.post(f"/api/v1/conversations/{for_alice['id']}/read", headers=alice.headers)
    assert read.status_code == 200 and read.json()["unread"] is False
    assert read.json()["id"] == for_alice["id"]
    assert (await _conversations(client, alice))[0]["unread"] is False

    # Hiding is only for the caller; a new message brings it back.
    hidden = await client.delete(f"/api/v1/conversations/{for_alice['id']}", headers=alice.headers)
    assert hidden.status_code == 200 and hidden.json() == {}
    assert await _conversations(client, alice) == []
    assert len(await _conversations(client, bob)) == 1
    again = await _dm(client, carol, "@alice @bob see you", in_reply_to_id=reply)
    (back,) = await _conversations(client, alice)
    assert back["last_status"]["id"] == again and back["unread"] is True


async def test_conversation_paging_and_self_note(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    for name in ("bob", "carol"):
        await make_user(settings, name)
    note = await _dm(client, alice, "a note to myself")
    to_bob = await _dm(client, alice, "@bob hi")
    to_carol = await _dm(client, alice, "@carol hi")
    everything = await _conversations(client, alice)
    assert [c["last_status"]["id"] for c in everything] == [to_carol, to_bob, note]
    assert [a["acct"] for a in everything[2]["accounts"]] == ["alice"]
    page = await client.get("/api/v1/conversations", headers=alice.headers, params={"limit": 2})
    assert [c["last_status"]["id"] for c in page.json()] == [to_carol, to_bob]
    assert f"max_id={to_bob}" in page.headers["link"]
    older = await _conversations(client, alice, max_id=to_bob)
    assert [c["last_status"]["id"] for c in older] == [note]
    # Mastodon.py asks with a trailing slash.
    slash = await client.get("/api/v1/conversations/", headers=alice.headers)
    assert slash.status_code == 200 and len(slash.json()) == 3


async def test_blocked_senders_and_deleted_messages(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    first = await _dm(client, alice, "@bob one")
    second = await _dm(client, alice, "@bob two", in_reply_to_id=first)
    (conversation,) = await _conversations(client, bob)
    assert conversation["last_status"]["id"] == second
    deleted = await client.delete(f"/api/v1/statuses/{second}", headers=alice.headers)
    assert deleted.status_code == 200
    (conversation,) = await _conversations(client, bob)
    assert conversation["last_status"]["id"] == first
    await client.delete(f"/api/v1/statuses/{first}", headers=alice.headers)
    assert await _conversations(client, bob) == []
    assert await AccountConversation.all().count() == 0
    # Bob blocks alice: her next message makes no conversation for him.
    await client.post(f"/api/v1/accounts/{alice.account.id}/block", headers=bob.headers)
    await _dm(client, alice, "@bob are you there?")
    assert await _conversations(client, bob) == []
    assert len(await _conversations(client, alice)) == 1


async def test_bad_conversation_requests(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await _dm(client, alice, "@bob psst")
    (mine,) = await _conversations(client, alice)
    for method, path in (
        ("POST", f"/api/v1/conversations/{mine['id']}/read"),
        ("DELETE", f"/api/v1/conversations/{mine['id']}"),
        ("POST", "/api/v1/conversations/abc/read"),
    ):
        response = await client.request(method, path, headers=bob.headers)
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    assert (await client.get("/api/v1/conversations")).status_code == 401
    bad_cursor = await client.get(
        "/api/v1/conversations", headers=alice.headers, params={"max_id": "x"}
    )
    assert bad_cursor.status_code == 400


async def test_remote_direct_message_through_the_inbox(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    from tests.fedianon.activitypub.test_inbox import drain, note_create, post
    from tests.support.factories import make_remote

    alice = await make_user(settings, "alice")
    peer = await make_remote("pen_pal")
    document = note_create(peer, "https://peer.example/notes/dm-1", content="<p>psst</p>")
    for part in (document, document["object"]):
        part["to"] = [alice.account.uri]
    document["object"]["tag"] = [
        {"type": "Mention", "href": alice.account.uri, "name": "@alice@campus.test"}
    ]
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    (conversation,) = await _conversations(client, alice)
    assert conversation["unread"] is True
    assert conversation["last_status"]["visibility"] == "direct"
    assert [a["acct"] for a in conversation["accounts"]] == ["pen_pal@peer.example"]

"""Mastodon.py drives lists, filters and conversations against a real `fedianon serve`,
and follows its user stream over SSE, as an app built on it would."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError, StreamListener

from tests.support.oauth import obtain_token
from tests.support.servers import Instance

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Instance]:
    instance = Instance(tmp_path_factory.mktemp("lists-filters"), label="lfc")
    await instance.start()
    for handle in ("alice", "bob", "carol"):
        instance.cli("accounts", "create", handle, "--password-stdin", stdin=PASSWORD + "\n")
    yield instance
    await instance.destroy()


@pytest.fixture(scope="module")
async def clients(server: Instance) -> dict[str, Mastodon]:
    out = {}
    for handle in ("alice", "bob", "carol"):
        grant = await obtain_token(server.base_url, handle, PASSWORD)
        out[handle] = Mastodon(access_token=grant.access_token, api_base_url=server.base_url)
    return out


def test_lists(clients: dict[str, Mastodon]) -> None:
    alice, bob, carol = clients["alice"], clients["bob"], clients["carol"]
    bob_id, carol_id = bob.me()["id"], carol.me()["id"]
    alice.account_follow(bob_id)
    friends = alice.list_create("Friends", replies_policy="followed")
    assert friends["title"] == "Friends" and friends["replies_policy"] == "followed"
    assert [lst["id"] for lst in alice.lists()] == [friends["id"]]
    # carol is not followed: refused, and bob (valid in the same call) is not added either.
    with pytest.raises(MastodonAPIError) as refused:
        alice.list_accounts_add(friends["id"], [bob_id, carol_id])
    assert refused.value.args[1] == 422 and "you must follow" in str(refused.value.args[-1])
    assert alice.list_accounts(friends["id"]) == []
    alice.list_accounts_add(friends["id"], [bob_id])
    assert [a["id"] for a in alice.list_accounts(friends["id"])] == [bob_id]
    assert [lst["id"] for lst in alice.account_lists(bob_id)] == [friends["id"]]
    posted = bob.status_post("for my friends' list")
    assert [s["id"] for s in alice.timeline_list(friends["id"])] == [posted["id"]]
    renamed = alice.list_update(friends["id"], "Close friends", exclusive=True)
    assert renamed["title"] == "Close friends" and renamed["exclusive"] is True
    exclusive_post = bob.status_post("only in the list now")
    assert exclusive_post["id"] in [s["id"] for s in alice.timeline_list(friends["id"])]
    assert exclusive_post["id"] not in [s["id"] for s in alice.timeline_home()]
    alice.list_accounts_delete(friends["id"], [bob_id])
    assert alice.timeline_list(friends["id"]) == []
    alice.list_delete(friends["id"])
    with pytest.raises(MastodonNotFoundError):
        alice.list(friends["id"])


def test_filters(clients: dict[str, Mastodon]) -> None:
    alice, bob = clients["alice"], clients["bob"]
    alice.account_follow(bob.me()["id"])
    with pytest.raises(MastodonAPIError) as empty:
        alice.create_filter_v2("nothing", ["home"], "warn")
    assert empty.value.args[1] == 422 and "at least one keyword" in str(empty.value.args[-1])
    warn = alice.create_filter_v2(
        "Exams",
        ["home", "notifications", "public", "thread"],
        "warn",
        keywords_attributes=[{"keyword": "exam", "whole_word": True}],
    )
    hide = alice.create_filter_v2(
        "Rumours",
        ["home", "notifications", "public", "thread"],
        "hide",
        expires_in=3600,
        keywords_attributes=[{"keyword": "rumour", "whole_word": False}],
    )
    assert hide["expires_at"] is not None
    assert {f["title"] for f in alice.filters_v2()} == {"Exams", "Rumours"}
    extra = alice.add_filter_keyword_v2(warn["id"], "quiz", whole_word=False)
    assert [k["keyword"] for k in alice.filter_keywords_v2(warn["id"])] == ["exam", "quiz"]
    alice.delete_filter_keyword_v2(extra["id"])
    # Tusky's v1 view of the same keywords.
    assert {(f["phrase"], f["irreversible"]) for f in alice.filters()} == {
        ("exam", False),
        ("rumour", True),
    }

    warned = bob.status_post("@alice the exam is on Monday")
    hidden = bob.status_post("@alice heard a rumour about the cafeteria")
    home = {s["id"]: s for s in alice.timeline_home()}
    assert hidden["id"] not in home
    assert [r["filter"]["title"] for r in home[warned["id"]]["filtered"]] == ["Exams"]
    assert home[warned["id"]]["filtered"][0]["keyword_matches"] == ["exam"]
    public = {s["id"] for s in alice.timeline_public()}
    assert warned["id"] in public and hidden["id"] not in public
    mentions = {n["status"]["id"] for n in alice.notifications(types=["mention"])}
    assert warned["id"] in mentions and hidden["id"] not in mentions
    # A status rule, then the filters go away.
    rule = alice.add_filter_status_v2(warn["id"], hidden["id"])
    assert [s["status_id"] for s in alice.filter_statuses_v2(warn["id"])] == [hidden["id"]]
    alice.delete_filter_status_v2(rule["id"])
    alice.delete_filter_v2(hide["id"])
    alice.delete_filter_v2(warn["id"])
    assert alice.filters_v2() == []
    assert hidden["id"] in {s["id"] for s in alice.timeline_home()}


async def test_conversations(server: Instance, clients: dict[str, Mastodon]) -> None:
    alice, bob, carol = clients["alice"], clients["bob"], clients["carol"]
    first = alice.status_post("@bob @carol study group tonight?", visibility="direct")
    reply = bob.status_post(
        "@alice @carol count me in", visibility="direct", in_reply_to_id=first["id"]
    )
    (for_carol,) = carol.conversations()
    assert for_carol["unread"] is True and for_carol["last_status"]["id"] == reply["id"]
    assert {a["acct"] for a in for_carol["accounts"]} == {"alice", "bob"}
    read = carol.conversations_read(for_carol["id"])
    assert read["unread"] is False
    (for_bob,) = bob.conversations()
    assert for_bob["unread"] is False  # bob sent the last message
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        hidden = await http.delete(
            f"/api/v1/conversations/{for_carol['id']}",
            headers={"Authorization": f"Bearer {carol.access_token}"},
        )
    assert hidden.status_code == 200
    assert carol.conversations() == []
    assert len(alice.conversations()) == 1  # only carol's view went


def test_sse_user_stream_with_mastodon_py(clients: dict[str, Mastodon]) -> None:
    alice, bob = clients["alice"], clients["bob"]
    alice.account_follow(bob.me()["id"])
    assert alice.stream_healthy()

    class Listener(StreamListener):
        def __init__(self) -> None:
            super().__init__()
            self.open = threading.Event()
            self.done = threading.Event()
            self.updates: list[Any] = []
            self.notifications: list[Any] = []

        def handle_heartbeat(self) -> None:
            self.open.set()

        def on_update(self, status: Any) -> None:
            self.updates.append(status)
            self._check()

        def on_notification(self, notification: Any) -> None:
            self.notifications.append(notification)
            self._check()

        def _check(self) -> None:
            if self.updates and self.notifications:
                self.done.set()

    listener = Listener()
    handle = alice.stream_user(listener, run_async=True)
    try:
        assert listener.open.wait(5), "the stream did not open"
        posted = bob.status_post("@alice streaming works")
        assert listener.done.wait(5), "no update and notification within 5 s"
    finally:
        # Mastodon.py's close() waits for its reader thread, which sits in a read until the
        # next heartbeat (15 s, as Mastodon); the server ends the stream at teardown anyway.
        threading.Thread(target=handle.close, daemon=True).start()
    assert listener.updates[0]["id"] == posted["id"]
    assert listener.notifications[0]["status"]["id"] == posted["id"]

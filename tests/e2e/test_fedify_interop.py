"""Interop with a real third-party server: the Fedify peer (Node.js). It signs RFC 9421 first
and double-knocks to draft-cavage on a 4xx; fedianon signs draft-cavage first. Follows, posts,
replies and unfollows go both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mastodon import Mastodon

from tests.support.fedify import FedifyPeer
from tests.support.oauth import obtain_token
from tests.support.servers import Instance
from tests.support.waiting import eventually

PASSWORD = "a long enough password"


@pytest.fixture
def peer(workdir: Path) -> Iterator[FedifyPeer]:
    started = FedifyPeer(workdir).start()
    yield started
    started.stop()


@pytest.fixture
async def server(workdir: Path) -> AsyncIterator[Instance]:
    instance = Instance(workdir, label="interop")
    await instance.start()
    instance.cli("accounts", "create", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    yield instance
    await instance.destroy()


async def test_fedify_peer_and_fedianon_federate_both_ways(
    server: Instance, peer: FedifyPeer
) -> None:
    grant = await obtain_token(server.base_url, "alice", PASSWORD)
    alice = Mastodon(
        access_token=grant.access_token, api_base_url=server.base_url, request_timeout=30
    )

    # The peer follows alice: its RFC 9421 Follow must verify here, our Accept must verify there.
    peer.control("POST", "follow", {"handle": f"alice@{server.domain}"})
    following = await eventually(
        lambda: (lambda rows: rows if rows and rows[0].get("accepted") else None)(
            peer.control("GET", "following")
        ),
        what="the peer to see our Accept",
    )
    assert following[0]["actor"] == f"{server.base_url}/users/alice"
    await eventually(lambda: alice.me()["followers_count"] == 1, what="the follower on fedianon")
    follows = [a for a in peer.control("GET", "inbox?type=Accept")]
    assert follows and follows[0]["http_signature"] == "draft-cavage"

    # alice posts; the peer receives the Create.
    status = alice.status_post("Hello Fedify, from a campus instance")
    creates = await eventually(
        lambda: [
            c for c in peer.control("GET", "inbox?type=Create") if c["object_id"] == status["uri"]
        ],
        what="the peer to receive the Create",
    )
    assert "Hello Fedify" in creates[0]["content"]

    # alice follows the peer back (WebFinger + actor fetch from Node) and sees its posts.
    found = alice.search_v2(f"@{peer.handle}", resolve=True, result_type="accounts")["accounts"]
    assert [a["acct"] for a in found] == [peer.handle]
    alice.account_follow(found[0]["id"])
    await eventually(
        lambda: alice.account_relationships([found[0]["id"]])[0]["following"],
        what="the peer's Accept",
    )
    posted = peer.control("POST", "post", {"content": "Hello from the Fedify peer"})
    note_id = posted["note"]["id"] if isinstance(posted.get("note"), dict) else posted["note"]
    await eventually(
        lambda: note_id in [s["uri"] for s in alice.timeline_home()],
        what="the peer's post in alice's home",
    )

    # The peer replies to alice's post with a mention: a notification and a thread here.
    reply = peer.control(
        "POST",
        "reply",
        {
            "inReplyTo": status["uri"],
            "to": f"{server.base_url}/users/alice",
            "content": "Nice to meet you",
        },
    )
    reply_id = reply["note"]["id"] if isinstance(reply.get("note"), dict) else reply["note"]
    await eventually(
        lambda: reply_id in [s["uri"] for s in alice.status_context(status["id"])["descendants"]],
        what="the reply in the thread",
    )
    await eventually(
        lambda: any(n["type"] == "mention" for n in alice.notifications()),
        what="a mention notification",
    )

    # Nothing we sent was rejected by the peer.
    assert peer.control("GET", "rejected") == []

    # Unfollow from the peer reaches us.
    peer.control("POST", "unfollow", {"handle": f"alice@{server.domain}"})
    await eventually(lambda: alice.me()["followers_count"] == 0, what="Undo(Follow) from the peer")

"""Issue 6 end to end: two (and for fan-out three) fedianon instances, each a real uvicorn
server with its own database, federating over real sockets, driven by Mastodon.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from mastodon import Mastodon, MastodonNotFoundError

from tests.support.oauth import obtain_token
from tests.support.servers import Instance
from tests.support.waiting import eventually

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Instance]]:
    base = tmp_path_factory.mktemp("federation")
    servers = {name: Instance(base, label=name) for name in ("one", "two", "three")}
    await asyncio.gather(*(server.start() for server in servers.values()))
    users = {
        "one": ("alice", "anna"),
        "two": ("bob", "bella", "bruno", "betty"),
        "three": ("carl",),
    }
    for name, handles in users.items():
        for handle in handles:
            servers[name].cli(
                "accounts", "create", handle, "--password-stdin", stdin=PASSWORD + "\n"
            )
    yield servers
    await asyncio.gather(*(server.destroy() for server in servers.values()))


async def client(server: Instance, handle: str) -> Mastodon:
    grant = await obtain_token(server.base_url, handle, PASSWORD)
    return Mastodon(
        access_token=grant.access_token, api_base_url=server.base_url, request_timeout=30
    )


def find(api: Mastodon, acct: str) -> dict:  # type: ignore[type-arg]
    results = api.search_v2(acct, resolve=True, result_type="accounts")
    matches = [a for a in results["accounts"] if a["acct"] == acct.lstrip("@")]
    assert matches, f"{acct} not found: {results['accounts']}"
    return matches[0]


def home_ids(api: Mastodon) -> list[str]:
    return [s["id"] for s in api.timeline_home(limit=40)]


def local_copy(api: Mastodon, uri: str) -> dict | None:  # type: ignore[type-arg]
    results = api.search_v2(uri, resolve=True, result_type="statuses")
    return results["statuses"][0] if results["statuses"] else None


async def test_follow_posts_of_every_visibility_and_threads(net: dict[str, Instance]) -> None:
    one, two = net["one"], net["two"]
    alice, bob = await client(one, "alice"), await client(two, "bob")
    bob_acct = f"bob@{two.domain}"
    remote_bob = find(alice, f"@{bob_acct}")
    assert remote_bob["acct"] == bob_acct and remote_bob["url"].startswith(two.base_url)
    assert remote_bob["avatar"].startswith("http")
    relationship = alice.account_follow(remote_bob["id"])
    assert relationship["requested"] or relationship["following"]
    await eventually(
        lambda: alice.account_relationships([remote_bob["id"]])[0]["following"],
        what="Accept of the follow",
    )
    await eventually(lambda: bob.me()["followers_count"] == 1, what="follower count on two")
    assert [a["acct"] for a in bob.account_followers(bob.me()["id"])] == [f"alice@{one.domain}"]

    public = bob.status_post("public from two #federation", visibility="public")
    unlisted = bob.status_post("unlisted from two", visibility="unlisted")
    private = bob.status_post("followers-only from two", visibility="private")
    direct = bob.status_post(f"@alice@{one.domain} just for you", visibility="direct")
    secret = bob.status_post("direct to nobody", visibility="direct")

    def contents() -> dict[str, dict]:  # type: ignore[type-arg]
        return {s["uri"]: s for s in alice.timeline_home(limit=40)}

    seen = await eventually(
        lambda: (
            lambda c: c if all(s["uri"] in c for s in (public, unlisted, private, direct)) else None
        )(contents()),
        what="statuses in home",
    )
    assert secret["uri"] not in seen
    assert {seen[s["uri"]]["visibility"] for s in (public, unlisted, private, direct)} == {
        "public",
        "unlisted",
        "private",
        "direct",
    }
    remote_public = seen[public["uri"]]
    assert remote_public["account"]["acct"] == bob_acct
    assert remote_public["url"] == public["url"] and "federation" in [
        t["name"] for t in remote_public["tags"]
    ]
    assert any(
        n["type"] == "mention" and n["status"]["uri"] == direct["uri"]
        for n in alice.notifications()
    )

    # A reply from one threads on both sides.
    reply = alice.status_post(
        f"@{bob_acct} replying across servers", in_reply_to_id=remote_public["id"]
    )
    assert reply["in_reply_to_id"] == remote_public["id"]
    await eventually(
        lambda: (
            [s["uri"] for s in bob.status_context(public["id"])["descendants"]] == [reply["uri"]]
        ),
        what="reply in the thread on two",
    )
    assert [s["uri"] for s in alice.status_context(reply["id"])["ancestors"]] == [public["uri"]]
    await eventually(
        lambda: bob.status(public["id"])["replies_count"] == 1, what="replies_count on two"
    )
    await eventually(
        lambda: any(
            n["type"] == "mention" and n["status"]["uri"] == reply["uri"]
            for n in bob.notifications()
        ),
        what="mention notification on two",
    )

    # A reply from two to alice's reply threads on one.
    answer = bob.status_post(
        f"@alice@{one.domain} and back",
        in_reply_to_id=bob.search_v2(reply["uri"], resolve=True)["statuses"][0]["id"],
    )
    await eventually(
        lambda: (
            [s["uri"] for s in alice.status_context(reply["id"])["descendants"]] == [answer["uri"]]
        ),
        what="answer in the thread on one",
    )


async def test_like_announce_edit_delete_and_undo(net: dict[str, Instance]) -> None:
    one, two = net["one"], net["two"]
    alice, bob = await client(one, "alice"), await client(two, "bob")
    remote_bob = find(alice, f"bob@{two.domain}")
    if not alice.account_relationships([remote_bob["id"]])[0]["following"]:
        alice.account_follow(remote_bob["id"])
        await eventually(lambda: alice.account_relationships([remote_bob["id"]])[0]["following"])
    post = bob.status_post("please boost and like")
    copy = await eventually(
        lambda: next((s for s in alice.timeline_home() if s["uri"] == post["uri"]), None),
        what="post on one",
    )

    alice.status_favourite(copy["id"])
    alice.status_reblog(copy["id"])
    await eventually(
        lambda: (lambda s: s["favourites_count"] == 1 and s["reblogs_count"] == 1)(
            bob.status(post["id"])
        ),
        what="counts on two",
    )
    kinds = {(n["type"], n["account"]["acct"]) for n in bob.notifications()}
    assert ("favourite", f"alice@{one.domain}") in kinds and (
        "reblog",
        f"alice@{one.domain}",
    ) in kinds
    assert [a["acct"] for a in bob.status_favourited_by(post["id"])] == [f"alice@{one.domain}"]

    alice.status_unfavourite(copy["id"])
    alice.status_unreblog(copy["id"])
    await eventually(
        lambda: (lambda s: s["favourites_count"] == 0 and s["reblogs_count"] == 0)(
            bob.status(post["id"])
        ),
        what="undo on two",
    )

    bob.status_update(post["id"], "edited on two")
    await eventually(
        lambda: (lambda s: "edited on two" in s["content"] and s["edited_at"])(
            alice.status(copy["id"])
        ),
        what="Update on one",
    )
    assert len(alice.status_history(copy["id"])) == 2

    bob.status_delete(post["id"])
    await eventually(
        lambda: post["uri"] not in [s["uri"] for s in alice.timeline_home()], what="Delete on one"
    )
    with pytest.raises(MastodonNotFoundError):
        alice.status(copy["id"])


async def test_profile_updates_and_locked_accounts(net: dict[str, Instance]) -> None:
    one, two = net["one"], net["two"]
    alice, anna, bella = (
        await client(one, "alice"),
        await client(one, "anna"),
        await client(two, "bella"),
    )
    bella.account_update_credentials(locked=True, display_name="Bella B.")
    remote = find(alice, f"bella@{two.domain}")
    assert alice.account_follow(remote["id"])["requested"] is True
    await eventually(
        lambda: [a["acct"] for a in bella.follow_requests()] == [f"alice@{one.domain}"],
        what="request on two",
    )
    bella.follow_request_authorize(bella.follow_requests()[0]["id"])
    await eventually(
        lambda: alice.account_relationships([remote["id"]])[0]["following"], what="Accept on one"
    )

    remote_for_anna = find(anna, f"bella@{two.domain}")
    anna.account_follow(remote_for_anna["id"])
    await eventually(lambda: len(bella.follow_requests()) == 1, what="second request on two")
    bella.follow_request_reject(bella.follow_requests()[0]["id"])
    await eventually(
        lambda: not anna.account_relationships([remote_for_anna["id"]])[0]["requested"],
        what="Reject on one",
    )
    assert not anna.account_relationships([remote_for_anna["id"]])[0]["following"]

    bella.account_update_credentials(display_name="Bella Renamed", note="new bio")
    await eventually(
        lambda: alice.account(remote["id"])["display_name"] == "Bella Renamed",
        what="Update(Person) on one",
    )
    assert "new bio" in alice.account(remote["id"])["note"]

    # Unfollow reaches two.
    alice.account_unfollow(remote["id"])
    await eventually(lambda: bella.me()["followers_count"] == 0, what="Undo(Follow) on two")


async def test_blocks_across_instances(net: dict[str, Instance]) -> None:
    one, two = net["one"], net["two"]
    anna, bruno = await client(one, "anna"), await client(two, "bruno")
    remote_bruno = find(anna, f"bruno@{two.domain}")
    anna.account_follow(remote_bruno["id"])
    await eventually(lambda: anna.account_relationships([remote_bruno["id"]])[0]["following"])
    remote_anna = find(bruno, f"anna@{one.domain}")
    bruno.account_block(remote_anna["id"])
    await eventually(
        lambda: anna.account_relationships([remote_bruno["id"]])[0]["blocked_by"],
        what="Block on one",
    )
    assert anna.account_relationships([remote_bruno["id"]])[0]["following"] is False
    assert bruno.me()["followers_count"] == 0
    bruno.account_unblock(remote_anna["id"])
    await eventually(
        lambda: not anna.account_relationships([remote_bruno["id"]])[0]["blocked_by"],
        what="Undo(Block) on one",
    )


async def test_fan_out_to_two_instances_and_account_deletion(net: dict[str, Instance]) -> None:
    one, two, three = net["one"], net["two"], net["three"]
    alice, betty, carl = (
        await client(one, "alice"),
        await client(two, "betty"),
        await client(three, "carl"),
    )
    for api in (alice, carl):
        remote = find(api, f"betty@{two.domain}")
        api.account_follow(remote["id"])
        await eventually(
            lambda api=api, remote=remote: api.account_relationships([remote["id"]])[0]["following"]
        )
    post = betty.status_post("hello both servers")
    for api in (alice, carl):
        await eventually(
            lambda api=api: post["uri"] in [s["uri"] for s in api.timeline_home()], what="fan-out"
        )
    remote_on_one = find(alice, f"betty@{two.domain}")
    two.cli("accounts", "delete", "betty", "--yes")
    await eventually(
        lambda: post["uri"] not in [s["uri"] for s in alice.timeline_home()],
        what="Delete(Person) on one",
    )
    await eventually(
        lambda: post["uri"] not in [s["uri"] for s in carl.timeline_home()],
        what="Delete(Person) on three",
    )
    assert alice.account_relationships([remote_on_one["id"]])[0]["following"] is False


async def test_media_and_polls_across_instances(net: dict[str, Instance], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from PIL import Image

    one, two = net["one"], net["two"]
    alice, bob = await client(one, "alice"), await client(two, "bob")
    remote_bob = find(alice, f"bob@{two.domain}")
    if not alice.account_relationships([remote_bob["id"]])[0]["following"]:
        alice.account_follow(remote_bob["id"])
        await eventually(lambda: alice.account_relationships([remote_bob["id"]])[0]["following"])
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "JPEG")
    media = bob.media_post(buffer.getvalue(), mime_type="image/jpeg", description="a red square")
    with_media = bob.status_post("a picture", media_ids=[media["id"]])
    poll = bob.make_poll(["tea", "coffee"], expires_in=3600)
    with_poll = bob.status_post("tea or coffee?", poll=poll)

    def copies() -> dict[str, dict]:  # type: ignore[type-arg]
        return {s["uri"]: s for s in alice.timeline_home(limit=40)}

    seen = await eventually(
        lambda: (lambda c: c if with_media["uri"] in c and with_poll["uri"] in c else None)(
            copies()
        ),
        what="media and poll posts on one",
    )
    attachment = seen[with_media["uri"]]["media_attachments"][0]
    assert attachment["type"] == "image" and attachment["description"] == "a red square"
    assert attachment["remote_url"] == with_media["media_attachments"][0]["url"] and attachment[
        "url"
    ].startswith(two.base_url)
    remote_poll = seen[with_poll["uri"]]["poll"]
    assert [o["title"] for o in remote_poll["options"]] == ["tea", "coffee"] and remote_poll[
        "expired"
    ] is False

    alice.poll_vote(remote_poll["id"], [1])
    await eventually(
        lambda: bob.poll(with_poll["poll"]["id"])["votes_count"] == 1, what="the vote to reach two"
    )
    assert bob.poll(with_poll["poll"]["id"])["options"][1]["votes_count"] == 1

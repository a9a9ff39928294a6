"""Issue 4 end to end: Mastodon.py and toot drive a real fedianon server.

Users are created with the admin CLI and log in through the real OAuth code flow (the consent
page), then post, reply, boost, favourite, bookmark, pin, edit, delete, follow a locked
account through its request, block, mute, search, read notifications and walk a home
timeline of 100 posts in both directions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.support.oauth import obtain_token
from tests.support.servers import Instance

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Instance]:
    instance = Instance(tmp_path_factory.mktemp("client-api"), label="api")
    await instance.start()
    for handle in ("alice", "bob", "carol", "dave"):
        instance.cli("accounts", "create", handle, "--password-stdin", stdin=PASSWORD + "\n")
    yield instance
    await instance.destroy()


async def client_for(server: Instance, handle: str) -> Mastodon:
    grant = await obtain_token(server.base_url, handle, PASSWORD)
    return Mastodon(access_token=grant.access_token, api_base_url=server.base_url)


async def test_thread_boost_favourite_and_notifications(server: Instance) -> None:
    alice, bob = await client_for(server, "alice"), await client_for(server, "bob")
    me = alice.me()
    root = alice.status_post("Who is going to the #library tonight? cc @bob")
    assert "mention" in root["content"] and "hashtag" in root["content"]
    assert [m["acct"] for m in root["mentions"]] == ["bob"]
    reply = bob.status_post("@alice I am!", in_reply_to_id=root["id"])
    answer = alice.status_post("@bob great, see you", in_reply_to_id=reply["id"])
    for viewer in (alice, bob):
        context = viewer.status_context(reply["id"])
        assert [s["id"] for s in context["ancestors"]] == [root["id"]]
        assert [s["id"] for s in context["descendants"]] == [answer["id"]]
    assert alice.status(root["id"])["replies_count"] == 1

    boosted = bob.status_reblog(root["id"])
    assert boosted["reblog"]["id"] == root["id"] and boosted["id"] != root["id"]
    bob.status_favourite(root["id"])
    bob.status_favourite(root["id"])  # idempotent
    seen = bob.status(root["id"])
    assert (
        seen["reblogs_count"] == 1
        and seen["favourites_count"] == 1
        and seen["favourited"]
        and seen["reblogged"]
    )
    assert [a["acct"] for a in alice.status_favourited_by(root["id"])] == ["bob"]
    assert [a["acct"] for a in alice.status_reblogged_by(root["id"])] == ["bob"]

    notes = alice.notifications()
    kinds = {(n["type"], n["account"]["acct"]) for n in notes}
    assert {("mention", "bob"), ("reblog", "bob"), ("favourite", "bob")} <= kinds
    only_mentions = alice.notifications(types=["mention"])
    assert only_mentions and all(n["type"] == "mention" for n in only_mentions)
    assert [n["id"] for n in only_mentions] == [n["id"] for n in notes if n["type"] == "mention"]
    without_favourites = alice.notifications(exclude_types=["favourite"])
    assert [n["id"] for n in without_favourites] == [
        n["id"] for n in notes if n["type"] != "favourite"
    ]
    assert {n["type"] for n in without_favourites} >= {"mention", "reblog"}
    bob_notes = bob.notifications(types=["mention"])
    assert {n["status"]["id"] for n in bob_notes} >= {root["id"], answer["id"]}
    alice.notifications_dismiss(only_mentions[0]["id"])
    assert only_mentions[0]["id"] not in [n["id"] for n in alice.notifications()]

    bob.status_unreblog(root["id"])
    bob.status_unfavourite(root["id"])
    after = alice.status(root["id"])
    assert after["reblogs_count"] == 0 and after["favourites_count"] == 0
    # alice wrote the root and the answer; bob's boost (undone) is not hers.
    assert alice.me()["statuses_count"] == me["statuses_count"] + 2


async def test_edit_history_source_bookmark_pin_delete(server: Instance) -> None:
    alice = await client_for(server, "alice")
    status = alice.status_post(
        "first version", spoiler_text="cw", visibility="unlisted", language="en"
    )
    assert (
        status["visibility"] == "unlisted"
        and status["sensitive"] is True
        and status["language"] == "en"
    )
    edited = alice.status_update(status["id"], "second version", spoiler_text="")
    assert edited["edited_at"] and "second version" in edited["content"]
    history = alice.status_history(status["id"])
    assert len(history) == 2 and "first version" in history[0]["content"]
    assert alice.status_source(status["id"])["text"] == "second version"
    alice.status_bookmark(status["id"])
    assert status["id"] in [s["id"] for s in alice.bookmarks()]
    alice.status_pin(status["id"])
    pinned = alice.account_statuses(alice.me()["id"], pinned=True)
    assert [s["id"] for s in pinned] == [status["id"]] and pinned[0]["pinned"] is True
    alice.status_unpin(status["id"])
    deleted = alice.status_delete(status["id"])
    assert deleted["text"] == "second version"
    with pytest.raises(MastodonNotFoundError):
        alice.status(status["id"])
    assert status["id"] not in [s["id"] for s in alice.bookmarks()]


async def test_locked_account_follow_request(server: Instance) -> None:
    carol, dave = await client_for(server, "carol"), await client_for(server, "dave")
    carol.account_update_credentials(locked=True)
    carol_id = carol.me()["id"]
    relationship = dave.account_follow(carol_id)
    assert relationship["requested"] is True and relationship["following"] is False
    assert [a["acct"] for a in carol.follow_requests()] == ["dave"]
    assert any(n["type"] == "follow_request" for n in carol.notifications())
    private = carol.status_post("followers only", visibility="private")
    assert private["id"] not in [s["id"] for s in dave.timeline_home()]
    carol.follow_request_authorize(dave.me()["id"])
    assert dave.account_relationships([carol_id])[0]["following"] is True
    assert carol.me()["followers_count"] == 1
    assert private["id"] in [s["id"] for s in dave.timeline_home()]
    fresh = carol.status_post("new followers-only post", visibility="private")
    assert fresh["id"] in [s["id"] for s in dave.timeline_home()]
    # Reject path.
    alice = await client_for(server, "alice")
    alice.account_follow(carol_id)
    carol.follow_request_reject(alice.me()["id"])
    assert alice.account_relationships([carol_id])[0]["requested"] is False
    with pytest.raises(MastodonAPIError):
        alice.account_follow(alice.me()["id"])  # not yourself


async def test_block_mute_and_search(server: Instance) -> None:
    alice, bob = await client_for(server, "alice"), await client_for(server, "bob")
    bob_id, alice_id = bob.me()["id"], alice.me()["id"]
    alice.account_follow(bob_id)
    post = bob.status_post("a post alice should stop seeing")
    assert post["id"] in [s["id"] for s in alice.timeline_home()]
    alice.account_mute(bob_id)
    assert post["id"] not in [s["id"] for s in alice.timeline_home()]
    assert [a["acct"] for a in alice.mutes()] == ["bob"]
    alice.account_unmute(bob_id)
    bob.account_block(alice_id)
    assert alice.account_relationships([bob_id])[0]["blocked_by"] is True
    assert alice.account_relationships([bob_id])[0]["following"] is False
    with pytest.raises(MastodonNotFoundError):
        alice.status(post["id"])
    assert [a["acct"] for a in bob.blocks()] == ["alice"]
    bob.account_unblock(alice_id)
    found = alice.search_v2("bo", result_type="accounts")
    assert "bob" in [a["acct"] for a in found["accounts"]]
    tags = alice.search_v2("libr", result_type="hashtags")
    assert "library" in [t["name"] for t in tags["hashtags"]]
    statuses = bob.search_v2("stop seeing", result_type="statuses")
    assert post["id"] in [s["id"] for s in statuses["statuses"]]
    assert alice.account_lookup("bob")["id"] == bob_id
    assert alice.account_lookup(f"bob@{server.domain}")["id"] == bob_id


async def test_home_timeline_pagination_both_directions(server: Instance) -> None:
    reader = await client_for(server, "dave")
    writer = await client_for(server, "bob")
    reader.account_follow(writer.me()["id"])
    earlier = reader.status_post("my own post, older than the hundred")["id"]
    posted = [writer.status_post(f"post number {i}")["id"] for i in range(100)]
    expected = [i for i in reversed(posted)]

    pages, seen = 0, []
    page = reader.timeline_home(limit=7)
    while page:
        pages += 1
        seen.extend(s["id"] for s in page)
        page = reader.fetch_next(page)
    mine = [i for i in seen if i in set(posted)]
    assert mine == expected, "forward walk lost or repeated posts"
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=int, reverse=True)
    assert pages >= 15 and pages == -(-len(seen) // 7)  # every page full but the last

    # A max_id page continues right after that id: the next seven older entries, no gap.
    older = [s["id"] for s in reader.timeline_home(limit=7, max_id=posted[0])]
    assert earlier in older
    assert older == seen[seen.index(posted[0]) + 1 :][:7]

    # Backwards from the oldest of our posts, with min_id pages: each page holds the seven
    # entries just above the cursor, newest first, and fetch_previous moves up from there.
    back, back_pages = [], 0
    back_page = reader.timeline_home(limit=7, min_id=int(posted[0]) - 1)
    while back_page:
        back_pages += 1
        back.extend(s["id"] for s in back_page)
        back_page = reader.fetch_previous(back_page)
    ascending = sorted(posted, key=int)
    assert back == [i for k in range(0, 100, 7) for i in reversed(ascending[k : k + 7])]
    assert back_pages == 15 and len(back) == len(set(back))


async def test_toot_cli_posts_and_reads_home_with_an_oauth_token(
    server: Instance, tmp_path: Path
) -> None:
    """toot's own browser login: it prints the URL, we approve the consent page, paste the code."""
    import httpx

    from tests.support.oauth import approve, sign_in

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("TOOT_TESTING", None)
    toot = [sys.executable, "-m", "toot"]
    login = subprocess.Popen(
        [*toot, "login", "--instance", server.base_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    assert login.stdout is not None and login.stdin is not None
    url = ""
    while not url:
        line = login.stdout.readline()
        assert line, "toot exited before printing the login URL"
        if line.startswith("http"):
            url = line.strip()
    login.stdin.write("n\n")
    login.stdin.flush()
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        await sign_in(http, "alice", PASSWORD)
        code = await approve(http, url.replace(server.base_url, ""))
    output, _ = login.communicate(code + "\n", timeout=60)
    assert login.returncode == 0, output
    assert "Successfully logged in" in output

    posted = subprocess.run(
        [*toot, "post", "Hello from the toot CLI"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert posted.returncode == 0, posted.stdout + posted.stderr
    home = subprocess.run(
        [*toot, "timelines", "home", "--json", "--limit", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert home.returncode == 0, home.stdout + home.stderr
    statuses = json.loads(home.stdout)
    assert any("Hello from the toot CLI" in s["content"] for s in statuses)
    whoami = subprocess.run(
        [*toot, "whoami"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert "@alice" in whoami.stdout

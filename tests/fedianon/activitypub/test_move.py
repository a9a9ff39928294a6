"""Move (account migration): a verified Move sends the local followers to the new account with
their follow options, carries blocks and mutes over, and shows `moved` on the old profile; an
unverified or foreign Move changes nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from fedianon.activitypub.inbound import apply
from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.social import Block, Follow, FollowRequest, Mute
from fedianon.settings import Settings
from tests.support.factories import RemoteActor, make_remote, make_user
from tests.support.federation import loopback_federation
from tests.support.listserver import ListServer, Served


@pytest.fixture
async def peer(app):  # type: ignore[no-untyped-def]
    """Serves the new account's actor document (on loopback, standing in for a public host)."""
    await loopback_federation(app.state.ctx)
    server = ListServer().start()
    yield server
    server.stop()


def serve_new_actor(peer: ListServer, aliases: list[str]) -> str:
    uri = peer.url("/users/new")
    peer.routes["/users/new"] = Served(
        json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": uri,
                "type": "Person",
                "preferredUsername": "new",
                "inbox": f"{uri}/inbox",
                "alsoKnownAs": aliases,
            }
        ).encode(),
        "application/activity+json",
    )
    return uri


def move(origin: RemoteActor, target_uri: str, *, object_uri: str | None = None) -> dict:  # type: ignore[type-arg]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{origin.uri}#moves/1",
        "type": "Move",
        "actor": origin.uri,
        "object": object_uri or origin.uri,
        "target": target_uri,
    }


async def outgoing(kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        job.payload["activity"]
        for job in await Job.filter(kind="ap.fanout").order_by("id")
        if job.payload["activity"]["type"] == kind
    ]


async def test_a_verified_move_carries_followers_blocks_and_mutes_over(
    app, client: httpx.AsyncClient, settings: Settings, peer: ListServer
) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    origin = await make_remote("old")
    fan, quiet, grump, hidden = [
        await make_user(settings, name) for name in ("fan", "quiet", "grump", "hidden")
    ]
    await Follow.create(
        account=fan.account, target_account=origin.account, show_reblogs=False, notify=True
    )
    await Follow.create(account=quiet.account, target_account=origin.account)
    await Block.create(account=grump.account, target_account=origin.account)
    await Mute.create(
        account=hidden.account, target_account=origin.account, hide_notifications=False
    )
    target_uri = serve_new_actor(peer, [origin.uri])

    await apply(ctx, move(origin, target_uri), origin.uri, f"{origin.uri}#moves/1")

    target = await Account.get(uri=target_uri)
    assert (await Account.get(id=origin.account.id)).moved_to_account_id == target.id
    requests = {
        r.account_id: r  # type: ignore[attr-defined]
        for r in await FollowRequest.filter(target_account_id=target.id)
    }
    assert set(requests) == {fan.account.id, quiet.account.id}
    assert requests[fan.account.id].show_reblogs is False and requests[fan.account.id].notify
    assert not await Follow.filter(target_account_id=origin.account.id).exists()
    follows = await outgoing("Follow")
    assert [f["object"] for f in follows] == [target_uri, target_uri]
    undone = await outgoing("Undo")
    assert sorted(u["object"]["object"] for u in undone) == [origin.uri, origin.uri]
    assert await Block.filter(account_id=grump.account.id, target_account_id=target.id).exists()
    mute = await Mute.get(account_id=hidden.account.id, target_account_id=target.id)
    assert mute.hide_notifications is False

    shown = (
        await client.get(
            f"/api/v1/accounts/{origin.account.id}",
            headers={"Authorization": f"Bearer {fan.token}"},
        )
    ).json()
    assert shown["moved"]["id"] == str(target.id) and shown["moved"]["acct"].startswith("new@")
    looked_up = (
        await client.get("/api/v1/accounts/lookup", params={"acct": origin.account.acct_key})
    ).json()
    assert looked_up["moved"]["uri"] == target_uri
    assert "moved" not in (await client.get(f"/api/v1/accounts/{target.id}")).json()

    # delivered again: nothing is sent twice
    await apply(ctx, move(origin, target_uri), origin.uri, f"{origin.uri}#moves/again")
    assert len(await outgoing("Follow")) == 2


async def test_a_move_the_new_account_does_not_confirm_changes_nothing(
    app, settings: Settings, peer: ListServer
) -> None:  # type: ignore[no-untyped-def]
    origin = await make_remote("old")
    fan = await make_user(settings, "fan")
    await Follow.create(account=fan.account, target_account=origin.account)
    target_uri = serve_new_actor(peer, ["https://elsewhere.example/users/someone"])

    await apply(app.state.ctx, move(origin, target_uri), origin.uri, "m1")

    assert (await Account.get(id=origin.account.id)).moved_to_account_id is None
    assert await Follow.filter(
        account_id=fan.account.id, target_account_id=origin.account.id
    ).exists()
    assert not await FollowRequest.exists()
    assert not await Job.filter(kind="ap.fanout").exists()


async def test_an_actor_cannot_move_someone_else(app, settings: Settings, peer: ListServer) -> None:  # type: ignore[no-untyped-def]
    origin, other = await make_remote("old"), await make_remote("other")
    fan = await make_user(settings, "fan")
    await Follow.create(account=fan.account, target_account=other.account)
    target_uri = serve_new_actor(peer, [origin.uri, other.uri])

    await apply(app.state.ctx, move(origin, target_uri, object_uri=other.uri), origin.uri, "m2")

    assert (await Account.get(id=other.account.id)).moved_to_account_id is None
    assert (await Account.get(id=origin.account.id)).moved_to_account_id is None
    assert not await FollowRequest.exists()
    assert peer.hits == []  # not even fetched


async def test_a_follower_who_blocks_the_new_account_keeps_the_old_follow(
    app, settings: Settings, peer: ListServer
) -> None:  # type: ignore[no-untyped-def]
    origin = await make_remote("old")
    fan = await make_user(settings, "fan")
    await Follow.create(account=fan.account, target_account=origin.account)
    target_uri = serve_new_actor(peer, [origin.uri])
    target = await Account.create(
        username="new", domain="127.0.0.1", acct_key="new@127.0.0.1", uri=target_uri
    )
    await Block.create(account=fan.account, target_account=target)

    await apply(app.state.ctx, move(origin, target_uri), origin.uri, "m3")

    assert (await Account.get(id=origin.account.id)).moved_to_account_id == target.id
    assert await Follow.filter(
        account_id=fan.account.id, target_account_id=origin.account.id
    ).exists()
    assert not await FollowRequest.exists()


async def test_a_refreshed_actor_pointing_to_a_confirming_account_shows_as_moved(app) -> None:  # type: ignore[no-untyped-def]
    from federation import activitystreams as as2
    from fedianon.activitypub.remote import upsert_actor

    ctx = app.state.ctx
    origin = await make_remote("old")
    liar = await make_remote("liar", "elsewhere.example")
    honest = await make_remote("new", "newhome.example")
    await Account.filter(id=honest.account.id).update(also_known_as=[origin.uri])

    def document(moved_to: str | None) -> as2.Actor:
        doc = {
            "id": origin.uri,
            "type": "Person",
            "preferredUsername": "old",
            "inbox": f"{origin.uri}/inbox",
        }
        if moved_to:
            doc["movedTo"] = moved_to
        parsed = as2.parse(doc)
        assert isinstance(parsed, as2.Actor)
        return parsed

    await upsert_actor(ctx, document(liar.uri))  # does not name the old account
    assert (await Account.get(id=origin.account.id)).moved_to_account_id is None
    await upsert_actor(ctx, document(honest.uri))
    assert (await Account.get(id=origin.account.id)).moved_to_account_id == honest.account.id
    await upsert_actor(ctx, document(None))  # moved back
    assert (await Account.get(id=origin.account.id)).moved_to_account_id is None

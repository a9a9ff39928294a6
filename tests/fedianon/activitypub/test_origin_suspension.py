"""Suspension across servers, as Mastodon does it: a suspended local actor is served marked
`suspended` (not gone) and its followers' servers are sent an Update; a remote actor whose own
server marks it suspended is hidden here until the flag goes, while a suspension by a
moderator here is never lifted by the peer."""

from __future__ import annotations

import httpx

from fedianon.activitypub.inbound import apply
from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.social import Follow
from fedianon.services import account_moderation
from fedianon.services.accounts import Modification, modify_account
from fedianon.settings import Settings
from tests.support.factories import RemoteActor, make_remote, make_user

AP = {"Accept": "application/activity+json"}


def update_person(actor: RemoteActor, n: int, *, suspended: bool) -> dict:  # type: ignore[type-arg]
    person = {
        "id": actor.uri,
        "type": "Person",
        "preferredUsername": actor.account.username,
        "name": "" if suspended else "Back Again",
        "inbox": f"{actor.uri}/inbox",
    }
    if suspended:
        person["suspended"] = True
    return {
        "id": f"{actor.uri}#updates/{n}",
        "type": "Update",
        "actor": actor.uri,
        "object": person,
    }


def note(actor: RemoteActor, n: int) -> dict:  # type: ignore[type-arg]
    return {
        "id": f"{actor.uri}/notes/{n}/activity",
        "type": "Create",
        "actor": actor.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": f"{actor.uri}/notes/{n}",
            "type": "Note",
            "attributedTo": actor.uri,
            "content": "hello",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    }


async def updates_sent(account: Account) -> list[dict]:  # type: ignore[type-arg]
    return [
        job.payload["activity"]["object"]
        for job in await Job.filter(kind="ap.fanout").order_by("id")
        if job.payload["activity"]["type"] == "Update"
        and job.payload["activity"]["actor"] == account.uri
    ]


async def test_a_suspended_local_account_is_served_marked_and_its_followers_told(
    app, client: httpx.AsyncClient, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    moderator = await make_user(settings, "moira", role="moderator")
    rosa = await make_user(settings, "rosa")
    await Account.filter(id=rosa.account.id).update(display_name="Rosa R", note="<p>hi</p>")
    fan = await make_remote("fan")
    await Follow.create(account=fan.account, target_account=rosa.account)

    await account_moderation.take_action(ctx, moderator.account, rosa.account.id, "suspend")
    served = await client.get("/users/rosa", headers=AP)
    assert served.status_code == 200
    document = served.json()
    assert document["suspended"] is True and document["name"] == "" and document["summary"] == ""
    assert document["publicKey"]["publicKeyPem"]  # what it signed still verifies
    found = await client.get("/.well-known/webfinger", params={"resource": "acct:rosa@campus.test"})
    assert found.status_code == 200  # still resolves, to the marked actor
    assert [u.get("suspended") for u in await updates_sent(rosa.account)] == [True]

    await account_moderation.unsuspend(ctx, moderator.account, rosa.account.id)
    document = (await client.get("/users/rosa", headers=AP)).json()
    assert "suspended" not in document and document["name"] == "Rosa R"
    sent = await updates_sent(rosa.account)
    assert [u.get("suspended") for u in sent] == [True, None]
    assert len({job.payload["activity"]["id"] for job in await Job.filter(kind="ap.fanout")}) == 2

    # the CLI's suspension federates the same way, and only when the state changes
    await modify_account(ctx, "rosa", Modification(suspend=True))
    await modify_account(ctx, "rosa", Modification(suspend=True))
    assert [u.get("suspended") for u in await updates_sent(rosa.account)] == [True, None, True]


async def test_a_deleted_local_account_is_gone(
    app, client: httpx.AsyncClient, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    from fedianon.timeutil import utcnow

    gone = await make_user(settings, "gone")
    await Account.filter(id=gone.account.id).update(suspended_at=utcnow(), deleted_at=utcnow())
    assert (await client.get("/users/gone", headers=AP)).status_code == 410
    lookup = {"resource": "acct:gone@campus.test"}
    assert (await client.get("/.well-known/webfinger", params=lookup)).status_code == 404


async def test_a_peer_suspending_its_actor_hides_it_here_until_lifted(app) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    peer = await make_remote("troll")

    await apply(ctx, update_person(peer, 1, suspended=True), peer.uri, "u1")
    account = await Account.get(id=peer.account.id)
    assert account.suspended_at is not None and account.suspended_by_origin

    await apply(ctx, note(peer, 1), peer.uri, "c1")  # dropped while suspended
    from fedianon.models.statuses import Status

    assert not await Status.filter(account_id=peer.account.id).exists()

    await apply(ctx, update_person(peer, 2, suspended=False), peer.uri, "u2")
    account = await Account.get(id=peer.account.id)
    assert account.suspended_at is None and not account.suspended_by_origin
    assert account.display_name == "Back Again"
    await apply(ctx, note(peer, 2), peer.uri, "c2")
    assert await Status.filter(account_id=peer.account.id).count() == 1


async def test_a_suspension_made_here_is_not_lifted_by_the_peer(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    moderator = await make_user(settings, "moira", role="moderator")
    peer = await make_remote("troll")
    await account_moderation.take_action(ctx, moderator.account, peer.account.id, "suspend")

    await apply(ctx, update_person(peer, 3, suspended=False), peer.uri, "u3")

    account = await Account.get(id=peer.account.id)
    assert account.suspended_at is not None and not account.suspended_by_origin
    assert account.display_name != "Back Again"  # its updates are not even applied

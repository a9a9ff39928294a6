"""Incoming `Flag` activities become reports for the local moderators; Flags from a domain
whose reports are rejected, or naming no local account, are dropped."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from fedianon.activitypub import policy
from fedianon.models.moderation import DomainBlock, Report
from fedianon.models.social import Notification
from fedianon.settings import Settings
from tests.fedianon.activitypub.test_inbox import drain, post
from tests.support.factories import RemoteActor, make_remote, make_user

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "activitypub"


def flag(sender: RemoteActor, objects: list[str], content: str = "spam", number: int = 1) -> dict:  # type: ignore[type-arg]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"https://peer.example/reports/{number}",
        "type": "Flag",
        "actor": sender.uri,
        "content": content,
        "object": objects,
    }


async def _status(client: httpx.AsyncClient, user, text: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = await client.post("/api/v1/statuses", headers=user.headers, data={"status": text})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_a_flag_becomes_a_report_and_notifies_moderators(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    bob = await make_user(settings, "bob")
    moderator = await make_user(settings, "moira", role="moderator")
    status = await _status(client, bob, "reported post")
    peer = await make_remote("peer.example")
    document = flag(peer, [bob.account.uri, status["uri"], "https://elsewhere.example/x"])
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)

    report = await Report.get(target_account_id=bob.account.id)
    assert report.account_id == peer.account.id  # type: ignore[attr-defined]
    assert report.origin_domain == "peer.example"
    assert report.status_ids == [int(status["id"])]
    assert report.comment == "spam" and report.uri == "https://peer.example/reports/1"
    assert report.forwarded is False and report.action_taken_at is None
    notification = await Notification.get(account_id=moderator.account.id, type="admin.report")
    assert notification.report_id == report.id
    assert notification.from_account_id == peer.account.id  # type: ignore[attr-defined]
    shown = (await client.get("/api/v1/notifications", headers=moderator.headers)).json()
    assert shown[0]["report"]["target_account"]["acct"] == "bob"

    # Redelivered: applied once.
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    assert await Report.all().count() == 1


async def test_mastodon_and_gotosocial_flags(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    bob = await make_user(settings, "bob")
    peer = await make_remote("peer.example")
    for name in ("mastodon/flag.json", "gotosocial/flag.json"):
        document = json.loads((FIXTURES / name).read_text())
        document["actor"] = peer.uri
        document["id"] = f"https://peer.example/{name}"
        document["object"] = [bob.account.uri, *document["object"][1:]]
        assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    comments = sorted(r.comment for r in await Report.filter(target_account_id=bob.account.id))
    assert comments == [
        "Please take a look at this user and their posts",
        "dark souls sucks, please yeet this nerd",
    ]


async def test_a_flag_naming_only_statuses_reports_their_author(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    bob = await make_user(settings, "bob")
    status = await _status(client, bob, "just this one")
    peer = await make_remote("peer.example")
    await post(client, peer, flag(peer, [status["uri"]]))
    await drain(app)
    report = await Report.get(target_account_id=bob.account.id)
    assert report.status_ids == [int(status["id"])]


async def test_flags_from_a_domain_with_reject_reports_are_dropped(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    bob = await make_user(settings, "bob")
    await make_user(settings, "moira", role="moderator")
    peer = await make_remote("peer.example")
    await DomainBlock.create(domain="peer.example", severity="noop", reject_reports=True)
    policy.forget()
    try:
        assert (await post(client, peer, flag(peer, [bob.account.uri]))).status_code == 202
        await drain(app)
        assert not await Report.exists()
        assert not await Notification.filter(type="admin.report").exists()
    finally:
        policy.forget()


async def test_a_flag_naming_no_local_account_is_dropped(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    peer = await make_remote("peer.example")
    other = await make_remote("victim", "third.example")
    instance_actor = app.state.ctx.extras["instance_actor"]
    assert (await post(client, peer, flag(peer, [other.uri]))).status_code == 202
    assert (await post(client, peer, flag(peer, [instance_actor.uri], number=2))).status_code == 202
    assert (
        await post(client, peer, flag(peer, ["https://campus.test/users/nobody"], number=3))
    ).status_code == 202
    await drain(app)
    assert not await Report.exists()

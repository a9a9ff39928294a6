"""The inbox against bad input: every case gets a clear 4xx (or a logged drop), never a 500,
and nothing half-written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from federation.activitystreams import PUBLIC
from federation.signatures import sign
from fedianon.models.social import Favourite
from fedianon.models.statuses import Status
from fedianon.settings import Settings
from tests.support.factories import RemoteActor, make_remote, make_user
from tests.support.signing import signed_follow

INBOX = "https://campus.test/inbox"


def signed(
    actor: RemoteActor,
    body: bytes,
    *,
    url: str = INBOX,
    scheme: str = "cavage",
    now: datetime | None = None,
    key_id: str | None = None,
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign(
            scheme,
            "POST",
            url,
            headers,
            body,
            key_id or actor.account.key_id,
            actor.private_key_pem,
            now=now,
        )
    )  # type: ignore[arg-type]
    return headers


def note_create(
    actor: RemoteActor,
    note_id: str,
    *,
    attributed_to: str | None = None,
    activity_id: str | None = None,
    content: str = "<p>hi</p>",
) -> dict:  # type: ignore[type-arg]
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id or f"{note_id}/activity",
        "type": "Create",
        "actor": actor.uri,
        "to": [PUBLIC],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": attributed_to or actor.uri,
            "content": content,
            "to": [PUBLIC],
            "published": "2026-11-27T10:00:00Z",
        },
    }


async def drain(app) -> None:  # type: ignore[no-untyped-def]
    from fedianon.jobs.worker import Worker

    await Worker(app.state.ctx).run_until_idle()


async def post(
    client: httpx.AsyncClient, actor: RemoteActor, document: dict, **kwargs
) -> httpx.Response:  # type: ignore[no-untyped-def, type-arg]
    body = json.dumps(document).encode()
    return await client.post("/inbox", content=body, headers=signed(actor, body, **kwargs))


async def test_signed_create_is_accepted_and_stored_once(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    peer = await make_remote("poster")
    document = note_create(peer, "https://peer.example/notes/1")
    assert (await post(client, peer, document)).status_code == 202
    assert (await post(client, peer, document)).status_code == 202  # replayed id
    await drain(app)
    assert await Status.filter(uri="https://peer.example/notes/1").count() == 1
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    assert await Status.filter(account_id=peer.account.id).count() == 1


async def test_rfc9421_signatures_are_accepted(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    peer = await make_remote("modern")
    document = note_create(peer, "https://peer.example/notes/9421")
    assert (await post(client, peer, document, scheme="rfc9421")).status_code == 202
    await drain(app)
    assert await Status.filter(uri="https://peer.example/notes/9421").exists()


async def test_unsigned_post_is_401(client: httpx.AsyncClient) -> None:
    peer = await make_remote("nosig")
    response = await client.post(
        "/inbox",
        content=json.dumps(note_create(peer, "https://peer.example/n/2")).encode(),
        headers={"Content-Type": "application/activity+json"},
    )
    assert response.status_code == 401 and "error" in response.json()


async def test_key_that_does_not_own_the_actor(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    victim, impostor = await make_remote("victim"), await make_remote("impostor")
    document = note_create(victim, "https://peer.example/notes/forged")
    body = json.dumps(document).encode()
    response = await client.post("/inbox", content=body, headers=signed(impostor, body))
    assert response.status_code == 401 and "does not belong" in response.json()["error"]
    await drain(app)
    assert not await Status.filter(uri="https://peer.example/notes/forged").exists()


async def test_wrong_digest_is_401(client: httpx.AsyncClient) -> None:
    peer = await make_remote("tamper")
    body = json.dumps(note_create(peer, "https://peer.example/n/3")).encode()
    headers = signed(peer, body)
    tampered = body.replace(b"hi", b"ho")
    response = await client.post("/inbox", content=tampered, headers=headers)
    assert response.status_code == 401 and "igest" in response.json()["error"]


async def test_date_two_hours_old_is_401(client: httpx.AsyncClient) -> None:
    peer = await make_remote("stale")
    old = datetime.now(UTC) - timedelta(hours=2)
    body = json.dumps(note_create(peer, "https://peer.example/n/4")).encode()
    headers = signed(peer, body, now=old)
    assert headers["Date"] == format_datetime(old.replace(microsecond=0), usegmt=True)
    response = await client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 401 and "time" in response.json()["error"].lower()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"this is not json", "not valid JSON"),
        (b"[1, 2, 3]", "Not an acceptable activity"),
        (
            json.dumps({"type": "Note", "id": "https://peer.example/n", "content": "x"}).encode(),
            "Not an activity",
        ),
        (json.dumps({"id": "https://peer.example/a"}).encode(), "type"),
        (json.dumps({"type": "Create", "id": "https://peer.example/a"}).encode(), ""),
    ],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, body: bytes, fragment: str
) -> None:
    response = await client.post(
        "/inbox", content=body, headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]


async def test_unknown_local_user_is_404(client: httpx.AsyncClient) -> None:
    peer = await make_remote("lost")
    document = note_create(peer, "https://peer.example/n/5")
    body = json.dumps(document).encode()
    url = "https://campus.test/users/nobody_here/inbox"
    response = await client.post(
        "/users/nobody_here/inbox", content=body, headers=signed(peer, body, url=url)
    )
    assert response.status_code == 404


async def test_create_attributed_to_someone_else_is_dropped(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    peer, other = await make_remote("sender"), await make_remote("other")
    document = note_create(peer, "https://peer.example/notes/spoof", attributed_to=other.uri)
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    assert not await Status.filter(uri="https://peer.example/notes/spoof").exists()
    from fedianon.models.federation import Job

    assert await Job.filter(state="dead").count() == 0  # dropped with a log line, not retried


async def test_five_megabyte_body_is_413(client: httpx.AsyncClient) -> None:
    peer = await make_remote("huge")
    document = note_create(peer, "https://peer.example/n/6", content="x" * (5 * 1024 * 1024))
    body = json.dumps(document).encode()
    response = await client.post(
        "/inbox", content=body, headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 413 and "1 MB" in response.json()["error"]


async def test_suspended_domain_gets_202_and_is_dropped(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    from fedianon.activitypub import policy
    from fedianon.models.moderation import DomainBlock

    peer = await make_remote("blocked", domain="bad.example")
    await DomainBlock.create(domain="bad.example", severity="suspend")
    policy.forget()
    response = await post(client, peer, note_create(peer, "https://bad.example/notes/1"))
    assert response.status_code == 202
    await drain(app)
    assert not await Status.filter(uri="https://bad.example/notes/1").exists()
    policy.forget()


async def test_an_activity_from_an_unavailable_instance_marks_it_reachable(
    client: httpx.AsyncClient,
) -> None:
    from fedianon.models.federation import Instance

    peer = await make_remote("returning", domain="back.example")
    await Instance.update_or_create(
        domain="back.example",
        defaults={
            "unavailable_since": datetime.now(UTC) - timedelta(days=8),
            "failure_count": 40,
            "first_failure_at": datetime.now(UTC) - timedelta(days=9),
        },
    )
    await Instance.update_or_create(domain="other.example", defaults={"failure_count": 3})
    response = await post(client, peer, note_create(peer, "https://back.example/notes/1"))
    assert response.status_code == 202
    instance = await Instance.get(domain="back.example")
    assert (instance.unavailable_since, instance.failure_count, instance.first_failure_at) == (
        None,
        0,
        None,
    )
    assert (await Instance.get(domain="other.example")).failure_count == 3


async def test_like_of_a_local_status_counts_once(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    alice = await make_user(settings, "alice")
    status = (
        await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "like me"})
    ).json()
    peer = await make_remote("fan")
    like = {
        "id": "https://peer.example/likes/1",
        "type": "Like",
        "actor": peer.uri,
        "object": status["uri"],
    }
    for _ in range(3):
        assert (await post(client, peer, like)).status_code == 202
    await drain(app)
    assert await Favourite.filter(status_id=int(status["id"])).count() == 1
    assert (await client.get(f"/api/v1/statuses/{status['id']}", headers=alice.headers)).json()[
        "favourites_count"
    ] == 1
    notes = (await client.get("/api/v1/notifications", headers=alice.headers)).json()
    assert [n["type"] for n in notes] == ["favourite"] and notes[0]["account"][
        "acct"
    ] == "fan@peer.example"


async def test_fetch_of_a_loopback_actor_is_refused_by_the_guard(
    client: httpx.AsyncClient, app
) -> None:  # type: ignore[no-untyped-def]
    """With FEDIANON_ALLOW_PRIVATE_ADDRESSES off, a keyId on 127.0.0.1 is never fetched."""
    from federation.client import FederationClient
    from federation.signatures.keys import generate_rsa_keypair

    ctx = app.state.ctx
    guarded = FederationClient(ctx.extras["http"], user_agent="test", allow_private=False)
    ctx.federation = guarded
    private_pem, _ = generate_rsa_keypair()
    body, headers = signed_follow("http://127.0.0.1:9/users/x", private_pem)
    response = await client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 401


async def test_remote_custom_emojis_and_media_are_shown_as_remote_links(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    alice = await make_user(settings, "alice")
    peer = await make_remote("artist")
    document = note_create(
        peer, "https://peer.example/notes/emoji", content="<p>hello :blobcat:</p>"
    )
    document["object"]["tag"] = [
        {
            "type": "Emoji",
            "name": ":blobcat:",
            "icon": {
                "type": "Image",
                "mediaType": "image/png",
                "url": "https://peer.example/emoji/blobcat.png",
            },
        }
    ]
    document["object"]["attachment"] = [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": "https://peer.example/media/1.jpg",
            "name": "a cat",
            "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            "width": 640,
            "height": 480,
        }
    ]
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    status = await Status.get(uri="https://peer.example/notes/emoji")
    entity = (await client.get(f"/api/v1/statuses/{status.id}", headers=alice.headers)).json()
    assert entity["emojis"] == [
        {
            "shortcode": "blobcat",
            "url": "https://peer.example/emoji/blobcat.png",
            "static_url": "https://peer.example/emoji/blobcat.png",
            "visible_in_picker": False,
        }
    ]
    media = entity["media_attachments"][0]
    assert media["remote_url"] == media["url"] == "https://peer.example/media/1.jpg"
    assert media["description"] == "a cat" and media["meta"]["original"]["width"] == 640
    assert entity["account"]["acct"] == "artist@peer.example"


async def test_statuses_that_draw_the_same_backdated_id_are_all_stored(
    client: httpx.AsyncClient, app, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Ids of remote statuses are backdated to their published time with 16 random bits; posts
    published in the same second can draw the same id, and none may be lost for it."""
    from fedianon.activitypub.inbound import statuses as inbound_statuses
    from fedianon.ids import new_id
    from fedianon.models.federation import Job

    draws: list[int] = []

    def colliding(at: datetime | None = None) -> int:
        fresh = new_id(at)
        drawn = draws[0] if len(draws) % 2 else fresh  # every second draw collides
        draws.append(drawn)
        return drawn

    monkeypatch.setattr(inbound_statuses, "new_id", colliding)
    peer = await make_remote("same-second")
    first, second = "https://peer.example/notes/s1", "https://peer.example/notes/s2"
    assert (await post(client, peer, note_create(peer, first))).status_code == 202
    assert (await post(client, peer, note_create(peer, second))).status_code == 202
    await drain(app)  # the boosted note must be stored before the Announce arrives
    announce = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://peer.example/boosts/1",
        "type": "Announce",
        "actor": peer.uri,
        "object": first,
        "to": [PUBLIC],
        "published": "2026-11-27T10:00:00Z",
    }
    assert (await post(client, peer, announce)).status_code == 202
    await drain(app)
    assert len(set(draws)) < len(draws)  # the collisions did happen
    stored = {s.uri: s.id for s in await Status.filter(account_id=peer.account.id)}
    assert set(stored) == {first, second, "https://peer.example/boosts/1"}
    assert len(set(stored.values())) == 3
    assert not await Job.exists()


async def test_a_note_without_an_id_is_rejected_not_retried(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    from fedianon.models.federation import Job

    peer = await make_remote("poster")
    document = note_create(peer, "https://peer.example/notes/anon")
    del document["object"]["id"]
    assert (await post(client, peer, document)).status_code == 202
    await drain(app)
    assert not await Status.filter(account_id=peer.account.id).exists()
    assert not await Job.filter(kind="ap.inbox").exists()  # done with, not waiting to retry

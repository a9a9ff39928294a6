"""What peers fetch: WebFinger, host-meta, NodeInfo, actor and status documents, collections,
content negotiation and authorized fetch."""

from __future__ import annotations

import httpx

from federation import activitystreams as as2
from federation.nodeinfo import parse_nodeinfo
from federation.signatures import sign
from federation.webfinger import parse_jrd
from fedianon.settings import Settings
from tests.support.factories import make_remote, make_user

AP = {"Accept": "application/activity+json"}


async def test_webfinger_host_meta_and_nodeinfo(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "alice")
    jrd = await client.get("/.well-known/webfinger", params={"resource": "acct:alice@campus.test"})
    assert jrd.status_code == 200 and jrd.headers["content-type"].startswith("application/jrd+json")
    assert parse_jrd(jrd.json()).actor_url == "https://campus.test/users/alice"
    by_url = await client.get(
        "/.well-known/webfinger", params={"resource": "https://campus.test/users/alice"}
    )
    assert by_url.json()["subject"] == "acct:alice@campus.test"
    for resource, status in (
        ("acct:nobody@campus.test", 404),
        ("acct:alice@other.example", 404),
        ("not a resource", 400),
        ("", 400),
    ):
        assert (
            await client.get("/.well-known/webfinger", params={"resource": resource})
        ).status_code == status, resource
    instance = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:campus.test@campus.test"}
    )
    assert parse_jrd(instance.json()).actor_url == "https://campus.test/actor"
    meta = await client.get("/.well-known/host-meta")
    assert (
        "lrdd" in meta.text
        and "https://campus.test/.well-known/webfinger?resource={uri}" in meta.text
    )
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert {link["href"] for link in links} == {
        "https://campus.test/nodeinfo/2.0",
        "https://campus.test/nodeinfo/2.1",
    }
    info = parse_nodeinfo((await client.get("/nodeinfo/2.1")).json())
    assert (
        info.software_name == "fedianon"
        and info.users_total == 1
        and info.open_registrations is True
    )
    assert (await client.get("/nodeinfo/9.9")).status_code == 404


async def test_actor_documents_and_negotiation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "alice")
    document = await client.get("/users/alice", headers=AP)
    assert document.headers["content-type"].startswith("application/activity+json")
    actor = as2.parse(document.json())
    assert (
        isinstance(actor, as2.Actor)
        and actor.preferred_username == "alice"
        and actor.inbox == "https://campus.test/users/alice/inbox"
    )
    assert actor.shared_inbox == "https://campus.test/inbox" and actor.public_key is not None
    assert (
        "BEGIN PUBLIC KEY" in actor.public_key.pem
        and actor.public_key.id == "https://campus.test/users/alice#main-key"
    )
    assert "email" not in document.text.lower() and "digest" not in document.text.lower()
    browser = await client.get("/users/alice", headers={"Accept": "text/html"})
    assert browser.status_code == 302 and browser.headers["location"] == "/@alice"
    page = await client.get("/@alice", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "@alice@campus.test" in page.text
    assert (await client.get("/@alice", headers=AP)).json()[
        "id"
    ] == "https://campus.test/users/alice"
    instance = (await client.get("/actor", headers=AP)).json()
    assert (
        instance["type"] == "Application"
        and instance["blocklist"] == "https://campus.test/actor/blocklist"
    )
    assert (await client.get("/users/nobody", headers=AP)).status_code == 404


async def test_status_objects_and_collections(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    public = (
        await client.post(
            "/api/v1/statuses", headers=alice.headers, data={"status": "hello #campus"}
        )
    ).json()
    private = (
        await client.post(
            "/api/v1/statuses",
            headers=alice.headers,
            data={"status": "followers", "visibility": "private"},
        )
    ).json()
    note = (await client.get(f"/users/alice/statuses/{public['id']}", headers=AP)).json()
    parsed = as2.parse(note)
    assert (
        isinstance(parsed, as2.Note)
        and parsed.attributed_to == "https://campus.test/users/alice"
        and parsed.is_public
    )
    assert [t.name for t in parsed.tags if isinstance(t, as2.Hashtag)] == ["#campus"]
    create = (await client.get(f"/users/alice/statuses/{public['id']}/activity", headers=AP)).json()
    assert create["type"] == "Create" and create["object"]["id"] == note["id"]
    assert (
        await client.get(f"/users/alice/statuses/{private['id']}", headers=AP)
    ).status_code == 404
    page = await client.get(f"/@alice/{public['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "hello" in page.text
    outbox = (await client.get("/users/alice/outbox", headers=AP)).json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    first = (await client.get("/users/alice/outbox?page=true", headers=AP)).json()
    assert [item["object"]["id"] for item in first["orderedItems"]] == [note["id"]]
    followers = (await client.get("/users/alice/followers", headers=AP)).json()
    assert followers["totalItems"] == 0 and followers["first"].endswith("?page=1")
    await client.post(f"/api/v1/statuses/{public['id']}/pin", headers=alice.headers)
    featured = (await client.get("/users/alice/collections/featured", headers=AP)).json()
    assert [item["id"] for item in featured["orderedItems"]] == [note["id"]]


async def test_authorized_fetch_requires_signatures_except_for_actors(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    app.state.ctx.settings = settings.with_overrides(authorized_fetch=True)
    alice = await make_user(settings, "alice")
    public = (
        await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "guarded"})
    ).json()
    path = f"/users/alice/statuses/{public['id']}"
    assert (await client.get(path, headers=AP)).status_code == 401
    assert (await client.get("/users/alice", headers=AP)).status_code == 200  # keys stay fetchable
    peer = await make_remote("fetcher")
    headers = {**AP}
    headers.update(
        sign(
            "cavage",
            "GET",
            f"https://campus.test{path}",
            headers,
            None,
            peer.account.key_id,
            peer.private_key_pem,
        )
    )
    assert (await client.get(path, headers=headers)).status_code == 200

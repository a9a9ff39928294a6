"""Blocklist subscriptions against a real HTTP server: trust, caps, provenance, retraction,
excludes, and the failure modes (timeout, 404, HTML, huge, redirect to a private address)
that must change nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from fedianon.models.moderation import (
    BlocklistDraft,
    BlocklistProvenance,
    BlocklistSubscription,
    DomainBlock,
)
from fedianon.settings import Settings
from tests.support.factories import make_remote, make_user
from tests.support.federation import loopback_federation
from tests.support.listserver import ListServer, Served

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


@pytest.fixture
async def lists(app):  # type: ignore[no-untyped-def]
    """The list server runs on loopback and stands in for a public host: let federation reach it."""
    await loopback_federation(app.state.ctx)
    server = ListServer().start()
    yield server
    server.stop()


async def boss(settings: Settings):  # type: ignore[no-untyped-def]
    return await make_user(
        settings, "campus_admin", role="admin", scopes="read write admin:read admin:write"
    )


async def subscribe(client: httpx.AsyncClient, user, uri: str, **fields: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = await client.post(
        "/api/v1/admin/domain_permission_subscriptions",
        headers=user.headers,
        data={"uri": uri, "permission_type": "block", "content_type": "text/csv", **fields},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: httpx.AsyncClient, user, sub: dict) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = await client.post(
        f"/api/v1/admin/domain_permission_subscriptions/{sub['id']}/refresh", headers=user.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def blocks() -> dict[str, DomainBlock]:
    return {b.domain: b for b in await DomainBlock.all()}


async def test_auto_apply_with_cap_provenance_and_retraction(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    lists.routes["/list.csv"] = Served(
        csv("a.example,suspend,true,false,spam,false", "b.example,silence,false,false,,false"),
        etag='"v1"',
    )
    sub = await subscribe(
        client,
        admin,
        lists.url("/list.csv"),
        as_draft="false",
        max_severity="silence",
        title="peer list",
    )
    fetched = await refresh(client, admin, sub)
    assert fetched["count"] == 2 and "error" not in fetched
    found = await blocks()
    assert (
        found["a.example"].severity == "silence" and found["a.example"].reject_media is True
    )  # capped, flags kept
    assert found["a.example"].source == "subscription" and found[
        "a.example"
    ].subscription_id == int(sub["id"])  # type: ignore[attr-defined]
    provenance = (
        await client.get(
            f"/api/v1/admin/domain_blocks/{found['a.example'].id}/provenance", headers=admin.headers
        )
    ).json()
    assert [(p["title"], p["severity"]) for p in provenance["listed_by"]] == [
        ("peer list", "suspend")
    ]
    # Not modified: a conditional GET, nothing changes.
    await refresh(client, admin, sub)
    assert lists.hits[-1][1].get("if-none-match") == '"v1"'
    # a.example disappears from the list: retracted here.
    lists.routes["/list.csv"] = Served(csv("b.example,silence,false,false,,false"), etag='"v2"')
    await refresh(client, admin, sub)
    assert set(await blocks()) == {"b.example"}
    assert await BlocklistProvenance.filter(domain="a.example").count() == 0


async def test_drafts_wait_for_review_and_accept(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    lists.routes["/drafts.csv"] = Served(csv("c.example,suspend,false,false,bad,false"))
    sub = await subscribe(client, admin, lists.url("/drafts.csv"))
    await refresh(client, admin, sub)
    assert await DomainBlock.all().count() == 0
    drafts = (
        await client.get(
            "/api/v1/admin/domain_permission_drafts",
            headers=admin.headers,
            params={"subscription_id": sub["id"]},
        )
    ).json()
    assert [(d["domain"], d["severity"]) for d in drafts] == [("c.example", "suspend")]
    accepted = await client.post(
        f"/api/v1/admin/domain_permission_drafts/{drafts[0]['id']}/accept", headers=admin.headers
    )
    assert accepted.status_code == 200 and accepted.json()["domain"] == "c.example"
    assert (await blocks())["c.example"].severity == "suspend"
    assert await BlocklistDraft.all().count() == 0


async def test_reject_draft_with_exclude_and_excludes_are_never_blocked(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    lists.routes["/x.csv"] = Served(
        csv(
            "friend.example,suspend,false,false,,false",
            "sub.trusted.example,suspend,false,false,,false",
            "campus.test,suspend,false,false,,false",
        )
    )
    exclude = await client.post(
        "/api/v1/admin/domain_permission_excludes",
        headers=admin.headers,
        data={"domain": "trusted.example"},
    )
    assert exclude.status_code == 200
    sub = await subscribe(client, admin, lists.url("/x.csv"), as_draft="false")
    await refresh(client, admin, sub)
    assert set(await blocks()) == {"friend.example"}
    lists.routes["/y.csv"] = Served(csv("other.example,suspend,false,false,,false"))
    drafting = await subscribe(client, admin, lists.url("/y.csv"))
    await refresh(client, admin, drafting)
    draft = (
        await client.get(
            "/api/v1/admin/domain_permission_drafts",
            headers=admin.headers,
            params={"domain": "other.example"},
        )
    ).json()[0]
    await client.post(
        f"/api/v1/admin/domain_permission_drafts/{draft['id']}/remove",
        headers=admin.headers,
        data={"exclude_target": "true"},
    )
    await refresh(client, admin, drafting)
    assert await BlocklistDraft.filter(domain="other.example").count() == 0
    excludes = (
        await client.get("/api/v1/admin/domain_permission_excludes", headers=admin.headers)
    ).json()
    assert sorted(e["domain"] for e in excludes) == ["other.example", "trusted.example"]


async def test_priority_and_ownership_between_two_lists(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    lists.routes["/low.csv"] = Served(csv("shared.example,silence,false,false,low,false"))
    lists.routes["/high.csv"] = Served(csv("shared.example,suspend,false,false,high,false"))
    low = await subscribe(
        client, admin, lists.url("/low.csv"), as_draft="false", priority="1", title="low"
    )
    high = await subscribe(
        client, admin, lists.url("/high.csv"), as_draft="false", priority="9", title="high"
    )
    await refresh(client, admin, low)
    await refresh(client, admin, high)
    block = (await blocks())["shared.example"]
    assert block.severity == "suspend" and block.subscription_id == int(high["id"])  # type: ignore[attr-defined]
    # The high list drops it: the low list still lists it, so the block passes to it.
    lists.routes["/high.csv"] = Served(csv("unrelated.example,silence,false,false,,false"))
    await refresh(client, admin, high)
    block = (await blocks())["shared.example"]
    assert block.severity == "silence" and block.subscription_id == int(low["id"])  # type: ignore[attr-defined]
    # An admin adopts it: no list can retract it any more.
    await client.post(f"/api/v1/admin/domain_blocks/{block.id}/adopt", headers=admin.headers)
    lists.routes["/low.csv"] = Served(csv("something-else.example,silence,false,false,,false"))
    await refresh(client, admin, low)
    assert "shared.example" in await blocks()


@pytest.mark.parametrize(
    ("served", "fragment"),
    [
        (Served(b"not here", "text/plain", 404), "HTTP 404"),
        (Served(b"<!doctype html><html><body>Sign in</body></html>", "text/html"), "HTML"),
        (Served(size=50 * 1024 * 1024), "(cap 10485760)"),
        (Served(csv("x.example,suspend", ""), delay=5), "imeout"),
        (Served(HEADER.encode()), "no usable entries"),
    ],
)
async def test_failed_fetches_change_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    lists: ListServer,
    app,
    served: Served,
    fragment: str,
) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    await loopback_federation(ctx, timeout=httpx.Timeout(1.0))
    admin = await boss(settings)
    lists.routes["/good.csv"] = Served(csv("kept.example,silence,false,false,,false"))
    sub = await subscribe(client, admin, lists.url("/good.csv"), as_draft="false")
    await refresh(client, admin, sub)
    lists.routes["/good.csv"] = served
    result = await refresh(client, admin, sub)
    assert fragment in result["error"], result
    assert set(await blocks()) == {"kept.example"}
    assert (await BlocklistSubscription.get(id=int(sub["id"]))).count == 1


async def test_redirect_to_a_private_address_is_refused(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer, app
) -> None:  # type: ignore[no-untyped-def]
    from federation import addresses

    async def guard(host: str, port: int) -> None:
        if (host, port) != ("127.0.0.1", lists.port):  # the list server stands in for a public host
            await addresses.check_host(host, allow_private=False, port=port)

    ctx = app.state.ctx
    await loopback_federation(ctx, address_check=guard)
    admin = await boss(settings)
    lists.routes["/moved.csv"] = Served(location="http://10.0.0.1/list.csv")
    sub = await subscribe(client, admin, lists.url("/moved.csv"), as_draft="false")
    result = await refresh(client, admin, sub)
    assert (
        "private" in result["error"] or "refused" in result["error"] or "blocked" in result["error"]
    ), result["error"]
    assert await DomainBlock.all().count() == 0


async def test_subscription_api_shapes_and_conflicts(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    lists.routes["/t.csv"] = Served(
        csv("t1.example,suspend,false,false,,false", "t2.example,silence,false,false,,false")
    )
    sub = await subscribe(client, admin, lists.url("/t.csv"), title="T")
    duplicate = await client.post(
        "/api/v1/admin/domain_permission_subscriptions",
        headers=admin.headers,
        data={"uri": lists.url("/t.csv"), "permission_type": "block", "content_type": "text/csv"},
    )
    assert duplicate.status_code == 409
    tested = (
        await client.post(
            f"/api/v1/admin/domain_permission_subscriptions/{sub['id']}/test", headers=admin.headers
        )
    ).json()
    assert [t["domain"] for t in tested] == [
        "t1.example",
        "t2.example",
    ] and await DomainBlock.all().count() == 0
    preview = (
        await client.get(
            "/api/v1/admin/domain_permission_subscriptions/preview",
            headers=admin.headers,
            params={"permission_type": "block"},
        )
    ).json()
    assert [p["id"] for p in preview] == [sub["id"]]
    patched = (
        await client.patch(
            f"/api/v1/admin/domain_permission_subscriptions/{sub['id']}",
            headers=admin.headers,
            data={"priority": "5", "max_severity": "silence"},
        )
    ).json()
    assert patched["priority"] == 5 and patched["max_severity"] == "silence"
    bad = await client.post(
        "/api/v1/admin/domain_permission_subscriptions",
        headers=admin.headers,
        data={"uri": "ftp://x", "permission_type": "block", "content_type": "text/csv"},
    )
    assert bad.status_code == 422
    removed = await client.post(
        f"/api/v1/admin/domain_permission_subscriptions/{sub['id']}/remove", headers=admin.headers
    )
    assert removed.status_code == 200 and await BlocklistSubscription.all().count() == 0


async def test_a_hundred_thousand_entries_as_drafts(
    client: httpx.AsyncClient, settings: Settings, lists: ListServer
) -> None:
    admin = await boss(settings)
    rows = [f"d{i}.example,suspend,false,false,,false" for i in range(100_000)]
    lists.routes["/big.csv"] = Served(csv(*rows))
    sub = await subscribe(client, admin, lists.url("/big.csv"))
    result = await refresh(client, admin, sub)
    assert result["count"] == 100_000
    assert await BlocklistDraft.filter(subscription_id=int(sub["id"])).count() == 100_000
    assert await DomainBlock.all().count() == 0


async def test_pushes_from_the_wrong_actor_or_for_excluded_domains_are_dropped(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    from federation import activitystreams as as2
    from fedianon.activitypub import blocklist_federation

    peer = await make_remote("actor_peer", domain="peer.example")
    other = await make_remote("mallory", domain="peer.example")
    await BlocklistSubscription.create(
        uri="https://peer.example/actor",
        kind="activitypub",
        actor_uri=peer.uri,
        follow_state="accepted",
        as_draft=False,
        max_severity="silence",
    )
    await make_user(settings, "campus_admin", role="admin", scopes="admin:write")
    from fedianon.models.moderation import BlocklistExclude

    await BlocklistExclude.create(domain="friendly.example")

    def push(actor_uri: str, domain: str, kind: str = "Add") -> as2.Activity:
        document = {
            "id": f"https://peer.example/actor/blocklist#{kind}-{domain}",
            "type": kind,
            "actor": actor_uri,
            "target": "https://peer.example/actor/blocklist",
            "object": {
                "type": "Block",
                "id": f"https://peer.example/actor/blocklist/{domain}",
                "actor": actor_uri,
                "object": f"https://{domain}/",
                "name": domain,
                "severity": "suspend",
            },
        }
        parsed = as2.parse(json.loads(json.dumps(document)))
        assert isinstance(parsed, as2.Activity)
        return parsed

    await blocklist_federation.on_push(
        app.state.ctx, push(other.uri, "victim.example"), other.account
    )
    assert await DomainBlock.all().count() == 0
    await blocklist_federation.on_push(
        app.state.ctx, push(peer.uri, "friendly.example"), peer.account
    )
    assert await DomainBlock.all().count() == 0
    await blocklist_federation.on_push(
        app.state.ctx, push(peer.uri, "really-bad.example"), peer.account
    )
    block = await DomainBlock.get(domain="really-bad.example")
    assert block.severity == "silence"
    await blocklist_federation.on_push(
        app.state.ctx, push(peer.uri, "really-bad.example", "Remove"), peer.account
    )
    assert await DomainBlock.all().count() == 0

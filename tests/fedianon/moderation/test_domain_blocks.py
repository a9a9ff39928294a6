"""Domain blocks through the admin API: CRUD, validation, effects on known accounts, the
public list, imports with a preview, and who may call it."""

from __future__ import annotations

import httpx
import pytest

from fedianon.jobs.worker import Worker
from fedianon.models.accounts import Account
from fedianon.models.moderation import DomainBlock
from fedianon.models.social import Follow
from fedianon.models.statuses import Status
from fedianon.settings import Settings
from tests.support.factories import make_remote, make_user


async def admin(settings: Settings):  # type: ignore[no-untyped-def]
    return await make_user(
        settings, "campus_admin", role="admin", scopes="read write follow admin:read admin:write"
    )


async def drain(app) -> None:  # type: ignore[no-untyped-def]
    await Worker(app.state.ctx).run_until_idle()


async def test_non_admins_get_403(client: httpx.AsyncClient, settings: Settings) -> None:
    student = await make_user(
        settings, "student", scopes="read write follow admin:read admin:write"
    )
    moderator = await make_user(
        settings, "mod_one", role="moderator", scopes="admin:read admin:write"
    )
    for user in (student, moderator):
        for method, path in (
            ("GET", "/api/v1/admin/domain_blocks"),
            ("POST", "/api/v1/admin/domain_blocks"),
            ("GET", "/api/v1/admin/domain_permission_subscriptions"),
            ("GET", "/api/v1/admin/domain_permission_drafts"),
        ):
            response = await client.request(
                method, path, headers=user.headers, data={"domain": "x.example"}
            )
            assert response.status_code == 403 and response.json() == {
                "error": "This action is not allowed"
            }, (user.account.username, path)
    assert await DomainBlock.all().count() == 0


async def test_crud_and_validation(client: httpx.AsyncClient, settings: Settings) -> None:
    boss = await admin(settings)
    created = await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={
            "domain": "  Bad.EXAMPLE. ",
            "severity": "suspend",
            "public_comment": "spam",
            "private_comment": "ticket 12",
            "reject_media": "true",
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert (
        body["domain"] == "bad.example"
        and body["severity"] == "suspend"
        and body["reject_media"] is True
        and len(body["digest"]) == 64
    )
    again = await client.post(
        "/api/v1/admin/domain_blocks", headers=boss.headers, data={"domain": "bad.example"}
    )
    assert again.status_code == 422 and again.json()["existing_domain_block"]["id"] == body["id"]
    child = await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "sub.bad.example", "severity": "silence"},
    )
    assert child.status_code == 422 and "already blocked" in child.json()["error"]
    for bad in (
        {"domain": ""},
        {"domain": "not a domain"},
        {"domain": "https://x.example/path"},
        {"domain": "x.example", "severity": "nuke"},
        {"domain": "campus.test"},
    ):
        response = await client.post("/api/v1/admin/domain_blocks", headers=boss.headers, data=bad)
        assert response.status_code == 422, bad
    idn = await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "BÜCHER.example", "severity": "silence"},
    )
    assert idn.json()["domain"] == "xn--bcher-kva.example"
    updated = await client.put(
        f"/api/v1/admin/domain_blocks/{body['id']}",
        headers=boss.headers,
        data={"severity": "silence", "obfuscate": "1"},
    )
    assert updated.json()["severity"] == "silence" and updated.json()["obfuscate"] is True
    listed = await client.get("/api/v1/admin/domain_blocks", headers=boss.headers)
    assert {b["domain"] for b in listed.json()} == {"bad.example", "xn--bcher-kva.example"}
    assert (
        await client.delete(f"/api/v1/admin/domain_blocks/{body['id']}", headers=boss.headers)
    ).json() == {}
    assert (
        await client.get(f"/api/v1/admin/domain_blocks/{body['id']}", headers=boss.headers)
    ).status_code == 404


async def test_suspend_removes_follows_and_content_and_unblock_restores_accounts(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    boss = await admin(settings)
    student = await make_user(settings, "student")
    peer = await make_remote("someone", domain="evil.example")
    await Follow.create(account=student.account, target_account=peer.account)
    await Follow.create(account=peer.account, target_account=student.account)
    await Status.create(
        account=peer.account,
        uri="https://evil.example/notes/1",
        local=False,
        content="<p>x</p>",
        created_at=peer.account.created_at,
    )
    created = (
        await client.post(
            "/api/v1/admin/domain_blocks",
            headers=boss.headers,
            data={"domain": "evil.example", "severity": "suspend"},
        )
    ).json()
    await drain(app)
    gone = await Account.get(id=peer.account.id)
    assert gone.suspended_at is not None
    assert (
        await Follow.filter(account_id=peer.account.id).count() == 0
        and await Follow.filter(target_account_id=peer.account.id).count() == 0
    )
    assert await Status.filter(account_id=peer.account.id).count() == 0
    assert (await Account.get(id=student.account.id)).followers_count == 0
    await client.delete(f"/api/v1/admin/domain_blocks/{created['id']}", headers=boss.headers)
    await drain(app)
    assert (await Account.get(id=peer.account.id)).suspended_at is None


async def test_silence_hides_from_public_timelines(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    boss = await admin(settings)
    peer = await make_remote("loud", domain="loud.example")
    status = await Status.create(
        account=peer.account,
        uri="https://loud.example/notes/1",
        local=False,
        content="<p>shouting</p>",
        visibility="public",
        created_at=peer.account.created_at,
    )
    assert str(status.id) in [
        s["id"] for s in (await client.get("/api/v1/timelines/public")).json()
    ]
    await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "loud.example", "severity": "silence"},
    )
    await drain(app)
    assert (await Account.get(id=peer.account.id)).silenced_at is not None
    assert str(status.id) not in [
        s["id"] for s in (await client.get("/api/v1/timelines/public")).json()
    ]


@pytest.mark.parametrize(
    ("show", "anonymous", "signed_in"),
    [("all", 200, 200), ("users", 404, 200), ("disabled", 404, 404)],
)
async def test_public_list_visibility_and_obfuscation(
    client: httpx.AsyncClient, settings: Settings, app, show: str, anonymous: int, signed_in: int
) -> None:  # type: ignore[no-untyped-def]
    app.state.ctx.settings = settings.with_overrides(
        show_domain_blocks=show, show_domain_blocks_rationale="all"
    )
    boss = await admin(settings)
    await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={
            "domain": "hidden-name.example",
            "severity": "suspend",
            "obfuscate": "true",
            "public_comment": "why",
        },
    )
    await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "plain.example", "severity": "silence"},
    )
    await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "quiet.example", "severity": "noop", "reject_media": "1"},
    )
    assert (await client.get("/api/v1/instance/domain_blocks")).status_code == anonymous
    response = await client.get("/api/v1/instance/domain_blocks", headers=boss.headers)
    assert response.status_code == signed_in
    if signed_in == 200:
        entries = response.json()
        assert [e["severity"] for e in entries] == ["silence", "suspend"]
        assert (
            entries[1]["domain"] != "hidden-name.example"
            and "*" in entries[1]["domain"]
            and entries[1]["comment"] == "why"
        )
    published = await client.get("/blocklist.csv")
    assert published.status_code == (200 if show == "all" else 404)
    if show == "all":  # Mastodon's export, without the obfuscated entry
        assert published.text.splitlines() == [
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
            "plain.example,silence,false,false,,false",
            "quiet.example,noop,true,false,,false",
        ]


async def test_import_preview_then_apply_via_api(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    boss = await admin(settings)
    await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"domain": "known.example", "severity": "silence"},
    )
    csv = (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "known.example,suspend,false,false,upgraded,false\n"
        "NEW.example,silence,true,false,,false\n"
        "new.example,suspend,false,false,dup,false\n"
        "*.wild.example,suspend,false,false,,false\n"
        "ÜBER.example,suspend,false,false,,false\n"
        "broken row with spaces,suspend\n"
        "campus.test,suspend,false,false,,false\n"
    ).encode()
    files = {"domains": ("list.csv", csv, "text/csv")}
    preview = await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"import": "true", "dry_run": "true"},
        files=files,
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert {e["domain"] for e in body["added"]} == {
        "new.example",
        "wild.example",
        "xn--ber-goa.example",
    }
    assert [c["new"]["severity"] for c in body["changed"]] == ["suspend"]
    assert body["excluded"] == ["campus.test"] and body["problems"]
    assert await DomainBlock.all().count() == 1  # the preview applied nothing
    applied = await client.post(
        "/api/v1/admin/domain_blocks", headers=boss.headers, data={"import": "true"}, files=files
    )
    assert applied.status_code == 200
    blocks = {b.domain: b for b in await DomainBlock.all()}
    assert set(blocks) == {"known.example", "new.example", "wild.example", "xn--ber-goa.example"}
    assert (
        blocks["new.example"].severity == "suspend" and blocks["new.example"].reject_media is True
    )
    assert blocks["known.example"].severity == "suspend"
    html = await client.post(
        "/api/v1/admin/domain_blocks",
        headers=boss.headers,
        data={"import": "true"},
        files={"domains": ("x.csv", b"<html><body>Login</body></html>", "text/html")},
    )
    assert html.status_code == 422 and "HTML" in html.json()["error"]


async def test_allows_crud(client: httpx.AsyncClient, settings: Settings) -> None:
    boss = await admin(settings)
    created = (
        await client.post(
            "/api/v1/admin/domain_allows", headers=boss.headers, data={"domain": "friend.example"}
        )
    ).json()
    assert created["domain"] == "friend.example"
    assert [
        a["domain"]
        for a in (await client.get("/api/v1/admin/domain_allows", headers=boss.headers)).json()
    ] == ["friend.example"]
    assert (
        await client.get(f"/api/v1/admin/domain_allows/{created['id']}", headers=boss.headers)
    ).status_code == 200
    assert (
        await client.delete(f"/api/v1/admin/domain_allows/{created['id']}", headers=boss.headers)
    ).json() == {}

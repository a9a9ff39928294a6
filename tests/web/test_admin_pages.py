"""The admin area through the in-process client: who may see it, CSRF, import preview then
apply, drafts review, subscriptions and the federation page."""

from __future__ import annotations

import re

import httpx

from fedianon.models.moderation import BlocklistDraft, DomainBlock
from fedianon.settings import Settings
from tests.support.factories import PASSWORD, make_user


def csrf(html: str) -> str:
    match = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, handle: str) -> str:
    token = csrf((await client.get("/auth/sign_in")).text)
    assert (
        await client.post(
            "/auth/sign_in",
            data={"handle": handle, "password": PASSWORD, "authenticity_token": token},
        )
    ).status_code == 303
    page = await client.get("/auth/sign_out")  # any page with a form carries the session's token
    return csrf(page.text)


async def test_only_admins_see_the_admin_area(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.get("/admin")).status_code == 303
    await make_user(settings, "student")
    await sign_in(client, "student")
    response = await client.get("/admin/domain_blocks")
    assert response.status_code == 403 and "Only admins" in response.text


async def test_block_without_csrf_is_refused_and_with_it_works(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    refused = await client.post(
        "/admin/domain_blocks", data={"domain": "bad.example", "severity": "suspend"}
    )
    assert refused.status_code == 403 and await DomainBlock.all().count() == 0
    done = await client.post(
        "/admin/domain_blocks",
        data={"domain": "bad.example", "severity": "suspend", "authenticity_token": token},
    )
    assert done.status_code == 303
    page = await client.get("/admin/domain_blocks")
    assert "bad.example" in page.text
    invalid = await client.post(
        "/admin/domain_blocks",
        data={"domain": "not a domain", "severity": "suspend", "authenticity_token": token},
    )
    assert invalid.status_code == 422 and 'role="alert"' in invalid.text


async def test_import_shows_a_preview_before_applying(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    text = "one.example\nTWO.example\n# comment\nnot a domain\n"
    preview = await client.post("/admin/import", data={"text": text, "authenticity_token": token})
    assert (
        preview.status_code == 200
        and "2</strong> to add" in preview.text
        and "rows not usable" in preview.text
    )
    assert await DomainBlock.all().count() == 0
    import_token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    applied = await client.post(
        "/admin/import",
        data={
            "token": import_token,
            "filename": "pasted",
            "content_type": "text/plain",
            "authenticity_token": token,
        },
    )
    assert applied.status_code == 303
    assert {b.domain for b in await DomainBlock.all()} == {"one.example", "two.example"}
    again = await client.post(
        "/admin/import", data={"token": import_token, "authenticity_token": token}
    )
    assert again.status_code == 410
    html = await client.post(
        "/admin/import",
        data={"text": "<html><body>nope</body></html>", "authenticity_token": token},
    )
    assert html.status_code == 422 and "not a blocklist" in html.text
    export = await client.get("/admin/export.csv")
    assert export.text.startswith("#domain,#severity") and "one.example,suspend" in export.text


async def test_drafts_accept_and_reject_many(client: httpx.AsyncClient, settings: Settings) -> None:
    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    drafts = [
        await BlocklistDraft.create(domain=f"d{i}.example", severity="suspend") for i in range(4)
    ]
    page = await client.get("/admin/drafts")
    assert all(d.domain in page.text for d in drafts)
    none = await client.post(
        "/admin/drafts", data={"action": "accept", "authenticity_token": token}
    )
    assert none.status_code == 422
    accepted = await client.post(
        "/admin/drafts",
        data={
            "action": "accept",
            "draft_ids": [str(drafts[0].id), str(drafts[1].id)],
            "authenticity_token": token,
        },
    )
    assert accepted.status_code == 303
    rejected = await client.post(
        "/admin/drafts",
        data={
            "action": "reject_exclude",
            "draft_ids": [str(drafts[2].id)],
            "authenticity_token": token,
        },
    )
    assert rejected.status_code == 303
    assert {b.domain for b in await DomainBlock.all()} == {"d0.example", "d1.example"}
    assert [d.domain for d in await BlocklistDraft.all()] == ["d3.example"]
    assert "d2.example" in (await client.get("/admin/drafts")).text  # now an exclude


async def test_federation_and_subscription_pages_render(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "campus_admin", role="admin")
    await sign_in(client, "campus_admin")
    for path in ("/admin", "/admin/subscriptions", "/admin/federation", "/admin/import"):
        page = await client.get(path)
        assert page.status_code == 200 and 'name="viewport"' in page.text, path

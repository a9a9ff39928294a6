"""The admin area through the in-process client: who may see it, CSRF, import preview then
apply, drafts review, subscriptions, the federation page, and invalid forms shown again with
their error."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

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


async def test_moderator_handles_a_report_in_the_admin_area(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from fedianon.models.accounts import Account
    from fedianon.models.moderation import Report

    student = await make_user(settings, "student", scopes="read write")
    troll = await make_user(settings, "troll")
    status = (
        await client.post(
            "/api/v1/statuses", headers=troll.headers, data={"status": "something nasty"}
        )
    ).json()
    filed = await client.post(
        "/api/v1/reports",
        headers=student.headers,
        data={
            "account_id": str(troll.account.id),
            "status_ids[]": status["id"],
            "comment": "please look",
        },
    )
    assert filed.status_code == 200, filed.text
    await make_user(settings, "mod_one", role="moderator")
    token = await sign_in(client, "mod_one")
    assert (await client.get("/admin")).status_code == 200
    assert (await client.get("/admin/domain_blocks")).status_code == 403  # federation is for admins
    queue = await client.get("/admin/reports")
    assert "troll" in queue.text and "please look" in queue.text
    report = await Report.get(target_account_id=troll.account.id)
    page = await client.get(f"/admin/reports/{report.id}")
    assert "something nasty" in page.text and "@student" in page.text
    acted = await client.post(
        f"/admin/reports/{report.id}",
        data={
            "action": "account_action",
            "type": "suspend",
            "text": "rule 1",
            "authenticity_token": token,
        },
    )
    assert acted.status_code == 303
    assert (await Account.get(id=troll.account.id)).suspended_at is not None
    assert (await Report.get(id=report.id)).action_taken_at is not None
    reopened = await client.post(
        f"/admin/reports/{report.id}", data={"action": "reopen", "authenticity_token": token}
    )
    assert reopened.status_code == 303 and (await Report.get(id=report.id)).action_taken_at is None
    forged = await client.post(f"/admin/reports/{report.id}", data={"action": "resolve"})
    assert forged.status_code == 403


async def test_invalid_admin_forms_rerender_the_page_with_the_error(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    """An invalid submission on the domain-block edit page or on the federation page shows
    that same page again, with everything its GET shows, a 4xx status and the error, instead
    of crashing (or rendering the page without its data)."""
    from fedianon.jobs import queue
    from fedianon.models.federation import Instance, Job
    from fedianon.models.social import FollowRequest
    from tests.support.factories import make_remote

    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    created = await client.post(
        "/admin/domain_blocks",
        data={
            "domain": "bad.example",
            "severity": "suspend",
            "public_comment": "spam",
            "authenticity_token": token,
        },
    )
    assert created.status_code == 303
    block = await DomainBlock.get(domain="bad.example")

    invalid = await client.post(
        f"/admin/domain_blocks/{block.id}",
        data={
            "action": "save",
            "severity": "banish",
            "public_comment": "changed",
            "authenticity_token": token,
        },
    )
    assert invalid.status_code == 422, invalid.text
    assert (
        '<p class="error" role="alert" id="form-error">'
        "Validation failed: Severity must be one of silence, suspend, noop</p>"
    ) in invalid.text
    # The edit page itself, its form ready to correct and resubmit.
    assert "<h1>bad.example</h1>" in invalid.text
    assert f'action="/admin/domain_blocks/{block.id}"' in invalid.text
    assert csrf(invalid.text) == token
    unchanged = await DomainBlock.get(id=block.id)
    assert (unchanged.severity, unchanged.public_comment) == ("suspend", "spam")

    # The federation page has something in each of its sections.
    peer = await make_remote("relay", "peer.example")
    pending = await FollowRequest.create(
        account=peer.account,
        target_account=app.state.ctx.extras["instance_actor"],
        uri="https://peer.example/follows/1",
    )
    dead = await queue.enqueue("ap.deliver", {"inbox": "https://gone.example/inbox"})
    await Job.filter(id=dead.id).update(state="dead", last_error="connection refused")
    await Instance.create(domain="gone.example", failure_count=7)
    for action in ("approve_peer", "reject_peer"):
        unknown = await client.post(
            "/admin/federation",
            data={"action": action, "request_id": str(pending.id + 1), "authenticity_token": token},
        )
        assert unknown.status_code == 404, unknown.text
        assert '<p class="error" role="alert" id="form-error">Record not found</p>' in unknown.text
        assert "<h1>Blocklist peers</h1>" in unknown.text  # the federation page itself
        assert (
            f'name="request_id" value="{pending.id}"' in unknown.text
            and csrf(unknown.text) == token
        )
        assert "relay@peer.example" in unknown.text
        assert "https://gone.example/inbox" in unknown.text and "connection refused" in unknown.text
        assert "<td>gone.example</td><td>7</td>" in unknown.text
    assert await FollowRequest.filter(id=pending.id).exists()  # the real request is untouched


@pytest.mark.parametrize(
    ("page", "form"),
    [
        ("/admin/domain_blocks", {"action": "remove_allow", "allow_id": "abc"}),
        ("/admin/subscriptions", {"action": "refresh", "subscription_id": "1 OR 1=1"}),
        (
            "/admin/subscriptions",
            {"action": "create", "uri": "https://x.example/l.csv", "priority": "high"},
        ),
        ("/admin/drafts", {"action": "remove_exclude", "exclude_id": "-3"}),
        ("/admin/federation", {"action": "retry", "job_id": "abc"}),
        ("/admin/federation", {"action": "approve_peer", "request_id": ""}),
    ],
)
async def test_a_malformed_number_in_an_admin_form_is_a_clear_error(
    client: httpx.AsyncClient, settings: Settings, page: str, form: dict[str, str]
) -> None:
    """Ids and priorities posted by hand (or by a stale page) are checked, not crashed on."""
    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    response = await client.post(page, data={**form, "authenticity_token": token})
    assert response.status_code == 422, response.text
    assert '<p class="error" role="alert" id="form-error">Validation failed: ' in response.text
    assert "must be a whole number" in response.text
    assert f'action="{page}"' in response.text or page == "/admin/federation"  # the page again


async def test_retrying_a_job_that_is_gone_says_so(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(settings, "campus_admin", role="admin")
    token = await sign_in(client, "campus_admin")
    response = await client.post(
        "/admin/federation",
        data={"action": "retry", "job_id": "12345", "authenticity_token": token},
    )
    assert response.status_code == 404
    assert "That job no longer exists" in response.text

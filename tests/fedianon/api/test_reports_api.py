"""Reports through the client API (`POST /api/v1/reports`) and the moderators' admin API
(`/api/v1/admin/reports`): entity shapes, notifications, anonymous forwarding, bad input."""

from __future__ import annotations

import json
from typing import Any

import httpx

from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.moderation import AdminAction, Report
from fedianon.models.statuses import Status
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.support.factories import User, make_remote, make_user

ADMIN_SCOPES = "read write follow push admin:read admin:write"


async def _post(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={"status": text, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _remote_status(account: Account, number: int, visibility: str = "public") -> Status:
    return await Status.create(
        account=account,
        uri=f"{account.uri}/statuses/{number}",
        url=f"{account.url}/{number}",
        local=False,
        content=f"<p>remote post {number}</p>",
        visibility=visibility,
        created_at=utcnow(),
    )


async def _report(
    client: httpx.AsyncClient, user: User, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    return await client.post("/api/v1/reports", headers=user.headers, data=data, **kwargs)


async def test_a_report_with_statuses_notifies_every_moderator(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    mod = await make_user(settings, "moira", role="moderator")
    admin = await make_user(settings, "ada", role="admin")
    post = await _post(client, bob, "something rude")
    response = await _report(
        client,
        alice,
        {
            "account_id": str(bob.account.id),
            "status_ids[]": [post["id"]],
            "comment": "please look",
            "category": "spam",
        },
    )
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["status_ids"] == [post["id"]] and entity["rule_ids"] is None
    assert entity["category"] == "spam" and entity["comment"] == "please look"
    assert entity["action_taken"] is False and entity["action_taken_at"] is None
    assert entity["forwarded"] is False and entity["target_account"]["id"] == str(bob.account.id)
    assert entity["created_at"].endswith("Z")

    for staff in (mod, admin):
        notifications = (await client.get("/api/v1/notifications", headers=staff.headers)).json()
        reports = [n for n in notifications if n["type"] == "admin.report"]
        assert len(reports) == 1
        assert reports[0]["account"]["id"] == str(alice.account.id)
        assert reports[0]["report"] == entity
    for plain in (alice, bob):
        notifications = (await client.get("/api/v1/notifications", headers=plain.headers)).json()
        assert not [n for n in notifications if n["type"] == "admin.report"]


async def test_mastodon_py_style_json_and_trailing_slash(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    response = await client.post(
        "/api/v1/reports/",
        headers=alice.headers,
        json={"account_id": bob.account.id, "comment": "json body", "forward": False},
    )
    assert response.status_code == 200, response.text
    assert response.json()["category"] == "other" and response.json()["status_ids"] == []


async def test_forwarding_to_a_remote_server_names_nobody(
    client: httpx.AsyncClient, settings: Settings, app
) -> None:  # type: ignore[no-untyped-def]
    student = await make_user(settings, "student")
    remote = await make_remote("troll", "peer.example")
    first, second = (
        await _remote_status(remote.account, 1),
        await _remote_status(remote.account, 2),
    )
    response = await _report(
        client,
        student,
        {
            "account_id": str(remote.account.id),
            "status_ids[]": [str(first.id), str(second.id)],
            "comment": "harassment in replies",
            "forward": "true",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["forwarded"] is True
    report = await Report.get(id=int(response.json()["id"]))
    assert report.forwarded and report.uri and report.uri.startswith("https://campus.test/")

    jobs = await Job.filter(kind="ap.fanout")
    assert len(jobs) == 1
    payload = jobs[0].payload
    activity = payload["activity"]
    instance_actor = app.state.ctx.extras["instance_actor"]
    assert payload["actor_id"] == instance_actor.id
    assert payload["account_ids"] == [remote.account.id]
    assert activity["type"] == "Flag" and activity["actor"] == "https://campus.test/actor"
    assert activity["object"] == [remote.uri, first.uri, second.uri]
    assert activity["content"] == "harassment in replies"
    assert activity["id"] == report.uri
    text = json.dumps(payload)
    for trace in (student.account.uri, "student", str(student.account.id)):
        assert trace not in text


async def test_no_forward_unless_asked_or_for_local_accounts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    remote = await make_remote("someone", "peer.example")
    quiet = await _report(client, alice, {"account_id": str(remote.account.id)})
    local = await _report(client, alice, {"account_id": str(bob.account.id), "forward": "true"})
    assert quiet.json()["forwarded"] is False and local.json()["forwarded"] is False
    assert not await Job.filter(kind="ap.fanout").exists()


async def test_bad_reports_are_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    carol = await make_user(settings, "carol")
    carols = await _post(client, carol, "carol's post")
    bobs_private = await _post(client, bob, "followers only", visibility="private")
    bob_id = str(bob.account.id)

    unknown = await _report(client, alice, {"account_id": "987654321"})
    assert unknown.status_code == 404 and unknown.json() == {"error": "Record not found"}
    malformed = await _report(client, alice, {"account_id": "not-an-id"})
    assert malformed.status_code == 404
    missing = await _report(client, alice, {"comment": "no account"})
    assert missing.status_code == 422

    other = await _report(client, alice, {"account_id": bob_id, "status_ids[]": [carols["id"]]})
    assert other.status_code == 422 and "reported account" in other.json()["error"]
    hidden = await _report(
        client, alice, {"account_id": bob_id, "status_ids[]": [bobs_private["id"]]}
    )
    assert hidden.status_code == 422
    junk = await _report(client, alice, {"account_id": bob_id, "status_ids[]": ["x1"]})
    assert junk.status_code == 422

    too_long = await _report(client, alice, {"account_id": bob_id, "comment": "x" * 1001})
    assert too_long.status_code == 422
    assert too_long.json()["error"] == (
        "Validation failed: Comment is too long (maximum is 1000 characters)"
    )
    just_right = await _report(client, alice, {"account_id": bob_id, "comment": "x" * 1000})
    assert just_right.status_code == 200

    myself = await _report(client, alice, {"account_id": str(alice.account.id)})
    assert myself.status_code == 422
    category = await _report(client, alice, {"account_id": bob_id, "category": "boring"})
    assert category.status_code == 422
    rules = await _report(client, alice, {"account_id": bob_id, "rule_ids[]": ["1"]})
    assert rules.status_code == 422

    assert await Report.all().count() == 1

    no_token = await client.post("/api/v1/reports", data={"account_id": bob_id})
    assert no_token.status_code == 401
    reader = await make_user(settings, "reader", scopes="read")
    no_scope = await _report(client, reader, {"account_id": bob_id})
    assert no_scope.status_code == 403


# --- admin API -----------------------------------------------------------------------------


async def _file(client: httpx.AsyncClient, reporter: User, target: User, **extra: Any) -> str:
    response = await _report(client, reporter, {"account_id": str(target.account.id), **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def test_non_staff_cannot_use_the_admin_api(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice", scopes=ADMIN_SCOPES)
    bob = await make_user(settings, "bob")
    report_id = await _file(client, alice, bob)
    for method, path in (
        ("GET", "/api/v1/admin/reports"),
        ("GET", f"/api/v1/admin/reports/{report_id}"),
        ("PUT", f"/api/v1/admin/reports/{report_id}"),
        ("POST", f"/api/v1/admin/reports/{report_id}/resolve"),
        ("POST", f"/api/v1/admin/reports/{report_id}/assign_to_self"),
    ):
        response = await client.request(method, path, headers=alice.headers)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "This action is not allowed"}
    assert (await Report.get(id=int(report_id))).action_taken_at is None

    mod_without_scope = await make_user(settings, "moira", role="moderator")
    response = await client.get("/api/v1/admin/reports", headers=mod_without_scope.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


async def test_admin_report_entity_and_the_moderator_steps(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    mod = await make_user(settings, "moira", role="moderator", scopes=ADMIN_SCOPES)
    private = await _post(client, bob, "followers only", visibility="private")
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    report_id = await _file(client, alice, bob, comment="look", **{"status_ids[]": private["id"]})

    shown = await client.get(f"/api/v1/admin/reports/{report_id}", headers=mod.headers)
    assert shown.status_code == 200, shown.text
    entity = shown.json()
    assert set(entity) == {
        "id",
        "action_taken",
        "action_taken_at",
        "category",
        "comment",
        "forwarded",
        "created_at",
        "updated_at",
        "account",
        "target_account",
        "assigned_account",
        "action_taken_by_account",
        "statuses",
        "rules",
    }
    assert entity["account"]["id"] == str(alice.account.id)
    assert entity["account"]["username"] == "alice" and entity["account"]["domain"] is None
    assert entity["account"]["email"] == "" and entity["account"]["ip"] is None
    assert entity["account"]["account"]["acct"] == "alice"
    assert entity["target_account"]["id"] == str(bob.account.id)
    assert entity["assigned_account"] is None and entity["action_taken_by_account"] is None
    # The moderator sees the reported status though it is followers-only.
    assert [s["id"] for s in entity["statuses"]] == [private["id"]]
    assert entity["rules"] == [] and entity["comment"] == "look"

    def step(name: str):  # type: ignore[no-untyped-def]
        return client.post(f"/api/v1/admin/reports/{report_id}/{name}", headers=mod.headers)

    assigned = (await step("assign_to_self")).json()
    assert assigned["assigned_account"]["id"] == str(mod.account.id)
    assert (await step("unassign")).json()["assigned_account"] is None
    resolved = (await step("resolve")).json()
    assert resolved["action_taken"] is True and resolved["action_taken_at"]
    assert resolved["action_taken_by_account"]["id"] == str(mod.account.id)
    reopened = (await step("reopen")).json()
    assert reopened["action_taken"] is False and reopened["action_taken_by_account"] is None

    updated = await client.put(
        f"/api/v1/admin/reports/{report_id}", headers=mod.headers, data={"category": "legal"}
    )
    assert updated.status_code == 200 and updated.json()["category"] == "legal"
    bad = await client.put(
        f"/api/v1/admin/reports/{report_id}", headers=mod.headers, data={"category": "nope"}
    )
    assert bad.status_code == 422
    bad_rules = await client.put(
        f"/api/v1/admin/reports/{report_id}", headers=mod.headers, data={"rule_ids[]": "7"}
    )
    assert bad_rules.status_code == 422

    actions = await AdminAction.filter(account_id=mod.account.id).order_by("id")
    assert [a.action for a in actions] == [
        "assigned_to_self",
        "unassigned",
        "resolve",
        "reopen",
        "update",
    ]
    assert {a.target_type for a in actions} == {"Report"}
    assert {a.target_id for a in actions} == {report_id}

    missing = await client.get("/api/v1/admin/reports/12345", headers=mod.headers)
    assert missing.status_code == 404
    missing_step = await client.post("/api/v1/admin/reports/12345/resolve", headers=mod.headers)
    assert missing_step.status_code == 404


async def test_admin_report_list_filters_and_paging(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob, carol = (
        await make_user(settings, "alice"),
        await make_user(settings, "bob"),
        await make_user(settings, "carol"),
    )
    admin = await make_user(settings, "ada", role="admin", scopes=ADMIN_SCOPES)
    first = await _file(client, alice, bob)
    second = await _file(client, carol, bob)
    third = await _file(client, alice, carol)
    await client.post(f"/api/v1/admin/reports/{first}/resolve", headers=admin.headers)

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/v1/admin/reports", headers=admin.headers, params=params)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()]

    assert await ids() == [third, second]
    assert await ids(resolved="true") == [first]
    assert await ids(resolved="true", unresolved="true") == [third, second, first]
    assert await ids(account_id=str(alice.account.id)) == [third]
    assert await ids(target_account_id=str(bob.account.id)) == [second]
    assert await ids(target_account_id=str(bob.account.id), resolved="true") == [first]

    page = await client.get("/api/v1/admin/reports", headers=admin.headers, params={"limit": 1})
    assert [r["id"] for r in page.json()] == [third]
    link = page.headers["link"]
    assert f"max_id={third}" in link and 'rel="next"' in link
    following = await client.get(
        "/api/v1/admin/reports", headers=admin.headers, params={"limit": 1, "max_id": third}
    )
    assert [r["id"] for r in following.json()] == [second]

    bad = await client.get(
        "/api/v1/admin/reports", headers=admin.headers, params={"account_id": "abc"}
    )
    assert bad.status_code == 400


async def test_forward_to_domains_reaches_the_servers_replied_to(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Mastodon's forward_to_domains: the Flag also goes to the servers of the accounts the
    reported posts answer, when listed; without the reported account's own domain in the
    list, its server is skipped."""
    student = await make_user(settings, "student")
    troll = await make_remote("troll", "peer.example")
    victim = await make_remote("victim", "other.example")
    bystander = await make_remote("bystander", "third.example")
    reply = await _remote_status(troll.account, 1)
    aside = await _remote_status(troll.account, 2)
    await Status.filter(id=reply.id).update(in_reply_to_account_id=victim.account.id)
    await Status.filter(id=aside.id).update(in_reply_to_account_id=bystander.account.id)

    async def flagged(domains: list[str] | None) -> list[int]:
        await Job.filter(kind="ap.fanout").delete()
        data: dict[str, Any] = {
            "account_id": str(troll.account.id),
            "status_ids[]": [str(reply.id), str(aside.id)],
            "forward": "true",
        }
        if domains is not None:
            data["forward_to_domains[]"] = domains
        response = await _report(client, student, data)
        assert response.status_code == 200, response.text
        jobs = await Job.filter(kind="ap.fanout")
        assert response.json()["forwarded"] is bool(jobs)
        return jobs[0].payload["account_ids"] if jobs else []

    assert await flagged(None) == [troll.account.id]
    assert await flagged(["peer.example", "Other.Example"]) == sorted(
        [troll.account.id, victim.account.id]
    )
    assert await flagged(["other.example"]) == [victim.account.id]
    assert await flagged(["nowhere.example"]) == []

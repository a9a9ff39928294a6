"""The admin accounts API (`/api/v1/admin/accounts`, `/api/v2/admin/accounts`): the lists,
the Admin::Account entity (no address of any kind), every action with what it enforces, the
audit log, the reports an action resolves, and the bad input."""

from __future__ import annotations

import json
from typing import Any

import httpx

from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.moderation import AdminAction, Report
from fedianon.models.social import Follow, FollowRequest
from fedianon.models.statuses import Status
from fedianon.settings import Settings
from tests.support.factories import User, make_remote, make_user

ADMIN_SCOPES = "read write follow push admin:read admin:write"


async def _staff(settings: Settings) -> tuple[User, User]:
    admin = await make_user(settings, "ada", role="admin", scopes=ADMIN_SCOPES)
    moderator = await make_user(settings, "moira", role="moderator", scopes=ADMIN_SCOPES)
    return admin, moderator


async def _action(
    client: httpx.AsyncClient, staff: User, account_id: int, **data: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/accounts/{account_id}/action", headers=staff.headers, data=data
    )


async def _post(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={"status": text, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _file(client: httpx.AsyncClient, reporter: User, target_id: int) -> int:
    response = await client.post(
        "/api/v1/reports", headers=reporter.headers, data={"account_id": str(target_id)}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


async def test_admin_account_entity_shows_no_address(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, _ = await _staff(settings)
    alice = await make_user(settings, "alice")
    await Account.filter(id=alice.account.id).update(email_digest="d" * 64)
    remote = await make_remote("rita", "peer.example")
    local = (
        await client.get(f"/api/v1/admin/accounts/{alice.account.id}", headers=admin.headers)
    ).json()
    assert set(local) == {
        "id",
        "username",
        "domain",
        "created_at",
        "email",
        "ip",
        "ips",
        "locale",
        "invite_request",
        "role",
        "confirmed",
        "approved",
        "disabled",
        "silenced",
        "suspended",
        "sensitized",
        "account",
    }
    assert local["email"] == "" and local["ip"] is None and local["ips"] == []
    assert "d" * 64 not in json.dumps(local)
    assert local["username"] == "alice" and local["domain"] is None
    assert local["role"]["id"] == "-99" and local["confirmed"] and local["approved"]
    assert local["account"]["acct"] == "alice"
    assert not any(local[k] for k in ("disabled", "silenced", "suspended", "sensitized"))
    far = (
        await client.get(f"/api/v1/admin/accounts/{remote.account.id}", headers=admin.headers)
    ).json()
    assert far["email"] is None and far["domain"] == "peer.example" and far["role"] is None
    assert far["account"]["acct"] == "rita@peer.example"


async def test_account_lists_v1_and_v2(client: httpx.AsyncClient, settings: Settings) -> None:
    admin, moderator = await _staff(settings)
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    remote = await make_remote("rita", "peer.example")
    await make_remote("otto", "other.example")
    await Account.filter(id=bob.account.id).update(suspended_at=bob.account.created_at)
    await Account.filter(id=alice.account.id).update(silenced_at=alice.account.created_at)

    async def names(path: str, **params: Any) -> list[str]:
        response = await client.get(path, headers=admin.headers, params=params)
        assert response.status_code == 200, response.text
        return sorted(a["account"]["acct"] for a in response.json())

    v1, v2 = "/api/v1/admin/accounts", "/api/v2/admin/accounts"
    # v1: local and active by default; the instance actor is never listed.
    assert await names(v1) == ["ada", "alice", "moira"]
    assert await names(v1, remote="true") == ["otto@other.example", "rita@peer.example"]
    assert await names(v1, suspended="true") == ["bob"]
    assert await names(v1, silenced="true") == ["alice"]
    assert await names(v1, staff="true") == ["ada", "moira"]
    assert await names(v1, username="AL") == ["alice"]
    assert await names(v1, remote="true", by_domain="PEER.example") == ["rita@peer.example"]
    assert await names(v1, pending="true") == []
    assert await names(v1, email="alice@campus.test") == []
    assert await names(v1, ip="127.0.0.1") == []

    every = ["ada", "alice", "bob", "moira", "otto@other.example", "rita@peer.example"]
    assert await names(v2) == every
    assert await names(v2, origin="remote") == ["otto@other.example", "rita@peer.example"]
    assert await names(v2, origin="local", status="active") == ["ada", "alice", "moira"]
    assert await names(v2, status="suspended") == ["bob"]
    assert await names(v2, permissions="staff") == ["ada", "moira"]
    assert await names(v2, **{"role_ids[]": "2"}) == ["moira"]
    assert await names(v2, by_domain="peer.example") == ["rita@peer.example"]
    assert await names(v2, email="x@y.z") == []

    page = await client.get(v2, headers=admin.headers, params={"limit": 2})
    assert len(page.json()) == 2 and 'rel="next"' in page.headers["link"]
    oldest = page.json()[-1]["id"]
    rest = await client.get(v2, headers=admin.headers, params={"max_id": oldest})
    assert len(rest.json()) == len(every) - 2

    for params in ({"origin": "mars"}, {"status": "sleepy"}, {"permissions": "root"}):
        assert (await client.get(v2, headers=admin.headers, params=params)).status_code == 422
    assert (await client.get(v1, headers=moderator.headers)).status_code == 200
    assert remote.account.id


async def test_non_staff_and_rank_rules(client: httpx.AsyncClient, settings: Settings) -> None:
    admin, moderator = await _staff(settings)
    alice = await make_user(settings, "alice", scopes=ADMIN_SCOPES)
    bob = await make_user(settings, "bob")
    for method, path in (
        ("GET", "/api/v1/admin/accounts"),
        ("GET", "/api/v2/admin/accounts"),
        ("GET", f"/api/v1/admin/accounts/{bob.account.id}"),
        ("POST", f"/api/v1/admin/accounts/{bob.account.id}/action"),
        ("POST", f"/api/v1/admin/accounts/{bob.account.id}/unsuspend"),
        ("DELETE", f"/api/v1/admin/accounts/{bob.account.id}"),
    ):
        response = await client.request(method, path, headers=alice.headers)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "This action is not allowed"}
    # A moderator cannot act on an admin or on another moderator, nor anyone on themselves.
    assert (await _action(client, moderator, admin.account.id, type="suspend")).status_code == 403
    other_mod = await make_user(settings, "mona", role="moderator")
    assert (
        await _action(client, moderator, other_mod.account.id, type="silence")
    ).status_code == 403
    assert (await _action(client, admin, admin.account.id, type="silence")).status_code == 403
    assert (await _action(client, admin, other_mod.account.id, type="silence")).status_code == 200
    assert not await AdminAction.filter(account_id=moderator.account.id).exists()
    # The instance actor is not an account moderators can see.
    actor_id = (await Account.get(actor_type="Application", domain=None)).id
    response = await client.get(f"/api/v1/admin/accounts/{actor_id}", headers=admin.headers)
    assert response.status_code == 404


async def test_bad_actions(client: httpx.AsyncClient, settings: Settings) -> None:
    admin, _ = await _staff(settings)
    bob, carol = await make_user(settings, "bob"), await make_user(settings, "carol")
    remote = await make_remote("rita", "peer.example")
    carols_report = await _file(client, bob, carol.account.id)
    unknown = await _action(client, admin, bob.account.id, type="banish")
    assert unknown.status_code == 422 and "Type must be one of" in unknown.json()["error"]
    assert (await _action(client, admin, bob.account.id)).status_code == 422
    assert (await _action(client, admin, 999999, type="silence")).status_code == 404
    assert (
        await _action(client, admin, bob.account.id, type="none", report_id="424242")
    ).status_code == 404
    assert (
        await _action(client, admin, bob.account.id, type="none", report_id=str(carols_report))
    ).status_code == 422
    assert (await _action(client, admin, remote.account.id, type="disable")).status_code == 422
    bob_now = await Account.get(id=bob.account.id)
    assert bob_now.silenced_at is None and bob_now.suspended_at is None
    assert not await AdminAction.exists()
    for name in ("approve", "reject"):
        response = await client.post(
            f"/api/v1/admin/accounts/{bob.account.id}/{name}", headers=admin.headers
        )
        assert response.status_code == 403


async def test_a_warning_resolves_only_its_report_an_action_resolves_all(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _admin, moderator = await _staff(settings)
    alice, bob, carol = (
        await make_user(settings, "alice"),
        await make_user(settings, "bob"),
        await make_user(settings, "carol"),
    )
    first = await _file(client, alice, bob.account.id)
    second = await _file(client, carol, bob.account.id)
    unrelated = await _file(client, alice, carol.account.id)

    warned = await _action(
        client, moderator, bob.account.id, type="none", report_id=str(first), text="be nice"
    )
    assert warned.status_code == 200 and warned.json() == {}
    open_ids = set(await Report.filter(action_taken_at__isnull=True).values_list("id", flat=True))
    assert open_ids == {second, unrelated}

    silenced = await _action(client, moderator, bob.account.id, type="silence")
    assert silenced.status_code == 200
    assert set(await Report.filter(action_taken_at__isnull=True).values_list("id", flat=True)) == {
        unrelated
    }
    resolved = await Report.get(id=second)
    assert resolved.action_taken_by_account_id == moderator.account.id  # type: ignore[attr-defined]

    log = await AdminAction.filter(account_id=moderator.account.id).order_by("id")
    assert [(a.action, a.target_type) for a in log] == [
        ("warn", "Account"),
        ("resolve", "Report"),
        ("silence", "Account"),
        ("resolve", "Report"),
    ]
    assert log[0].text == "be nice" and log[0].target_id == str(bob.account.id)


async def test_suspend_and_unsuspend_a_local_account(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, _ = await _staff(settings)
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    post = await _post(client, bob, "bob was here #campus")
    assert (await _action(client, admin, bob.account.id, type="suspend")).status_code == 200

    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    ).status_code == 401
    lookup = await client.get("/api/v1/accounts/lookup", params={"acct": "bob"})
    assert lookup.status_code == 404
    assert (
        await client.get(f"/api/v1/statuses/{post['id']}", headers=alice.headers)
    ).status_code == 404
    public = (await client.get("/api/v1/timelines/public", headers=alice.headers)).json()
    assert post["id"] not in [s["id"] for s in public]
    tag = (await client.get("/api/v1/timelines/tag/campus", headers=alice.headers)).json()
    assert post["id"] not in [s["id"] for s in tag]
    found = (await client.get("/api/v2/search", headers=alice.headers, params={"q": "bob"})).json()
    assert not found["accounts"]
    actor = await client.get("/users/bob", headers={"Accept": "application/activity+json"})
    assert actor.status_code == 200 and actor.json()["suspended"] is True  # as Mastodon serves it
    assert actor.json()["name"] == "" and "icon" not in actor.json()
    shown = (
        await client.get(f"/api/v1/admin/accounts/{bob.account.id}", headers=admin.headers)
    ).json()
    assert shown["suspended"] is True and shown["account"]["suspended"] is True

    restored = await client.post(
        f"/api/v1/admin/accounts/{bob.account.id}/unsuspend", headers=admin.headers
    )
    assert restored.status_code == 200 and restored.json()["suspended"] is False
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/statuses/{post['id']}", headers=alice.headers)
    ).status_code == 200
    assert [a.action for a in await AdminAction.all().order_by("id")] == ["suspend", "unsuspend"]


async def test_suspending_a_remote_account_ends_its_follows_both_ways(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, _ = await _staff(settings)
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    remote = await make_remote("rita", "peer.example")
    carl = await make_remote("carl", "peer.example")
    await Follow.create(
        account=remote.account, target_account=alice.account, uri="https://peer.example/f/1"
    )
    await Follow.create(
        account=alice.account, target_account=remote.account, uri="https://campus.test/follows/9"
    )
    await FollowRequest.create(
        account=bob.account, target_account=remote.account, uri="https://campus.test/follows/10"
    )
    await Follow.create(
        account=carl.account, target_account=alice.account, uri="https://peer.example/f/2"
    )
    await Job.all().delete()

    assert (await _action(client, admin, remote.account.id, type="suspend")).status_code == 200
    assert not await Follow.filter(account_id=remote.account.id).exists()
    assert not await Follow.filter(target_account_id=remote.account.id).exists()
    assert not await FollowRequest.exists()
    assert await Follow.filter(account_id=carl.account.id).exists()

    jobs = await Job.filter(kind="ap.fanout").order_by("id")
    sent = sorted(
        (j.payload["activity"]["type"], j.payload["activity"]["object"]["type"]) for j in jobs
    )
    assert sent == [("Reject", "Follow"), ("Undo", "Follow"), ("Undo", "Follow")]
    assert all(j.payload["inboxes"] == ["https://peer.example/inbox"] for j in jobs)

    await client.post(
        f"/api/v1/admin/accounts/{remote.account.id}/unsuspend", headers=admin.headers
    )
    assert (await Account.get(id=remote.account.id)).suspended_at is None


async def test_silence_hides_from_public_timelines_and_from_strangers_notifications(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, _ = await _staff(settings)
    alice, bob, carol = (
        await make_user(settings, "alice"),
        await make_user(settings, "bob"),
        await make_user(settings, "carol"),
    )
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=carol.headers)
    assert (await _action(client, admin, bob.account.id, type="silence")).status_code == 200
    post = await _post(client, bob, "hello @alice and @carol")
    public = (await client.get("/api/v1/timelines/public", headers=alice.headers)).json()
    assert post["id"] not in [s["id"] for s in public]
    alice_sees = (await client.get("/api/v1/notifications", headers=alice.headers)).json()
    carol_sees = (await client.get("/api/v1/notifications", headers=carol.headers)).json()
    assert not [n for n in alice_sees if n["type"] == "mention"]
    assert [n["status"]["id"] for n in carol_sees if n["type"] == "mention"] == [post["id"]]
    # Still visible by a direct lookup (silence is not suspension).
    assert (
        await client.get(f"/api/v1/statuses/{post['id']}", headers=alice.headers)
    ).status_code == 200

    undone = await client.post(
        f"/api/v1/admin/accounts/{bob.account.id}/unsilence", headers=admin.headers
    )
    assert undone.json()["silenced"] is False
    public = (await client.get("/api/v1/timelines/public", headers=alice.headers)).json()
    assert post["id"] in [s["id"] for s in public]


async def test_disable_and_enable(client: httpx.AsyncClient, settings: Settings) -> None:
    admin, _ = await _staff(settings)
    bob = await make_user(settings, "bob")
    assert (await _action(client, admin, bob.account.id, type="disable")).status_code == 200
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    ).status_code == 401
    shown = (
        await client.get(f"/api/v1/admin/accounts/{bob.account.id}", headers=admin.headers)
    ).json()
    assert shown["disabled"] is True
    enabled = await client.post(
        f"/api/v1/admin/accounts/{bob.account.id}/enable", headers=admin.headers
    )
    assert enabled.json()["disabled"] is False
    assert (
        await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)
    ).status_code == 200


async def test_sensitive_marks_statuses_for_everyone_but_the_author(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, _ = await _staff(settings)
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    post = await _post(client, bob, "a picture, allegedly")
    assert (await _action(client, admin, bob.account.id, type="sensitive")).status_code == 200
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", headers=alice.headers)).json()
    own = (await client.get(f"/api/v1/statuses/{post['id']}", headers=bob.headers)).json()
    assert seen["sensitive"] is True and own["sensitive"] is False
    undone = await client.post(
        f"/api/v1/admin/accounts/{bob.account.id}/unsensitive", headers=admin.headers
    )
    assert undone.json()["sensitized"] is False
    seen = (await client.get(f"/api/v1/statuses/{post['id']}", headers=alice.headers)).json()
    assert seen["sensitive"] is False


async def test_delete_only_suspended_accounts_and_only_by_admins(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    admin, moderator = await _staff(settings)
    bob = await make_user(settings, "bob")
    remote = await make_remote("rita", "peer.example")
    await Status.create(
        account=remote.account,
        uri="https://peer.example/users/rita/statuses/1",
        local=False,
        content="<p>hi</p>",
        created_at=remote.account.created_at,
    )
    await _post(client, bob, "soon gone")

    def delete(staff: User, account_id: int):  # type: ignore[no-untyped-def]
        return client.delete(f"/api/v1/admin/accounts/{account_id}", headers=staff.headers)

    assert (await delete(admin, bob.account.id)).status_code == 403  # not suspended
    await _action(client, admin, bob.account.id, type="suspend")
    await _action(client, admin, remote.account.id, type="suspend")
    assert (await delete(moderator, bob.account.id)).status_code == 403  # not an admin
    gone = await delete(admin, bob.account.id)
    assert gone.status_code == 200 and gone.json()["suspended"] is True
    tombstone = await Account.get(id=bob.account.id)
    assert tombstone.deleted_at is not None and tombstone.password_hash is None
    assert not await Status.filter(account_id=bob.account.id).exists()
    assert (await delete(admin, bob.account.id)).status_code == 403  # already deleted
    unsuspend = await client.post(
        f"/api/v1/admin/accounts/{bob.account.id}/unsuspend", headers=admin.headers
    )
    assert unsuspend.status_code == 403

    assert (await delete(admin, remote.account.id)).status_code == 200
    assert not await Status.filter(account_id=remote.account.id).exists()
    assert [a.action for a in await AdminAction.filter(action="destroy")] == ["destroy", "destroy"]


async def test_the_owner_is_told_of_each_strike_as_a_moderation_warning(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Mastodon's moderation_warning notification: what was done and the moderator's words,
    never who the moderator was; a remote account gets none."""
    _admin, moderator = await _staff(settings)
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    post = await _post(client, bob, "something rude")
    report = await client.post(
        "/api/v1/reports",
        headers=alice.headers,
        data={"account_id": str(bob.account.id), "status_ids[]": [post["id"]]},
    )
    report_id = report.json()["id"]
    assert (
        await _action(
            client, moderator, bob.account.id, type="none", report_id=report_id, text="be nice"
        )
    ).status_code == 200
    assert (await _action(client, moderator, bob.account.id, type="silence")).status_code == 200
    remote = await make_remote("far")
    assert (
        await _action(client, moderator, remote.account.id, type="none", text="hi")
    ).status_code == 200

    told = (
        await client.get(
            "/api/v1/notifications",
            headers=bob.headers,
            params={"types[]": "moderation_warning"},
        )
    ).json()
    assert [n["type"] for n in told] == ["moderation_warning", "moderation_warning"]
    silence, warning = told[0]["moderation_warning"], told[1]["moderation_warning"]
    assert (warning["action"], warning["text"], warning["status_ids"]) == (
        "none",
        "be nice",
        [post["id"]],
    )
    assert (silence["action"], silence["text"], silence["status_ids"]) == ("silence", "", [])
    assert warning["target_account"]["id"] == str(bob.account.id) and warning["appeal"] is None
    assert told[0]["account"]["id"] == str(bob.account.id)
    assert "moira" not in json.dumps(told)
    from fedianon.models.moderation import AccountWarning

    assert await AccountWarning.filter(target_account_id=remote.account.id).count() == 0

    # deleting the account deletes what it was told
    assert (await _action(client, moderator, bob.account.id, type="suspend")).status_code == 200
    assert await AccountWarning.filter(target_account_id=bob.account.id).count() == 3
    deleted = await client.delete(
        f"/api/v1/admin/accounts/{bob.account.id}", headers=_admin.headers
    )
    assert deleted.status_code == 200, deleted.text
    assert await AccountWarning.filter(target_account_id=bob.account.id).count() == 0

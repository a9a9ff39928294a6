"""Issue 7 end to end: a student on instance one reports a post from instance two and forwards
it; instance two's moderator, through Mastodon.py's admin methods, sees a report from
instance one's instance actor, with no trace of the student anywhere on instance two (not in
the API's answers, not in its database), handles it, and acts on the account."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.support.databases import dump_database
from tests.support.oauth import obtain_token
from tests.support.servers import Instance
from tests.support.waiting import eventually

PASSWORD = "a long enough password"
STUDENT = "quietstudent7"  # distinctive, so a trace of it cannot be a coincidence
ADMIN_SCOPES = "read write follow push admin:read admin:write"


@pytest.fixture(scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Instance]]:
    base = tmp_path_factory.mktemp("reports")
    servers = {name: Instance(base, label=name) for name in ("one", "two")}
    await asyncio.gather(*(server.start() for server in servers.values()))
    servers["one"].cli("accounts", "create", STUDENT, "--password-stdin", stdin=PASSWORD + "\n")
    servers["two"].cli("accounts", "create", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    servers["two"].cli("accounts", "create", "rosa", "--password-stdin", stdin=PASSWORD + "\n")
    servers["two"].cli(
        "accounts",
        "create",
        "moira",
        "--role",
        "moderator",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    yield servers
    await asyncio.gather(*(server.destroy() for server in servers.values()))


async def client(server: Instance, handle: str, scopes: str = "read write follow push") -> Mastodon:
    grant = await obtain_token(server.base_url, handle, PASSWORD, scopes=scopes)
    return Mastodon(
        access_token=grant.access_token, api_base_url=server.base_url, request_timeout=30
    )


def raw(server: Instance, api: Mastodon, path: str) -> str:
    response = httpx.get(
        server.base_url + path,
        headers={"Authorization": f"Bearer {api.access_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text


async def test_forwarded_report_is_anonymous_and_moderated_through_mastodon_py(
    net: dict[str, Instance],
) -> None:
    one, two = net["one"], net["two"]
    student = await client(one, STUDENT)
    bob = await client(two, "bob")
    moderator = await client(two, "moira", scopes=ADMIN_SCOPES)
    student_uri = f"{one.base_url}/users/{STUDENT}"

    post = bob.status_post("a post someone will report")
    found = student.search_v2(post["url"], resolve=True, result_type="statuses")["statuses"]
    assert [s["uri"] for s in found] == [post["uri"]]
    copy = found[0]
    filed = student.report(
        copy["account"]["id"], status_ids=[copy["id"]], comment="targets a classmate", forward=True
    )
    assert filed["forwarded"] is True and [str(i) for i in filed["status_ids"]] == [str(copy["id"])]

    reports = await eventually(lambda: moderator.admin_reports(), what="the Flag on two")
    assert len(reports) == 1
    report = moderator.admin_report(reports[0]["id"])
    assert report["comment"] == "targets a classmate" and report["forwarded"] is False
    assert report["account"]["domain"] == one.domain
    assert report["account"]["account"]["uri"] == f"{one.base_url}/actor"
    assert (
        report["target_account"]["username"] == "bob" and report["target_account"]["domain"] is None
    )
    assert [s["uri"] for s in report["statuses"]] == [post["uri"]]
    assert report["action_taken"] is False

    # No trace of the student on two: not in what the API says, not in the database.
    for text in (
        json.dumps(reports, default=str),
        json.dumps(report, default=str),
        raw(two, moderator, "/api/v1/admin/reports"),
        raw(two, moderator, f"/api/v1/admin/reports/{report['id']}"),
        raw(two, moderator, "/api/v2/admin/accounts"),
        await dump_database(two.database_url),
    ):
        assert STUDENT not in text and student_uri not in text

    # The moderator handles it, all through Mastodon.py's admin methods.
    assigned = moderator.admin_report_assign(report["id"])
    assert assigned["assigned_account"]["username"] == "moira"
    resolved = moderator.admin_report_resolve(report["id"])
    assert resolved["action_taken"] is True
    assert resolved["action_taken_by_account"]["username"] == "moira"
    assert moderator.admin_reports() == []
    assert [r["id"] for r in moderator.admin_reports(resolved=True)] == [report["id"]]
    reopened = moderator.admin_report_reopen(report["id"])
    assert reopened["action_taken"] is False
    unassigned = moderator.admin_report_unassign(report["id"])
    assert unassigned["assigned_account"] is None

    # Acting on the account with the report resolves it.
    bob_id = report["target_account"]["id"]
    moderator.admin_account_moderate(bob_id, "silence", report_id=report["id"], text="cool off")
    assert moderator.admin_account(bob_id)["silenced"] is True
    assert moderator.admin_report(report["id"])["action_taken"] is True
    assert moderator.admin_account_unsilence(bob_id)["silenced"] is False


async def test_account_administration_through_mastodon_py(net: dict[str, Instance]) -> None:
    one, two = net["one"], net["two"]
    moderator = await client(two, "moira", scopes=ADMIN_SCOPES)
    rosa = await client(two, "rosa")
    rosa.status_post("rosa posts in public")
    rosa_id = rosa.me()["id"]

    local = {a["username"] for a in moderator.admin_accounts_v1()}
    assert {"bob", "rosa", "moira"} <= local and STUDENT not in local
    assert moderator.admin_accounts_v1(staff_only=True)[0]["username"] == "moira"
    remote = moderator.admin_accounts_v2(origin="remote")
    # Two knows one remote account: one's instance actor, which filed the report in the test
    # above (the module's tests share these servers and run in order).
    assert [(a["domain"], a["account"]["uri"]) for a in remote] == [
        (one.domain, f"{one.base_url}/actor")
    ]
    assert STUDENT not in json.dumps(remote, default=str)
    shown = moderator.admin_account(rosa_id)
    assert shown["email"] == "" and shown["ip"] is None and shown["ips"] == []

    student_side = await client(one, STUDENT)  # follows rosa, so instance one hears of her
    found = student_side.search_v2(f"rosa@{two.domain}", resolve=True, result_type="accounts")
    rosa_there = found["accounts"][0]
    student_side.account_follow(rosa_there["id"])
    await eventually(
        lambda: student_side.account_relationships(rosa_there["id"])[0]["following"],
        what="the follow accepted",
    )
    assert not student_side.account(rosa_there["id"]).get("suspended")

    moderator.admin_account_moderate(rosa_id, "suspend")
    assert moderator.admin_account(rosa_id)["suspended"] is True
    assert [a["id"] for a in moderator.admin_accounts_v2(status="suspended")] == [rosa_id]
    with pytest.raises(MastodonAPIError):
        rosa.me()  # the token stops working
    public = httpx.get(f"{two.base_url}/api/v1/timelines/public", timeout=30).json()
    assert "rosa posts in public" not in json.dumps(public)
    actor = httpx.get(
        f"{two.base_url}/users/rosa", headers={"Accept": "application/activity+json"}, timeout=30
    )
    # as Mastodon: not gone (a suspension can be lifted) but marked, with the profile emptied
    assert actor.status_code == 200
    assert actor.json()["suspended"] is True and actor.json()["name"] == ""
    await eventually(
        lambda: student_side.account(rosa_there["id"]).get("suspended") is True,
        what="instance one told of the suspension (Update with suspended)",
    )

    assert moderator.admin_account_unsuspend(rosa_id)["suspended"] is False
    assert rosa.me()["username"] == "rosa"
    await eventually(
        lambda: not student_side.account(rosa_there["id"]).get("suspended"),
        what="instance one told the suspension was lifted",
    )
    assert student_side.account(rosa_there["id"])["display_name"] in ("", "rosa")

    with pytest.raises(MastodonAPIError) as refused:
        moderator.admin_account_moderate(rosa_id, "banish")
    assert refused.value.args[1] == 422
    with pytest.raises(MastodonAPIError) as forbidden:
        student_side.admin_accounts_v2()
    assert forbidden.value.args[1] == 403

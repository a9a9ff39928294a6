"""The report and account-moderation services called directly: what they store, what they
refuse, and the rules they add elsewhere (notifications from silenced accounts)."""

from __future__ import annotations

import pytest

from fedianon.errors import Forbidden, NotFound, ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.moderation import AdminAction, Report
from fedianon.models.social import Follow, Notification
from fedianon.services import account_moderation, notifications, reports
from fedianon.services.paging import PageRequest
from fedianon.settings import Settings
from tests.support.factories import make_remote, make_user


async def test_file_report_validates_before_writing(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    with pytest.raises(NotFound):
        await reports.file_report(ctx, alice.account, reports.ReportDraft(account_id=None))
    with pytest.raises(NotFound):
        await reports.file_report(
            ctx, alice.account, reports.ReportDraft(account_id=ctx.extras["instance_actor"].id)
        )
    with pytest.raises(ValidationFailed):
        await reports.file_report(
            ctx,
            alice.account,
            reports.ReportDraft(account_id=bob.account.id, status_ids=["1"] * 101),
        )
    suspended = await make_remote("gone", "peer.example")
    await Account.filter(id=suspended.account.id).update(suspended_at=suspended.account.created_at)
    with pytest.raises(NotFound):
        await reports.file_report(
            ctx, alice.account, reports.ReportDraft(account_id=suspended.account.id)
        )
    assert not await Report.exists()
    report = await reports.file_report(
        ctx,
        alice.account,
        reports.ReportDraft(account_id=str(bob.account.id), category="legal", comment="x"),
    )
    assert (report.category, report.comment, report.status_ids) == ("legal", "x", [])


async def test_receive_flag_reports_each_named_local_account(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    carol = await make_user(settings, "carol")
    await Account.filter(id=carol.account.id).update(suspended_at=carol.account.created_at)
    peer = await make_remote("peer.example")
    created = await reports.receive_flag(
        ctx,
        peer.account,
        object_uris=[alice.account.uri, bob.account.uri, carol.account.uri],
        comment="y" * 9000,
        uri=None,
    )
    assert sorted(r.target_account_id for r in created) == sorted(  # type: ignore[attr-defined]
        [alice.account.id, bob.account.id]
    )
    assert all(len(r.comment) == reports.MAX_REMOTE_COMMENT for r in created)
    # A local sender is not a remote server: nothing.
    assert (
        await reports.receive_flag(
            ctx, alice.account, object_uris=[bob.account.uri], comment="", uri=None
        )
        == []
    )


async def test_silenced_senders_notify_only_their_followers(settings: Settings, db: str) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    moderator = await make_user(settings, "moira", role="moderator")
    await Account.filter(id=bob.account.id).update(silenced_at=bob.account.created_at)
    silenced = await Account.get(id=bob.account.id)
    assert await notifications.notify(alice.account, silenced, "follow") is None
    await Follow.create(account=alice.account, target_account=silenced)
    assert await notifications.notify(alice.account, silenced, "mention") is not None
    # Moderators always hear about reports.
    assert await notifications.notify(moderator.account, silenced, "admin.report") is not None
    assert await Notification.all().count() == 2


async def test_list_accounts_rejects_unknown_filters(settings: Settings, db: str) -> None:
    page = PageRequest(limit=10)
    with pytest.raises(ValidationFailed):
        await account_moderation.list_accounts(
            account_moderation.AccountFilter(origin="sideways"), page
        )
    with pytest.raises(ValidationFailed):
        await account_moderation.list_accounts(
            account_moderation.AccountFilter(status="asleep"), page
        )
    await make_user(settings, "alice")
    found = await account_moderation.list_accounts(
        account_moderation.AccountFilter(status="sensitized"), page
    )
    assert found == []


async def test_actions_need_staff_and_write_one_audit_row(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    with pytest.raises(Forbidden):
        await account_moderation.take_action(ctx, alice.account, bob.account.id, "silence")
    admin = await make_user(settings, "ada", role="admin")
    account = await account_moderation.take_action(
        ctx, admin.account, bob.account.id, "sensitive", text="nsfw without warning"
    )
    assert account.sensitized_at is not None
    # Again: still one state, one more audit row (each action is logged).
    await account_moderation.take_action(ctx, admin.account, bob.account.id, "sensitive")
    assert [a.action for a in await AdminAction.all()] == ["sensitive", "sensitive"]
    assert (await AdminAction.first()).text == "nsfw without warning"  # type: ignore[union-attr]

"""A mute with a duration ends: the periodic job removes it once it has expired."""

from __future__ import annotations

from datetime import timedelta

import httpx

from fedianon.jobs import schedule
from fedianon.jobs.worker import Worker
from fedianon.models.federation import PeriodicRun
from fedianon.models.social import Mute
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.support.factories import make_user


async def test_a_timed_mute_ends_and_a_permanent_one_stays(
    client: httpx.AsyncClient, app, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    viewer = await make_user(settings, "viewer")
    briefly, forever = await make_user(settings, "briefly"), await make_user(settings, "forever")
    auth = {"Authorization": f"Bearer {viewer.token}"}
    timed = await client.post(
        f"/api/v1/accounts/{briefly.account.id}/mute", data={"duration": "60"}, headers=auth
    )
    assert timed.status_code == 200 and timed.json()["muting"] is True
    assert (
        await client.post(f"/api/v1/accounts/{forever.account.id}/mute", headers=auth)
    ).status_code == 200

    await schedule.enqueue_due()
    await Worker(app.state.ctx).run_until_idle()
    assert await Mute.filter(account_id=viewer.account.id).count() == 2  # not expired yet

    await Mute.filter(target_account_id=briefly.account.id).update(
        expires_at=utcnow() - timedelta(seconds=1)
    )
    await PeriodicRun.filter(kind="mutes.expire").update(next_run_at=utcnow())
    assert "mutes.expire" in await schedule.enqueue_due()
    await Worker(app.state.ctx).run_until_idle()
    answer = await client.get(
        "/api/v1/accounts/relationships",
        params=[("id[]", str(briefly.account.id)), ("id[]", str(forever.account.id))],
        headers=auth,
    )
    muting = {r["id"]: r["muting"] for r in answer.json()}
    assert muting == {str(briefly.account.id): False, str(forever.account.id): True}

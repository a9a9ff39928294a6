"""Polls: created with statuses, read, voted on, hidden totals, expiry with notifications,
edits, remote votes and the Question sent to peers; in-process on the configured engine."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fedianon.context import AppContext
from fedianon.errors import ValidationFailed
from fedianon.jobs.worker import Worker
from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.social import Notification
from fedianon.models.statuses import Poll, PollVote, Status
from fedianon.services import outbox, polls
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.support.factories import User, make_user

FORM_POLL = {
    "status": "Lunch?",
    "poll[options][]": ["pizza", "salad", "soup"],
    "poll[expires_in]": "3600",
}


async def post_poll(client: httpx.AsyncClient, user: User, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={**FORM_POLL, **overrides}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def vote(
    client: httpx.AsyncClient, user: User, poll_id: str, *choices: object
) -> httpx.Response:
    return await client.post(
        f"/api/v1/polls/{poll_id}/votes",
        headers=user.headers,
        data={"choices[]": [str(c) for c in choices]},
    )


async def expire_now(poll_id: str) -> None:
    """Move the end into the past and make its expiry job due."""
    past = utcnow() - timedelta(seconds=1)
    await Poll.filter(id=int(poll_id)).update(expires_at=past)
    await Job.filter(kind=polls.EXPIRE_JOB).update(run_at=past)


async def remote_account(name: str = "carol", domain: str = "remote.example") -> Account:
    uri = f"https://{domain}/users/{name}"
    return await Account.create(
        username=name,
        domain=domain,
        acct_key=f"{name}@{domain}",
        uri=uri,
        inbox_url=f"{uri}/inbox",
        shared_inbox_url=f"https://{domain}/inbox",
    )


# --- creating ------------------------------------------------------------------------------


async def test_poll_created_with_form_brackets_and_json(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    status = await post_poll(client, alice, **{"poll[multiple]": "true"})
    poll = status["poll"]
    assert [o["title"] for o in poll["options"]] == ["pizza", "salad", "soup"]
    assert all(o["votes_count"] == 0 for o in poll["options"])
    assert poll["multiple"] is True and poll["expired"] is False
    assert poll["votes_count"] == 0 and poll["voters_count"] == 0 and poll["emojis"] == []
    assert poll["voted"] is True and poll["own_votes"] == []  # the author counts as voted
    row = await Poll.get(id=int(poll["id"]))
    delta = (row.expires_at - utcnow()).total_seconds()  # type: ignore[operator]
    assert 3590 < delta <= 3600
    job = await Job.get(kind=polls.EXPIRE_JOB)
    assert job.payload == {"poll_id": row.id} and job.run_at == row.expires_at

    as_json = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        json={
            "status": "JSON poll",
            "poll": {"options": ["yes", "no"], "expires_in": 300, "hide_totals": True},
        },
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["poll"]["multiple"] is False
    assert [o["votes_count"] for o in as_json.json()["poll"]["options"]] == [None, None]
    indexed = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        data={
            "status": "indexed keys",
            "poll[options][0]": "first",
            "poll[options][1]": "second",
            "poll[expires_in]": "300",
        },
    )
    assert [o["title"] for o in indexed.json()["poll"]["options"]] == ["first", "second"]
    shown = await client.get(f"/api/v1/statuses/{status['id']}")
    assert shown.json()["poll"]["id"] == poll["id"] and "voted" not in shown.json()["poll"]


@pytest.mark.parametrize(
    ("poll", "message"),
    [
        ({"poll[options][]": ["only one"]}, "more than one item"),
        ({"poll[options][]": ["a", "x" * 5000]}, "longer than 50 characters"),
        ({"poll[options][]": ["a", "x" * 51]}, "longer than 50 characters"),
        ({"poll[options][]": ["a", "b", "c", "d", "e"]}, "more than 4 items"),
        ({"poll[options][]": ["same", "same"]}, "duplicate"),
        ({"poll[options][]": ["a", " "]}, "can't be blank"),
        ({"poll[expires_in]": ""}, "Expires in can't be blank"),
        ({"poll[expires_in]": "299"}, "too soon"),
        ({"poll[expires_in]": "2629747"}, "too far"),
        ({"poll[expires_in]": "soon"}, "number of seconds"),
        ({"poll[multiple]": "maybe"}, None),  # truthy like Mastodon: accepted
    ],
)
async def test_bad_polls_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, settings: Settings, poll: dict[str, Any], message: str | None
) -> None:
    alice = await make_user(settings, "alice")
    response = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={**FORM_POLL, **poll}
    )
    if message is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error.startswith("Validation failed:") and message in error
    assert await Status.all().count() == 0
    assert await Poll.all().count() == 0 and await Job.filter(kind=polls.EXPIRE_JOB).count() == 0
    assert (await Account.get(id=alice.account.id)).statuses_count == 0


async def test_json_poll_of_the_wrong_shape(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    for poll in ("yes,no", {"options": [{"a": 1}, "b"], "expires_in": 300}):
        response = await client.post(
            "/api/v1/statuses", headers=alice.headers, json={"status": "x", "poll": poll}
        )
        assert response.status_code == 422, response.text
    assert await Status.all().count() == 0


# --- reading -------------------------------------------------------------------------------


async def test_poll_is_visible_only_with_its_status(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    public = await post_poll(client, alice)
    private = await post_poll(client, alice, visibility="private")
    anonymous = await client.get(f"/api/v1/polls/{public['poll']['id']}")
    assert anonymous.status_code == 200 and "voted" not in anonymous.json()
    as_bob = await client.get(f"/api/v1/polls/{public['poll']['id']}", headers=bob.headers)
    assert as_bob.json()["voted"] is False and as_bob.json()["own_votes"] == []
    for viewer in (None, bob):
        hidden = await client.get(
            f"/api/v1/polls/{private['poll']['id']}", headers=viewer.headers if viewer else {}
        )
        assert hidden.status_code == 404
        refused = await client.post(
            f"/api/v1/polls/{private['poll']['id']}/votes",
            headers=bob.headers,
            data={"choices[]": "0"},
        )
        assert refused.status_code == 404
    assert (await client.get("/api/v1/polls/999999")).status_code == 404
    assert (
        await client.get(f"/api/v1/polls/{private['poll']['id']}", headers=alice.headers)
    ).status_code == 200


# --- voting --------------------------------------------------------------------------------


async def test_vote_counts_and_refusals(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    dave = await make_user(settings, "dave")
    poll_id = (await post_poll(client, alice))["poll"]["id"]

    voted = await vote(client, bob, poll_id, 1)
    assert voted.status_code == 200, voted.text
    body = voted.json()
    assert body["voted"] is True and body["own_votes"] == [1]
    assert body["votes_count"] == 1 and body["voters_count"] == 1
    assert [o["votes_count"] for o in body["options"]] == [0, 1, 0]

    twice = await vote(client, bob, poll_id, 2)
    assert twice.status_code == 422
    assert twice.json() == {"error": "Validation failed: You have already voted on this poll"}
    own = await vote(client, alice, poll_id, 0)
    assert own.status_code == 422 and "your own polls" in own.json()["error"]
    for choices, message in (
        ((3,), "does not exist"),
        ((-1,), "does not exist"),
        ((0, 1), "only one choice"),
        (("x",), "integers"),
    ):
        refused = await vote(client, dave, poll_id, *choices)
        assert refused.status_code == 422 and message in refused.json()["error"], choices
    missing = await client.post(f"/api/v1/polls/{poll_id}/votes", headers=dave.headers)
    assert missing.status_code == 400
    assert await PollVote.filter(poll_id=int(poll_id)).count() == 1

    as_json = await client.post(
        f"/api/v1/polls/{poll_id}/votes", headers=dave.headers, json={"choices": [1]}
    )
    assert as_json.status_code == 200 and as_json.json()["options"][1]["votes_count"] == 2
    seen = await client.get(f"/api/v1/accounts/{alice.account.id}/statuses", headers=dave.headers)
    assert seen.json()[0]["poll"]["own_votes"] == [1] and seen.json()[0]["poll"]["voted"] is True


async def test_multiple_choice_votes(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    poll_id = (await post_poll(client, alice, **{"poll[multiple]": "1"}))["poll"]["id"]
    duplicate = await vote(client, bob, poll_id, 0, 0)
    assert duplicate.status_code == 422 and "duplicate" in duplicate.json()["error"]
    ok = await vote(client, bob, poll_id, 2, 0)
    assert ok.status_code == 200, ok.text
    assert ok.json()["own_votes"] == [0, 2]
    assert ok.json()["votes_count"] == 2 and ok.json()["voters_count"] == 1
    again = await vote(client, bob, poll_id, 1)
    assert again.status_code == 422 and "already voted" in again.json()["error"]


async def test_hidden_totals_show_after_the_end_and_expired_polls_refuse_votes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    carol = await make_user(settings, "carol")
    poll_id = (await post_poll(client, alice, **{"poll[hide_totals]": "true"}))["poll"]["id"]
    hidden = (await vote(client, bob, poll_id, 0)).json()
    assert [o["votes_count"] for o in hidden["options"]] == [None, None, None]
    assert hidden["votes_count"] == 1  # Mastodon hides the per-option counts only

    await expire_now(poll_id)
    late = await vote(client, carol, poll_id, 1)
    assert late.status_code == 422
    assert late.json() == {"error": "Validation failed: The poll has already ended"}
    shown = (await client.get(f"/api/v1/polls/{poll_id}", headers=carol.headers)).json()
    assert shown["expired"] is True and shown["voted"] is False
    assert [o["votes_count"] for o in shown["options"]] == [1, 0, 0]


# --- expiry --------------------------------------------------------------------------------


async def test_expiry_job_closes_the_poll_and_notifies_author_and_voters_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    carol = await make_user(settings, "carol")
    outsider = await make_user(settings, "outsider")
    status = await post_poll(client, alice, **{"poll[multiple]": "true"})
    poll_id = status["poll"]["id"]
    assert (await vote(client, bob, poll_id, 0, 1)).status_code == 200
    assert (await vote(client, carol, poll_id, 2)).status_code == 200

    worker = Worker(AppContext.build(settings))
    await worker.run_until_idle()  # not due yet: nothing happens
    assert (await Poll.get(id=int(poll_id))).closed_at is None
    assert await Job.filter(kind=polls.EXPIRE_JOB).count() == 1

    await expire_now(poll_id)
    await worker.run_until_idle()
    assert (await Poll.get(id=int(poll_id))).closed_at is not None
    assert await Job.filter(kind=polls.EXPIRE_JOB).count() == 0
    for user in (alice, bob, carol):
        listed = await client.get(
            "/api/v1/notifications", headers=user.headers, params={"types[]": "poll"}
        )
        notes = listed.json()
        assert len(notes) == 1, user.account.username
        assert notes[0]["type"] == "poll" and notes[0]["status"]["id"] == status["id"]
        assert notes[0]["account"]["id"] == str(alice.account.id)
        assert notes[0]["status"]["poll"]["expired"] is True
    assert await Notification.filter(account_id=outsider.account.id).count() == 0

    # A repeated job (at-least-once delivery) does nothing.
    await polls.close_if_expired(int(poll_id))
    assert await Notification.filter(type="poll").count() == 3


async def test_a_stale_expiry_job_leaves_a_re_timed_poll_open(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    poll_id = (await post_poll(client, alice))["poll"]["id"]
    assert await polls.close_if_expired(int(poll_id)) is False  # its time has not come
    assert (await Poll.get(id=int(poll_id))).closed_at is None
    assert await Notification.all().count() == 0


# --- editing -------------------------------------------------------------------------------


async def test_editing_a_poll_resets_votes_when_options_change_and_can_remove_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    status = await post_poll(client, alice)
    poll_id = status["poll"]["id"]
    await vote(client, bob, poll_id, 0)

    same = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=alice.headers,
        data={**FORM_POLL, "status": "Lunch? (edited)"},
    )
    assert same.status_code == 200 and same.json()["poll"]["votes_count"] == 1
    changed = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=alice.headers,
        data={"status": "Dinner?", "poll[options][]": ["x", "y"], "poll[expires_in]": "600"},
    )
    assert changed.status_code == 200, changed.text
    poll = changed.json()["poll"]
    assert poll["id"] == poll_id and [o["title"] for o in poll["options"]] == ["x", "y"]
    assert poll["votes_count"] == 0 and poll["voters_count"] == 0
    assert await PollVote.filter(poll_id=int(poll_id)).count() == 0
    bad = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=alice.headers,
        data={"status": "Dinner?", "poll[options][]": ["x"], "poll[expires_in]": "600"},
    )
    assert bad.status_code == 422
    assert [o["title"] for o in (await Poll.get(id=int(poll_id))).options] == ["x", "y"]
    removed = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=alice.headers, data={"status": "No poll"}
    )
    assert removed.status_code == 200 and removed.json()["poll"] is None
    assert not await Poll.filter(id=int(poll_id)).exists()


# --- federation ----------------------------------------------------------------------------


async def test_question_rendering_for_peers(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    ctx = AppContext.build(settings)
    single = await post_poll(client, alice)
    await vote(client, bob, single["poll"]["id"], 2)
    status = await Status.get(id=int(single["id"])).select_related("account")
    document, _ = await outbox.note_document(ctx, status)
    assert document["type"] == "Question" and "anyOf" not in document
    assert [(o["name"], o["replies"]["totalItems"]) for o in document["oneOf"]] == [
        ("pizza", 0),
        ("salad", 0),
        ("soup", 1),
    ]
    assert document["oneOf"][0]["type"] == "Note"
    assert document["votersCount"] == 1 and document["endTime"].endswith("Z")
    assert "closed" not in document

    multiple = await post_poll(client, alice, **{"poll[multiple]": "true"})
    await expire_now(multiple["poll"]["id"])
    status = await Status.get(id=int(multiple["id"])).select_related("account")
    document, _ = await outbox.note_document(ctx, status)
    assert "anyOf" in document and "oneOf" not in document and document["closed"].endswith("Z")
    plain = await client.post("/api/v1/statuses", headers=alice.headers, data={"status": "note"})
    status = await Status.get(id=int(plain.json()["id"])).select_related("account")
    assert (await outbox.note_document(ctx, status))[0]["type"] == "Note"


async def test_remote_votes_on_a_local_poll(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    carol = await remote_account()
    status = await post_poll(client, alice, **{"poll[multiple]": "true"})
    poll = await Poll.get(id=int(status["poll"]["id"]))
    updated = await polls.record_remote_vote(poll, carol, ["salad"], uri="https://r/v/1")
    assert updated.votes_count == 1 and updated.voters_count == 1
    # One choice per activity: a remote voter may add another choice on a multiple poll...
    updated = await polls.record_remote_vote(poll, carol, ["soup"], uri="https://r/v/2")
    assert updated.votes_count == 2 and updated.voters_count == 1
    assert [o["votes_count"] for o in updated.options] == [0, 1, 1]
    # ...but not the same one twice, nor an option that does not exist.
    for names in (["soup"], ["fries"], []):
        with pytest.raises(ValidationFailed):
            await polls.record_remote_vote(poll, carol, names)
    await expire_now(str(poll.id))
    dave = await remote_account("dave")
    with pytest.raises(ValidationFailed, match="already ended"):
        await polls.record_remote_vote(poll, dave, ["pizza"])
    assert await PollVote.filter(poll_id=poll.id).count() == 2


async def test_voting_on_a_remote_poll_is_delivered_to_its_author(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    bob = await make_user(settings, "bob")
    carol = await remote_account()
    remote_status = await Status.create(
        account=carol,
        uri="https://remote.example/users/carol/statuses/1",
        local=False,
        content="<p>Tea or coffee?</p>",
        created_at=utcnow(),
    )
    poll = await Poll.create(
        status=remote_status,
        options=[{"title": "tea", "votes_count": 3}, {"title": "coffee", "votes_count": 4}],
        expires_at=utcnow() + timedelta(days=1),
        votes_count=7,
        voters_count=7,
    )
    response = await vote(client, bob, str(poll.id), 1)
    assert response.status_code == 200, response.text
    assert response.json()["options"][1]["votes_count"] == 5
    job = await Job.get(kind=outbox.FANOUT)
    activity = job.payload["activity"]
    assert activity["type"] == "Create" and activity["actor"] == bob.account.uri
    note = activity["object"]
    assert note["type"] == "Note" and note["name"] == "coffee"
    assert note["inReplyTo"] == remote_status.uri and note["to"] == [carol.uri]
    assert job.payload["account_ids"] == [carol.id]
    vote_row = await PollVote.get(poll_id=poll.id)
    assert vote_row.uri == note["id"]
    assert "coffee" in json.dumps(activity)


async def test_peers_get_a_local_polls_counts_and_its_end_as_update_question(
    app, client: httpx.AsyncClient, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    """As Mastodon's DistributePollUpdateWorker: votes on a local poll travel to followers and
    remote voters as one Update(Question) per three minutes; the poll's end goes at once."""
    from fedianon.jobs.content import distribute_poll
    from fedianon.models.social import Follow

    ctx = app.state.ctx
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    fan = await remote_account("fan", "fans.example")
    await Follow.create(account=fan, target_account=alice.account)
    carol, dave = await remote_account(), await remote_account("dave", "elsewhere.example")
    status = await post_poll(client, alice)
    poll = await Poll.get(id=int(status["poll"]["id"]))
    await Job.filter(kind="ap.fanout").delete()  # the Create

    await polls.record_remote_vote(poll, carol, ["pizza"], uri="https://r/v/1")
    await polls.record_remote_vote(poll, dave, ["salad"], uri="https://r/v/2")
    assert (await vote(client, bob, status["poll"]["id"], 0)).status_code == 200
    waiting = await Job.filter(kind=polls.DISTRIBUTE_JOB)
    assert len(waiting) == 1 and waiting[0].payload == {"status_id": int(status["id"])}
    assert waiting[0].run_at > utcnow() + timedelta(minutes=2)  # votes wait for each other

    await expire_now(status["poll"]["id"])
    assert await polls.close_if_expired(poll.id)
    waiting = await Job.filter(kind=polls.DISTRIBUTE_JOB)
    assert len(waiting) == 1 and waiting[0].run_at <= utcnow()  # the end is not held back

    await distribute_poll(ctx, waiting[0].payload)
    sent = await Job.filter(kind="ap.fanout")
    assert len(sent) == 1
    payload = sent[0].payload
    update = payload["activity"]
    assert update["type"] == "Update" and update["object"]["type"] == "Question"
    assert update["object"]["id"] == f"https://campus.test/users/alice/statuses/{status['id']}"
    assert update["object"]["closed"] and update["object"]["votersCount"] == 3
    counts = {o["name"]: o["replies"]["totalItems"] for o in update["object"]["oneOf"]}
    assert counts == {"pizza": 2, "salad": 1, "soup": 0}
    assert payload["followers_of"] == alice.account.id
    assert set(payload["account_ids"]) == {carol.id, dave.id}

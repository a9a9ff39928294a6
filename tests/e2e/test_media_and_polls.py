"""Media and polls through Mastodon.py against a real server: an upload's GPS EXIF never
reaches the served file, a status carries it with alt text, and a poll gets another user's
vote, closes when its time is up and notifies through the API."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError
from PIL import Image

from tests.fedianon.media.images import encode, exif_with_gps, quadrants
from tests.support.clients import mastodon_for
from tests.support.servers import Instance

PASSWORD = "a long enough password"


@pytest.fixture
async def instance(workdir: Path):  # type: ignore[no-untyped-def]
    server = Instance(workdir, env={"FEDIANON_ENABLE_PASSWORD_GRANT": "true"})
    await server.start()
    yield server
    await server.destroy()


async def end_polls_now(instance: Instance) -> None:
    """Move every poll's end, and its expiry job, a minute into the past (as if 5 minutes
    had gone by): the running server's worker then closes them."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    if instance.database_url.startswith("postgres"):
        conn = await asyncpg.connect(instance.database_url)
        try:
            await conn.execute("UPDATE polls SET expires_at = $1", past)
            await conn.execute("UPDATE jobs SET run_at = $1 WHERE kind = 'poll.expire'", past)
        finally:
            await conn.close()
        return
    import sqlite3

    stamp = past.isoformat(sep=" ", timespec="microseconds")  # how Tortoise stores them
    with sqlite3.connect(instance.database_url[len("sqlite://") :], timeout=30) as db:
        db.execute("UPDATE polls SET expires_at = ?", (stamp,))
        db.execute("UPDATE jobs SET run_at = ? WHERE kind = 'poll.expire'", (stamp,))


def wait_for_poll_notification(api: Mastodon, timeout: float = 20.0) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.notifications(types=["poll"])
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("no poll notification arrived")


async def test_media_upload_status_and_poll_lifecycle(instance: Instance) -> None:
    alice = mastodon_for(instance, "alice", PASSWORD)
    bob = mastodon_for(instance, "bob", PASSWORD)

    # An upload with GPS EXIF: the served file has no EXIF at all.
    photo = encode(quadrants(120, 80), "JPEG", exif=exif_with_gps().tobytes())
    assert b"Exif" in photo
    media = alice.media_post(
        photo, mime_type="image/jpeg", description="A red corner on blue", focus=(0.25, -0.5)
    )
    assert media.url and media.type == "image" and media.description == "A red corner on blue"
    for url in (media.url, media.preview_url):
        served = httpx.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert b"Exif" not in served.content and b"PhoneMaker" not in served.content
        image = Image.open(io.BytesIO(served.content))
        assert len(image.getexif()) == 0 and not image.info.get("exif")
    assert Image.open(io.BytesIO(httpx.get(media.url).content)).size == (120, 80)

    with pytest.raises(MastodonAPIError) as refused:
        alice.media_post(b"not an image", mime_type="image/jpeg")
    assert "422" in str(refused.value)

    status = alice.status_post("Look at this", media_ids=[media])
    attached = status.media_attachments
    assert [m.id for m in attached] == [media.id]
    assert attached[0].description == "A red corner on blue"
    seen = bob.status(status.id)
    assert seen.media_attachments[0].url == media.url

    # A poll: bob votes, the poll ends, both get the `poll` notification.
    question = alice.status_post(
        "Lunch?", poll=alice.make_poll(["pizza", "salad", "soup"], expires_in=300)
    )
    poll = question.poll
    assert [o.title for o in poll.options] == ["pizza", "salad", "soup"] and not poll.expired
    voted = bob.poll_vote(poll.id, 1)
    assert voted.voted and voted.own_votes == [1] and voted.votes_count == 1
    assert [o.votes_count for o in voted.options] == [0, 1, 0]
    with pytest.raises(MastodonAPIError) as twice:
        bob.poll_vote(poll.id, 2)
    assert "already voted" in str(twice.value)

    await end_polls_now(instance)
    for api in (bob, alice):
        notes = wait_for_poll_notification(api)
        assert len(notes) == 1 and notes[0].type == "poll"
        assert notes[0].status.id == question.id and notes[0].status.poll.expired
    final = bob.poll(poll.id)
    assert final.expired and final.voters_count == 1
    carol = mastodon_for(instance, "carol", PASSWORD)
    with pytest.raises(MastodonAPIError) as late:
        carol.poll_vote(poll.id, 0)
    assert "already ended" in str(late.value)

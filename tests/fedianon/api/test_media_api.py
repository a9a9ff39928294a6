"""/api/v1/media, /api/v2/media, /media/{name}, media on statuses, avatars and headers, and the
cleanup of unused uploads, in-process on the configured engine."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from PIL import Image

from fedianon.app import create_app
from fedianon.context import AppContext
from fedianon.jobs import schedule
from fedianon.jobs.worker import Worker
from fedianon.media import files
from fedianon.models.accounts import Account
from fedianon.models.federation import Job
from fedianon.models.media import MediaAttachment
from fedianon.models.statuses import Status
from fedianon.services import media
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.fedianon.media.images import (
    GPS_LATITUDE,
    blank_png,
    encode,
    exif_with_gps,
    noise,
    quadrants,
)
from tests.support.factories import User, make_user

BASE = "https://campus.test"


def gps_jpeg(width: int = 64, height: int = 48) -> bytes:
    return encode(quadrants(width, height), "JPEG", exif=exif_with_gps().tobytes())


def png(width: int = 20, height: int = 20) -> bytes:
    return encode(quadrants(width, height), "PNG")


async def upload(
    client: httpx.AsyncClient,
    user: User,
    data: bytes | None = None,
    *,
    path: str = "/api/v2/media",
    content_type: str = "image/jpeg",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        path,
        headers=user.headers,
        files={"file": ("holiday.jpg", data if data is not None else gps_jpeg(), content_type)},
        data=fields,
    )


async def uploaded_id(client: httpx.AsyncClient, user: User, **fields: str) -> str:
    response = await upload(client, user, **fields)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    assert url.startswith(f"{BASE}/media/")
    return await client.get(url[len(BASE) :])


def stored_paths(settings: Settings, row: MediaAttachment) -> list[Path]:
    return [files.path_for(settings.data_dir, n) for n in (row.file_path, row.preview_path) if n]


# --- uploads -------------------------------------------------------------------------------


async def test_upload_strips_metadata_and_serves_the_files(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    original = gps_jpeg()
    assert b"Exif" in original  # the fixture really carries GPS
    response = await upload(client, alice, original, description="A red corner", focus="0.5,-0.25")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "image" and body["description"] == "A red corner"
    assert body["url"].startswith(f"{BASE}/media/") and body["url"].endswith(".jpg")
    assert body["preview_url"].startswith(f"{BASE}/media/") and body["url"] != body["preview_url"]
    assert body["remote_url"] is None and body["blurhash"]
    assert body["meta"]["original"]["width"] == 64 and body["meta"]["original"]["height"] == 48
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert "holiday" not in body["url"]  # the client's file name never survives

    served = await fetch(client, body["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert b"Exif" not in served.content and b"PhoneMaker" not in served.content
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (64, 48) and len(image.getexif()) == 0
    preview = await fetch(client, body["preview_url"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in preview.content

    row = await MediaAttachment.get(id=int(body["id"]))
    assert row.account_id == alice.account.id and row.status_id is None  # type: ignore[attr-defined]
    assert row.file_size == len(served.content) and row.content_type == "image/jpeg"
    assert str(GPS_LATITUDE[0]) not in str(row.meta)


async def test_legacy_v1_upload_and_png(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    response = await upload(client, alice, png(), path="/api/v1/media", content_type="image/png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"].endswith(".png")
    assert (await fetch(client, body["url"])).headers["content-type"] == "image/png"


async def test_upload_needs_a_token_with_write_media(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    reader = await make_user(settings, "reader", scopes="read")
    assert (await upload(client, reader)).status_code == 403
    anonymous = await client.post("/api/v2/media", files={"file": ("a.jpg", gps_jpeg())})
    assert anonymous.status_code == 401
    assert await MediaAttachment.all().count() == 0


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "image/jpeg", "content type is invalid"),
        (b"just some text, no image", "text/plain", "content type is invalid"),
        (
            encode(quadrants(40, 20), "TIFF"),
            "image/tiff",
            "content type is invalid",
        ),
        (
            encode(noise(200, 200), "JPEG", quality=95)[:2000],
            "image/jpeg",
            "could not be processed",
        ),
        (blank_png(10_000, 5_000), "image/png", "dimensions are too large"),  # 50 megapixels
    ],
    ids=["pdf", "text", "tiff", "truncated-jpeg", "50-megapixels"],
)
async def test_bad_uploads_are_a_clear_422_and_store_nothing(
    client: httpx.AsyncClient, settings: Settings, data: bytes, content_type: str, message: str
) -> None:
    alice = await make_user(settings, "alice")
    response = await upload(client, alice, data, content_type=content_type)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error.startswith("Validation failed:") and message in error
    assert await MediaAttachment.all().count() == 0
    assert not files.media_root(settings.data_dir).exists() or not any(
        p.is_file() for p in files.media_root(settings.data_dir).rglob("*")
    )


async def test_missing_file_and_bad_fields(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    none = await client.post("/api/v2/media", headers=alice.headers, data={"description": "x"})
    assert none.status_code == 422 and "File can't be blank" in none.json()["error"]
    long = await upload(client, alice, description="x" * 1501)
    assert long.status_code == 422 and "Description is too long" in long.json()["error"]
    for focus in ("2,0", "a,b", "0.5", "nan,0"):
        bad = await upload(client, alice, focus=focus)
        assert bad.status_code == 422 and "Focus" in bad.json()["error"], focus
    assert await MediaAttachment.all().count() == 0
    exact = await upload(client, alice, description="é" * 1500)
    assert exact.status_code == 200


async def test_too_large_files_are_refused_with_a_clear_error(settings: Settings, db: str) -> None:
    small = settings.with_overrides(media_max_bytes=64 * 1024)
    app = create_app(small, start_worker=False)
    alice = await make_user(small, "alice")
    big_jpeg = encode(noise(400, 400), "JPEG", quality=100)
    assert len(big_jpeg) > 64 * 1024
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        # Over the limit, but the body is small enough to read: the file itself is refused.
        over = await upload(http, alice, big_jpeg)
        assert over.status_code == 422
        assert over.json()["error"] == "Validation failed: File file size must be less than 64 KB"
        # A body far over the limit is refused from its Content-Length, before it is read.
        huge = await upload(http, alice, b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024))
        assert (
            huge.status_code == 422 and "File file size must be less than" in huge.json()["error"]
        )
        # Without a Content-Length (chunked), the stream is cut off at the limit.

        async def chunks():  # type: ignore[no-untyped-def]
            boundary = b"--xyz\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            yield b"Content-Type: image/jpeg\r\n\r\n"
            for _ in range(40):
                yield b"\x00" * 65536
            yield b"\r\n--xyz--\r\n"

        streamed = await http.post(
            "/api/v2/media",
            headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
            content=chunks(),
        )
        assert streamed.status_code == 422
        assert "File file size must be less than" in streamed.json()["error"]
    assert await MediaAttachment.all().count() == 0


# --- show, update, delete ------------------------------------------------------------------


async def test_show_update_delete_own_unattached_media(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    media_id = await uploaded_id(client, alice, description="first")

    shown = await client.get(f"/api/v1/media/{media_id}", headers=alice.headers)
    assert shown.status_code == 200 and shown.json()["description"] == "first"
    for other in (
        await client.get(f"/api/v1/media/{media_id}", headers=bob.headers),
        await client.put(
            f"/api/v1/media/{media_id}", headers=bob.headers, data={"description": "x"}
        ),
        await client.delete(f"/api/v1/media/{media_id}", headers=bob.headers),
        await client.get("/api/v1/media/123456", headers=alice.headers),
        await client.get("/api/v1/media/not-an-id", headers=alice.headers),
    ):
        assert other.status_code == 404 and other.json() == {"error": "Record not found"}

    updated = await client.put(
        f"/api/v1/media/{media_id}",
        headers=alice.headers,
        json={"description": "second", "focus": "-0.5,0.75"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "second"
    assert updated.json()["meta"]["focus"] == {"x": -0.5, "y": 0.75}
    too_long = await client.put(
        f"/api/v1/media/{media_id}", headers=alice.headers, data={"description": "y" * 1501}
    )
    assert too_long.status_code == 422
    assert (await MediaAttachment.get(id=int(media_id))).description == "second"

    row = await MediaAttachment.get(id=int(media_id))
    paths = stored_paths(settings, row)
    assert len(paths) == 2 and all(p.is_file() for p in paths)  # the file and its preview
    deleted = await client.delete(f"/api/v1/media/{media_id}", headers=alice.headers)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert not await MediaAttachment.filter(id=int(media_id)).exists()
    assert not any(p.exists() for p in paths)
    again = await client.delete(f"/api/v1/media/{media_id}", headers=alice.headers)
    assert again.status_code == 404


async def test_attached_media_cannot_be_shown_updated_or_deleted_through_media_api(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    media_id = await uploaded_id(client, alice)
    posted = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "", "media_ids[]": media_id}
    )
    assert posted.status_code == 200, posted.text
    assert (await client.get(f"/api/v1/media/{media_id}", headers=alice.headers)).status_code == 404
    assert (
        await client.put(
            f"/api/v1/media/{media_id}", headers=alice.headers, data={"description": "x"}
        )
    ).status_code == 404
    refused = await client.delete(f"/api/v1/media/{media_id}", headers=alice.headers)
    assert refused.status_code == 422 and "in use" in refused.json()["error"]
    assert await MediaAttachment.filter(id=int(media_id), status_id__isnull=False).exists()


# --- serving -------------------------------------------------------------------------------


async def test_serving_refuses_unknown_names_and_traversal(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    (settings.data_dir / "secrets.json").write_text('{"secret": "do-not-serve"}')
    alice = await make_user(settings, "alice")
    await uploaded_id(client, alice)
    for path in (
        "/media/00/00/0000000000000000000000000000000.jpg",
        "/media/../secrets.json",
        "/media/..%2Fsecrets.json",
        "/media/%2e%2e/secrets.json",
        "/media/ab/..%2F..%2F..%2Fsecrets.json",
        "/media//etc/passwd",
        "/media/.tmp-x.part",
        "/media/",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert b"do-not-serve" not in response.content


# --- statuses ------------------------------------------------------------------------------


async def test_status_with_media_in_order_then_edit_replaces_the_set(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    first, second, third = [await uploaded_id(client, alice, description=f"n{i}") for i in range(3)]
    posted = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        data={"status": "two pictures", "media_ids[]": [second, first]},
    )
    assert posted.status_code == 200, posted.text
    status = posted.json()
    assert [m["id"] for m in status["media_attachments"]] == [second, first]
    assert [m["description"] for m in status["media_attachments"]] == ["n1", "n0"]
    row = await Status.get(id=int(status["id"]))
    assert row.has_media is True
    only_media = await client.get(
        f"/api/v1/accounts/{alice.account.id}/statuses", params={"only_media": "true"}
    )
    assert [s["id"] for s in only_media.json()] == [status["id"]]

    edited = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=alice.headers,
        json={
            "status": "now different pictures",
            "media_ids": [first, third],
            "media_attributes": [{"id": first, "description": "better alt", "focus": "0.1,0.2"}],
        },
    )
    assert edited.status_code == 200, edited.text
    media_after = edited.json()["media_attachments"]
    assert [m["id"] for m in media_after] == [first, third]
    assert media_after[0]["description"] == "better alt"
    assert media_after[0]["meta"]["focus"] == {"x": 0.1, "y": 0.2}
    dropped = await MediaAttachment.get(id=int(second))
    assert dropped.status_id is None  # type: ignore[attr-defined]

    text_only = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=alice.headers, data={"status": "no pictures"}
    )
    assert text_only.status_code == 200 and text_only.json()["media_attachments"] == []
    assert (await Status.get(id=int(status["id"]))).has_media is False


async def test_form_media_attributes_are_grouped(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    one, two = await uploaded_id(client, alice), await uploaded_id(client, alice)
    posted = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "x", "media_ids[]": [one, two]}
    )
    edited = await client.put(
        f"/api/v1/statuses/{posted.json()['id']}",
        content=urlencode(
            [
                ("status", "x"),
                ("media_ids[]", one),
                ("media_ids[]", two),
                ("media_attributes[][id]", one),
                ("media_attributes[][description]", "alt one"),
                ("media_attributes[][id]", two),
                ("media_attributes[][description]", "alt two"),
            ]
        ).encode(),
        headers={**alice.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert edited.status_code == 200, edited.text
    assert [m["description"] for m in edited.json()["media_attachments"]] == ["alt one", "alt two"]


async def test_bad_media_sets_refuse_the_status_and_write_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    bob = await make_user(settings, "bob")
    mine = [await uploaded_id(client, alice) for _ in range(5)]
    theirs = await uploaded_id(client, bob)
    used = await uploaded_id(client, alice)
    assert (
        await client.post(
            "/api/v1/statuses", headers=alice.headers, data={"status": "a", "media_ids[]": used}
        )
    ).status_code == 200
    before = await Status.all().count()

    cases = {
        "too many": mine,
        "not yours": [mine[0], theirs],
        "was not found": [mine[0], "4242424242"],
        "already used": [used],
    }
    for expected, ids in cases.items():
        response = await client.post(
            "/api/v1/statuses", headers=alice.headers, data={"status": "hello", "media_ids[]": ids}
        )
        assert response.status_code == 422, (expected, response.text)
        error = response.json()["error"]
        assert error.startswith("Validation failed:")
        assert expected in error.lower(), error
    assert await Status.all().count() == before
    assert (
        await MediaAttachment.filter(id__in=[int(i) for i in mine])
        .filter(status_id__isnull=True)
        .count()
        == 5
    )
    assert (await MediaAttachment.get(id=int(theirs))).status_id is None  # type: ignore[attr-defined]
    bad_id = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "x", "media_ids[]": "abc"}
    )
    assert bad_id.status_code == 422


async def test_a_race_for_the_same_media_is_caught_inside_the_transaction(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-check passes, then someone else takes the media: the attach step refuses and
    the status transaction rolls back."""
    alice = await make_user(settings, "alice")
    media_id = await uploaded_id(client, alice)

    async def lenient(*args: object, **kwargs: object) -> None:
        return None

    first = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "a", "media_ids[]": media_id}
    )
    assert first.status_code == 200
    monkeypatch.setattr(media, "check_attachable", lenient)
    before = await Status.all().count()
    second = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "b", "media_ids[]": media_id}
    )
    assert second.status_code == 422
    assert await Status.all().count() == before
    assert (await MediaAttachment.get(id=int(media_id))).status_id == int(first.json()["id"])  # type: ignore[attr-defined]


async def test_media_and_poll_together_are_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    media_id = await uploaded_id(client, alice)
    response = await client.post(
        "/api/v1/statuses",
        headers=alice.headers,
        data={
            "status": "both",
            "media_ids[]": media_id,
            "poll[options][]": ["a", "b"],
            "poll[expires_in]": "600",
        },
    )
    assert (
        response.status_code == 422 and "media attachments and a poll" in response.json()["error"]
    )
    assert await Status.all().count() == 0
    assert (await MediaAttachment.get(id=int(media_id))).status_id is None  # type: ignore[attr-defined]


async def test_deleting_a_status_frees_its_media_for_a_redraft(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    media_id = await uploaded_id(client, alice)
    posted = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "v1", "media_ids[]": media_id}
    )
    deleted = await client.delete(f"/api/v1/statuses/{posted.json()['id']}", headers=alice.headers)
    assert deleted.status_code == 200
    assert [m["id"] for m in deleted.json()["media_attachments"]] == [media_id]
    redraft = await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "v2", "media_ids[]": media_id}
    )
    assert redraft.status_code == 200, redraft.text
    assert [m["id"] for m in redraft.json()["media_attachments"]] == [media_id]


# --- avatar and header ---------------------------------------------------------------------


async def test_avatar_and_header_are_cleaned_stored_and_replaced(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    avatar = encode(quadrants(800, 800), "JPEG", exif=exif_with_gps().tobytes())
    header = encode(quadrants(3000, 1000), "PNG")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice.headers,
        data={"display_name": "Otter"},
        files={
            "avatar": ("me.jpg", avatar, "image/jpeg"),
            "header": ("h.png", header, "image/png"),
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Otter"
    assert body["avatar"].startswith(f"{BASE}/media/") and body["avatar_static"] == body["avatar"]
    served = await fetch(client, body["avatar"])
    assert served.status_code == 200 and b"Exif" not in served.content
    width, height = Image.open(io.BytesIO(served.content)).size
    assert width * height <= media.AVATAR_PIXELS and width == height
    header_served = await fetch(client, body["header"])
    hw, hh = Image.open(io.BytesIO(header_served.content)).size
    assert hw * hh <= media.HEADER_PIXELS and abs(hw / hh - 3) < 0.01

    old_path = files.path_for(
        settings.data_dir, (await Account.get(id=alice.account.id)).avatar_path
    )  # type: ignore[arg-type]
    assert old_path.is_file()
    replaced = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice.headers,
        files={"avatar": ("new.png", png(), "image/png")},
    )
    assert replaced.status_code == 200
    assert (
        replaced.json()["avatar"] != body["avatar"] and replaced.json()["header"] == body["header"]
    )
    assert not old_path.exists()
    me = await client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)
    assert me.json()["avatar"] == replaced.json()["avatar"]


async def test_a_bad_avatar_changes_nothing(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    response = await client.patch(
        "/api/v1/accounts/update_credentials",
        headers=alice.headers,
        data={"display_name": "Should not stick"},
        files={"avatar": ("me.jpg", b"not an image at all", "image/jpeg")},
    )
    assert response.status_code == 422 and "content type is invalid" in response.json()["error"]
    account = await Account.get(id=alice.account.id)
    assert account.display_name != "Should not stick" and account.avatar_path is None


# --- cleanup -------------------------------------------------------------------------------


async def test_cleanup_job_deletes_day_old_unattached_media_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = await make_user(settings, "alice")
    stale = await uploaded_id(client, alice)
    fresh = await uploaded_id(client, alice)
    attached = await uploaded_id(client, alice)
    await client.post(
        "/api/v1/statuses", headers=alice.headers, data={"status": "k", "media_ids[]": attached}
    )
    two_days_ago = utcnow() - timedelta(days=2)
    await MediaAttachment.filter(id__in=[int(stale), int(attached)]).update(created_at=two_days_ago)
    stale_paths = stored_paths(settings, await MediaAttachment.get(id=int(stale)))
    assert len(stale_paths) == 2 and all(p.is_file() for p in stale_paths)

    assert "media.cleanup" in await schedule.enqueue_due()
    assert "media.cleanup" not in await schedule.enqueue_due()  # at most once per interval
    assert await Job.filter(kind="media.cleanup").count() == 1
    await Worker(AppContext.build(settings)).run_until_idle()

    assert not await MediaAttachment.filter(id=int(stale)).exists()
    assert not any(p.exists() for p in stale_paths)
    assert await MediaAttachment.filter(id=int(fresh)).exists()
    assert await MediaAttachment.filter(id=int(attached), status_id__isnull=False).exists()
    assert await Job.filter(kind="media.cleanup").count() == 0


# --- instance ------------------------------------------------------------------------------


async def test_instance_advertises_the_limits_enforced(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from fedianon.services import polls

    config = (await client.get("/api/v2/instance")).json()["configuration"]
    assert config["statuses"]["max_media_attachments"] == media.MAX_ATTACHMENTS
    assert config["media_attachments"]["description_limit"] == media.MAX_DESCRIPTION
    assert config["media_attachments"]["image_size_limit"] == settings.media_max_bytes
    assert config["polls"] == {
        "max_options": polls.MAX_OPTIONS,
        "max_characters_per_option": polls.MAX_OPTION_CHARS,
        "min_expiration": polls.MIN_EXPIRATION,
        "max_expiration": polls.MAX_EXPIRATION,
    }

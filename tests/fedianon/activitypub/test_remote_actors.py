"""Remote actors imported from real payloads keep their avatar and header as remote links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federation import activitystreams as as2
from fedianon.activitypub.remote import upsert_actor

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "activitypub"


def _icon_url(value: object) -> str | None:
    """The fixture's own icon/image URL, read independently of the parser."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) else None


@pytest.mark.parametrize("server", ["mastodon", "misskey", "gotosocial"])
async def test_avatar_and_header_are_kept(app, server: str) -> None:  # type: ignore[no-untyped-def]
    document = json.loads((FIXTURES / server / "person.json").read_text())
    actor = as2.parse(document)
    assert isinstance(actor, as2.Actor)
    account = await upsert_actor(app.state.ctx, actor)
    assert account.avatar_remote_url == _icon_url(document.get("icon"))
    assert account.avatar_remote_url and account.avatar_remote_url.startswith("http")
    assert account.header_remote_url == _icon_url(document.get("image"))

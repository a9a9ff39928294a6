"""Reading positions (markers) and posting preferences."""

from __future__ import annotations

from typing import Any

from fedianon.errors import ValidationFailed
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.models.timelines import Marker
from fedianon.timeutil import iso

TIMELINES = ("home", "notifications")


def preferences(account: Account) -> dict[str, Any]:
    return {
        "posting:default:visibility": account.default_visibility,
        "posting:default:sensitive": account.default_sensitive,
        "posting:default:language": account.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


def _entity(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": marker.last_read_id,
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


async def get_markers(account: Account, timelines: list[str]) -> dict[str, Any]:
    wanted = [t for t in timelines if t in TIMELINES] or list(TIMELINES)
    return {
        m.timeline: _entity(m)
        for m in await Marker.filter(account_id=account.id, timeline__in=wanted)
    }


async def save_markers(account: Account, positions: dict[str, str]) -> dict[str, Any]:
    if not positions:
        raise ValidationFailed(
            "Validation failed: give home[last_read_id] or notifications[last_read_id]"
        )
    out = {}
    for timeline, last_read_id in positions.items():
        if timeline not in TIMELINES:
            raise ValidationFailed(f"Validation failed: unknown timeline {timeline!r}")
        if parse_id(last_read_id) is None:
            raise ValidationFailed("Validation failed: last_read_id must be an id")
        marker = await Marker.get_or_none(account_id=account.id, timeline=timeline)
        if marker is None:
            marker = await Marker.create(
                account=account, timeline=timeline, last_read_id=str(last_read_id)
            )
        else:
            marker.last_read_id, marker.version = str(last_read_id), marker.version + 1
            await marker.save()
        out[timeline] = _entity(marker)
    return out

"""Id-range pagination as Mastodon does it: `max_id` (older than), `since_id` (newer than,
newest first), `min_id` (immediately newer than, paging forward), `limit`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.queryset import QuerySet

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


async def fetch_page(query: QuerySet[Any], page: PageRequest, key: str = "id") -> list[Any]:
    """Rows of `query` for the page, newest first, ordered by `key`."""
    if page.max_id is not None:
        query = query.filter(**{f"{key}__lt": page.max_id})
    if page.min_id is not None:
        rows = await query.filter(**{f"{key}__gt": page.min_id}).order_by(key).limit(page.limit)
        return list(reversed(rows))
    if page.since_id is not None:
        query = query.filter(**{f"{key}__gt": page.since_id})
    return list(await query.order_by(f"-{key}").limit(page.limit))


def keys_of(rows: Sequence[Any], key: str = "id") -> tuple[int | None, int | None]:
    """(newest, oldest) keys of a page, for the Link header."""
    if not rows:
        return None, None
    return getattr(rows[0], key), getattr(rows[-1], key)

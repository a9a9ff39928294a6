"""The denormalised counters (statuses, replies, reblogs, favourites, follows): one UPDATE that
adds or removes one in the database itself, so concurrent changes do not lose counts, and never
goes below zero."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F
from tortoise.models import Model


async def increment(model: type[Model], row_id: int, field: str, **also: Any) -> None:
    """`field` + 1 on one row (and `also` set in the same UPDATE)."""
    await model.filter(id=row_id).update(**{field: F(field) + 1}, **also)


async def decrement(model: type[Model], row_id: int, field: str) -> None:
    """`field` - 1 on one row, unless it is already zero."""
    await model.filter(id=row_id, **{f"{field}__gt": 0}).update(**{field: F(field) - 1})

"""The common base of every table: a snowflake primary key."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from fedianon.ids import new_id


class SnowflakeModel(Model):
    id = fields.BigIntField(primary_key=True, generated=False, default=new_id)

    class Meta:
        abstract = True

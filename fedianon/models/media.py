"""Media attachments: local files (random names under the data dir) or remote links."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel
from fedianon.models.statuses import Status


class MediaAttachment(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    status: fields.ForeignKeyNullableRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name="media", null=True, on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)
    type = fields.CharField(max_length=16, default="image")  # image|gifv|video|audio|unknown
    content_type = fields.CharField(max_length=128, null=True)
    file_path = fields.CharField(max_length=255, null=True)
    preview_path = fields.CharField(max_length=255, null=True)
    file_size = fields.IntField(null=True)
    remote_url = fields.CharField(max_length=1024, null=True)
    preview_remote_url = fields.CharField(max_length=1024, null=True)
    description = fields.TextField(null=True)
    focus_x = fields.FloatField(default=0.0)
    focus_y = fields.FloatField(default=0.0)
    meta = fields.JSONField(default=dict)
    blurhash = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "media_attachments"
        indexes = (("status_id", "position"),)

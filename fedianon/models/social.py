"""Relationships between accounts and what they do to statuses."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel
from fedianon.models.statuses import Status


def _account(related: str | bool = False) -> fields.ForeignKeyRelation[Account]:
    return fields.ForeignKeyField("models.Account", related_name=related, on_delete=fields.CASCADE)


class Follow(SnowflakeModel):
    account = _account()  # the follower
    target_account = _account()
    uri = fields.CharField(max_length=1024, null=True)
    show_reblogs = fields.BooleanField(default=True)
    notify = fields.BooleanField(default=False)
    languages = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follows"
        unique_together = (("account_id", "target_account_id"),)
        indexes = (("target_account_id", "id"),)


class FollowRequest(SnowflakeModel):
    account = _account()
    target_account = _account()
    uri = fields.CharField(max_length=1024, null=True)
    show_reblogs = fields.BooleanField(default=True)
    notify = fields.BooleanField(default=False)
    languages = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follow_requests"
        unique_together = (("account_id", "target_account_id"),)
        indexes = (("target_account_id", "id"),)


class Block(SnowflakeModel):
    account = _account()
    target_account = _account()
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocks"
        unique_together = (("account_id", "target_account_id"),)
        indexes = (("target_account_id", "account_id"),)


class Mute(SnowflakeModel):
    account = _account()
    target_account = _account()
    hide_notifications = fields.BooleanField(default=True)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mutes"
        unique_together = (("account_id", "target_account_id"),)


class AccountDomainBlock(SnowflakeModel):
    """A user's own block of a whole domain (/api/v1/domain_blocks)."""

    account = _account()
    domain = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_domain_blocks"
        unique_together = (("account_id", "domain"),)


class Favourite(SnowflakeModel):
    account = _account()
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "favourites"
        unique_together = (("account_id", "status_id"),)
        indexes = (("status_id", "id"),)


class Bookmark(SnowflakeModel):
    account = _account()
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bookmarks"
        unique_together = (("account_id", "status_id"),)


class StatusPin(SnowflakeModel):
    account = _account()
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "status_pins"
        unique_together = (("account_id", "status_id"),)


class Notification(SnowflakeModel):
    account = _account()  # the recipient
    from_account = _account()
    type = fields.CharField(max_length=32)
    status: fields.ForeignKeyNullableRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, null=True, on_delete=fields.CASCADE
    )
    report_id = fields.BigIntField(null=True)
    account_warning_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications"
        indexes = (("account_id", "id"),)


class IdempotencyKey(SnowflakeModel):
    account = _account()
    key = fields.CharField(max_length=255)
    status_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("account_id", "key"),)

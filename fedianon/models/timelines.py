"""What each reader sees: home feed entries (fan-out on write), lists, filters, markers and
direct conversations."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel
from fedianon.models.statuses import Conversation, Status


class HomeFeedEntry(SnowflakeModel):
    """One status in one account's home timeline, written when the status arrives."""

    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "home_feed_entries"
        unique_together = (("account_id", "status_id"),)
        # Deleting a status (its cascade, and who to tell) finds entries by status.
        indexes = (("status_id", "account_id"),)


class List(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=255)
    replies_policy = fields.CharField(max_length=16, default="list")  # followed|list|none
    exclusive = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lists"
        indexes = (("account_id", "id"),)


class ListAccount(SnowflakeModel):
    list: fields.ForeignKeyRelation[List] = fields.ForeignKeyField(
        "models.List", related_name=False, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )

    class Meta:
        table = "list_accounts"
        unique_together = (("list_id", "account_id"),)
        indexes = (("account_id", "list_id"),)  # fan-out: the lists an author is in


class ListFeedEntry(SnowflakeModel):
    list: fields.ForeignKeyRelation[List] = fields.ForeignKeyField(
        "models.List", related_name=False, on_delete=fields.CASCADE
    )
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )

    class Meta:
        table = "list_feed_entries"
        unique_together = (("list_id", "status_id"),)
        indexes = (("status_id", "list_id"),)


class Marker(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    timeline = fields.CharField(max_length=32)  # home|notifications
    last_read_id = fields.CharField(max_length=32)
    version = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "markers"
        unique_together = (("account_id", "timeline"),)


class Filter(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=255)
    context = fields.JSONField(default=list)  # home|notifications|public|thread|account
    filter_action = fields.CharField(max_length=16, default="warn")  # warn|hide|blur
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "filters"
        indexes = (("account_id", "id"),)  # read on every page a user renders


class FilterKeyword(SnowflakeModel):
    user_filter: fields.ForeignKeyRelation[Filter] = fields.ForeignKeyField(
        "models.Filter", related_name=False, on_delete=fields.CASCADE
    )
    keyword = fields.CharField(max_length=255)
    whole_word = fields.BooleanField(default=True)

    class Meta:
        table = "filter_keywords"
        indexes = (("user_filter_id", "id"),)


class FilterStatus(SnowflakeModel):
    user_filter: fields.ForeignKeyRelation[Filter] = fields.ForeignKeyField(
        "models.Filter", related_name=False, on_delete=fields.CASCADE
    )
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )

    class Meta:
        table = "filter_statuses"
        unique_together = (("user_filter_id", "status_id"),)


class AccountConversation(SnowflakeModel):
    """One participant's view of a direct conversation."""

    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name=False, on_delete=fields.CASCADE
    )
    participant_ids = fields.JSONField(default=list)
    last_status: fields.ForeignKeyNullableRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    unread = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "account_conversations"
        unique_together = (("account_id", "conversation_id"),)
        indexes = (("account_id", "last_status_id"), ("last_status_id",))

"""Statuses (local and remote posts and boosts), their edits, mentions, tags and polls."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel

VISIBILITIES = ("public", "unlisted", "private", "direct")


class Conversation(SnowflakeModel):
    uri = fields.CharField(max_length=1024, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversations"


class Status(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="statuses", on_delete=fields.CASCADE
    )
    uri = fields.CharField(max_length=1024, unique=True)
    url = fields.CharField(max_length=1024, null=True)
    local = fields.BooleanField(default=True)
    content = fields.TextField(default="")  # sanitized HTML
    text = fields.TextField(default="")  # source text (local)
    spoiler_text = fields.TextField(default="")
    visibility = fields.CharField(max_length=16, default="public")
    sensitive = fields.BooleanField(default=False)
    language = fields.CharField(max_length=16, null=True)
    in_reply_to: fields.ForeignKeyNullableRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    in_reply_to_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    in_reply_to_uri = fields.CharField(max_length=1024, null=True)
    # A reply to someone else (self-replies are threads): public timelines and
    # `exclude_replies` leave these out, as Mastodon does.
    reply_to_other = fields.BooleanField(default=False)
    reblog_of: fields.ForeignKeyNullableRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, null=True, on_delete=fields.CASCADE
    )
    conversation: fields.ForeignKeyNullableRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    application_name = fields.CharField(max_length=255, null=True)
    application_website = fields.CharField(max_length=1024, null=True)
    has_media = fields.BooleanField(default=False)
    # Remote custom emojis: [{"shortcode", "url", "static_url", "visible_in_picker"}]
    emojis = fields.JSONField(null=True)
    replies_count = fields.IntField(default=0)
    reblogs_count = fields.IntField(default=0)
    favourites_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    edited_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "statuses"
        indexes = (("account_id", "id"), ("reblog_of_id", "account_id"), ("in_reply_to_id", "id"))


class StatusEdit(SnowflakeModel):
    """A previous version of an edited status, for /history."""

    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    content = fields.TextField(default="")
    spoiler_text = fields.TextField(default="")
    sensitive = fields.BooleanField(default=False)
    media_json = fields.JSONField(default=list)
    poll_json = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "status_edits"
        indexes = (("status_id", "id"),)


class Mention(SnowflakeModel):
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    silent = fields.BooleanField(default=False)

    class Meta:
        table = "mentions"
        unique_together = (("status_id", "account_id"),)
        indexes = (("account_id", "status_id"),)


class Tag(SnowflakeModel):
    name = fields.CharField(max_length=255, unique=True)  # lowercase
    display_name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tags"


class StatusTag(SnowflakeModel):
    status: fields.ForeignKeyRelation[Status] = fields.ForeignKeyField(
        "models.Status", related_name=False, on_delete=fields.CASCADE
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "models.Tag", related_name=False, on_delete=fields.CASCADE
    )

    class Meta:
        table = "status_tags"
        unique_together = (("status_id", "tag_id"),)
        indexes = (("tag_id", "status_id"),)


class FollowedTag(SnowflakeModel):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "models.Tag", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "followed_tags"
        unique_together = (("account_id", "tag_id"),)


class Poll(SnowflakeModel):
    status: fields.OneToOneRelation[Status] = fields.OneToOneField(
        "models.Status", related_name="poll", on_delete=fields.CASCADE
    )
    options = fields.JSONField(default=list)  # [{"title": str, "votes_count": int}]
    multiple = fields.BooleanField(default=False)
    hide_totals = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)  # set when expiry was processed
    votes_count = fields.IntField(default=0)
    voters_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "polls"


class PollVote(SnowflakeModel):
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "models.Poll", related_name=False, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    choice = fields.IntField()
    uri = fields.CharField(max_length=1024, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "poll_votes"
        unique_together = (("poll_id", "account_id", "choice"),)

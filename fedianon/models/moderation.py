"""Moderation: reports, domain blocks and allows, blocklist subscriptions and provenance."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel


class Report(SnowflakeModel):
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )  # the local reporter, or the remote instance actor that sent a Flag
    target_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    status_ids = fields.JSONField(default=list)
    rule_ids = fields.JSONField(default=list)
    comment = fields.TextField(default="")
    category = fields.CharField(max_length=32, default="other")
    forwarded = fields.BooleanField(default=False)
    uri = fields.CharField(max_length=1024, null=True)
    origin_domain = fields.CharField(max_length=255, null=True)
    assigned_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action_taken_by_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action_taken_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reports"


class AdminAction(SnowflakeModel):
    """The audit log of moderator actions."""

    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32)
    target_id = fields.CharField(max_length=255)
    text = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_actions"


class AccountWarning(SnowflakeModel):
    """A strike on a local account (Mastodon's AccountWarning): what a moderator did and told
    its owner, shown to them as a `moderation_warning` notification. Who acted is in the
    audit log, not here."""

    target_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    action = fields.CharField(max_length=32)  # none, sensitive, disable, silence, suspend
    text = fields.TextField(default="")
    status_ids = fields.JSONField(default=list)
    report_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_warnings"
        indexes = (("target_account_id", "id"),)


class DomainBlock(SnowflakeModel):
    domain = fields.CharField(max_length=255, unique=True)  # punycode, lowercase
    severity = fields.CharField(max_length=16, default="silence")  # silence|suspend|noop
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    private_comment = fields.TextField(null=True)
    public_comment = fields.TextField(null=True)
    obfuscate = fields.BooleanField(default=False)
    # The subscription that owns it (null: set by an admin, or adopted).
    subscription: fields.ForeignKeyNullableRelation[BlocklistSubscription] = fields.ForeignKeyField(
        "models.BlocklistSubscription", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    source = fields.CharField(max_length=32, default="admin")  # admin|import|subscription|adopted
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "domain_blocks"


class DomainAllow(SnowflakeModel):
    domain = fields.CharField(max_length=255, unique=True)
    subscription: fields.ForeignKeyNullableRelation[BlocklistSubscription] = fields.ForeignKeyField(
        "models.BlocklistSubscription", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "domain_allows"


class BlocklistSubscription(SnowflakeModel):
    title = fields.CharField(max_length=255, null=True, unique=True)
    uri = fields.CharField(max_length=1024, unique=True)
    kind = fields.CharField(max_length=16, default="url")  # url|activitypub
    content_type = fields.CharField(max_length=64, default="text/csv")
    permission_type = fields.CharField(max_length=16, default="block")  # block|allow
    priority = fields.IntField(default=0)
    as_draft = fields.BooleanField(default=True)
    adopt_orphans = fields.BooleanField(default=False)
    remove_retracted = fields.BooleanField(default=True)
    max_severity = fields.CharField(max_length=16, default="suspend")
    fetch_username = fields.CharField(max_length=255, null=True)
    fetch_password = fields.CharField(max_length=255, null=True)
    etag = fields.CharField(max_length=255, null=True)
    last_modified = fields.CharField(max_length=64, null=True)
    fetched_at = fields.DatetimeField(null=True)
    successfully_fetched_at = fields.DatetimeField(null=True)
    error = fields.TextField(null=True)
    count = fields.IntField(default=0)
    actor_uri = fields.CharField(
        max_length=1024, null=True
    )  # kind=activitypub: the peer's instance actor
    follow_state = fields.CharField(max_length=16, null=True)  # requested|accepted|rejected
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocklist_subscriptions"


class BlocklistDraft(SnowflakeModel):
    domain = fields.CharField(max_length=255)
    permission_type = fields.CharField(max_length=16, default="block")
    severity = fields.CharField(max_length=16, default="suspend")
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    obfuscate = fields.BooleanField(default=False)
    public_comment = fields.TextField(null=True)
    private_comment = fields.TextField(null=True)
    subscription: fields.ForeignKeyNullableRelation[BlocklistSubscription] = fields.ForeignKeyField(
        "models.BlocklistSubscription", related_name=False, null=True, on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocklist_drafts"
        unique_together = (("domain", "permission_type", "subscription_id"),)


class BlocklistExclude(SnowflakeModel):
    domain = fields.CharField(max_length=255, unique=True)
    private_comment = fields.TextField(null=True)
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocklist_excludes"


class BlocklistProvenance(SnowflakeModel):
    """One subscription lists one domain: kept so a block is retracted only when no list has it."""

    domain = fields.CharField(max_length=255, db_index=True)
    subscription: fields.ForeignKeyRelation[BlocklistSubscription] = fields.ForeignKeyField(
        "models.BlocklistSubscription", related_name=False, on_delete=fields.CASCADE
    )
    severity = fields.CharField(max_length=16)
    public_comment = fields.TextField(null=True)
    obfuscate = fields.BooleanField(default=False)
    first_seen_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "blocklist_provenance"
        unique_together = (("domain", "subscription_id"),)

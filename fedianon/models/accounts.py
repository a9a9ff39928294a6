"""Accounts: local people, remote actors and the instance actor, in one table.

`domain` is null for local accounts. Local accounts carry a password hash, an optional email
digest (never an address) and a private key; remote ones carry their actor endpoints and keys.
"""

from __future__ import annotations

from tortoise import fields

from fedianon.models.base import SnowflakeModel

ROLE_USER = "user"
ROLE_MODERATOR = "moderator"
ROLE_ADMIN = "admin"
ROLES = (ROLE_USER, ROLE_MODERATOR, ROLE_ADMIN)


class Account(SnowflakeModel):
    username = fields.CharField(max_length=255)
    domain = fields.CharField(max_length=255, null=True, db_index=True)
    # lowercase `username` (local) or `username@domain` (remote): unique, for lookups.
    acct_key = fields.CharField(max_length=512, unique=True)
    uri = fields.CharField(max_length=1024, unique=True)
    url = fields.CharField(max_length=1024, null=True)
    actor_type = fields.CharField(max_length=32, default="Person")
    display_name = fields.CharField(max_length=255, default="")
    note = fields.TextField(default="")  # sanitized HTML
    note_source = fields.TextField(default="")  # plain text, local only
    fields_json = fields.JSONField(default=list)  # [{"name","value","verified_at"}]
    emojis = fields.JSONField(null=True)  # remote custom emojis in the name, note and fields
    avatar_path = fields.CharField(max_length=255, null=True)
    header_path = fields.CharField(max_length=255, null=True)
    avatar_remote_url = fields.CharField(max_length=1024, null=True)
    header_remote_url = fields.CharField(max_length=1024, null=True)
    locked = fields.BooleanField(default=False)
    bot = fields.BooleanField(default=False)
    group = fields.BooleanField(default=False)
    discoverable = fields.BooleanField(default=True)
    indexable = fields.BooleanField(default=False)
    hide_collections = fields.BooleanField(default=False)

    # local only
    role = fields.CharField(max_length=16, default=ROLE_USER)
    password_hash = fields.CharField(max_length=255, null=True)
    email_digest = fields.CharField(max_length=64, null=True, db_index=True)
    session_version = fields.IntField(default=0)
    default_visibility = fields.CharField(max_length=16, default="public")
    default_sensitive = fields.BooleanField(default=False)
    default_language = fields.CharField(max_length=16, null=True)

    # keys: private key only for local accounts
    private_key_pem = fields.TextField(null=True)
    public_key_pem = fields.TextField(null=True)
    key_id = fields.CharField(max_length=1024, null=True, db_index=True)

    # remote endpoints
    inbox_url = fields.CharField(max_length=1024, null=True)
    shared_inbox_url = fields.CharField(max_length=1024, null=True)
    outbox_url = fields.CharField(max_length=1024, null=True)
    followers_url = fields.CharField(max_length=1024, null=True)
    following_url = fields.CharField(max_length=1024, null=True)
    featured_url = fields.CharField(max_length=1024, null=True)
    fetched_at = fields.DatetimeField(null=True)
    # account migration (remote): the actor's other ids, and where a verified Move pointed
    also_known_as = fields.JSONField(null=True)
    moved_to_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    statuses_count = fields.IntField(default=0)
    followers_count = fields.IntField(default=0)
    following_count = fields.IntField(default=0)
    last_status_at = fields.DatetimeField(null=True)

    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    silenced_at = fields.DatetimeField(null=True)
    suspended_at = fields.DatetimeField(null=True)
    # remote: suspended by its own server (its actor says `suspended`), not by a moderator here;
    # lifted again when the actor no longer says so
    suspended_by_origin = fields.BooleanField(default=False, db_default=False)
    disabled_at = fields.DatetimeField(null=True)
    sensitized_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "accounts"

    @property
    def local(self) -> bool:
        return self.domain is None

    @property
    def moved_to(self) -> Account | None:
        """The account this one moved to, when the relation was loaded (select_related or
        fetch_related); None when it did not move or was not loaded."""
        loaded = self.__dict__.get("_moved_to_account")
        return loaded if isinstance(loaded, Account) else None

    @property
    def is_instance_actor(self) -> bool:
        """The instance's own actor (the `Application` at /actor): no one's account."""
        return self.domain is None and self.actor_type == "Application"

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"

    @property
    def is_staff(self) -> bool:
        return self.role in (ROLE_ADMIN, ROLE_MODERATOR)

    def __str__(self) -> str:
        return self.acct


class EmailVerification(SnowflakeModel):
    """A pending sign-up or password reset: the code's HMAC, never the address."""

    purpose = fields.CharField(max_length=16)  # "signup" | "reset"
    token_digest = fields.CharField(max_length=64, unique=True)  # the browser's session token
    email_digest = fields.CharField(max_length=64, db_index=True)
    code_digest = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.CASCADE
    )
    expires_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_verifications"

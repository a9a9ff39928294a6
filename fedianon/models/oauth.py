"""OAuth 2 clients, authorization codes and access tokens (stored as SHA-256 digests)."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.accounts import Account
from fedianon.models.base import SnowflakeModel


class Application(SnowflakeModel):
    name = fields.CharField(max_length=255)
    website = fields.CharField(max_length=1024, null=True)
    redirect_uris = fields.TextField()  # newline-separated
    scopes = fields.CharField(max_length=1024, default="read")
    client_id = fields.CharField(max_length=64, unique=True)
    client_secret = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_applications"

    @property
    def redirect_uri_list(self) -> list[str]:
        return [uri for uri in self.redirect_uris.split("\n") if uri]


class AuthorizationCode(SnowflakeModel):
    code_digest = fields.CharField(max_length=64, unique=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name=False, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, on_delete=fields.CASCADE
    )
    redirect_uri = fields.CharField(max_length=2048)
    scopes = fields.CharField(max_length=1024)
    code_challenge = fields.CharField(max_length=128, null=True)
    code_challenge_method = fields.CharField(max_length=16, null=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_authorization_codes"


class AccessToken(SnowflakeModel):
    token_digest = fields.CharField(max_length=64, unique=True)
    application: fields.ForeignKeyNullableRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name=False, null=True, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name=False, null=True, on_delete=fields.CASCADE
    )
    scopes = fields.CharField(max_length=1024)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_access_tokens"

"""Local accounts: creation, sign-in, roles and suspension, profile updates."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from federation.signatures.keys import generate_rsa_keypair
from fedianon.db import atomic, transaction
from fedianon.errors import NotFound, ValidationFailed
from fedianon.models.accounts import ROLE_USER, ROLES, Account
from fedianon.services import passwords
from fedianon.services.handles import normalize_handle, validate_handle
from fedianon.services.text import plain_to_html
from fedianon.timeutil import utcnow
from fedianon.urls import LocalUrls

if TYPE_CHECKING:
    from fedianon.context import AppContext

log = logging.getLogger("fedianon.accounts")

MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELDS = 4


class HandleTaken(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("That handle is already taken; choose another one")


async def handle_available(handle: str) -> bool:
    return not await Account.filter(acct_key=handle).exists()


async def create_local_account(
    urls: LocalUrls,
    *,
    handle: str,
    password: str | None,
    role: str = ROLE_USER,
    email_digest: str | None = None,
) -> Account:
    """Create a local account with a fresh RSA key pair. Raises ValidationFailed."""
    handle = validate_handle(normalize_handle(handle))
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role {role!r}; use one of {', '.join(ROLES)}")
    password_hash = passwords.hash_password(password) if password is not None else None
    if not await handle_available(handle):
        raise HandleTaken()
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    try:
        async with transaction():
            return await Account.create(
                username=handle,
                domain=None,
                acct_key=handle,
                uri=urls.actor(handle),
                url=urls.profile(handle),
                role=role,
                password_hash=password_hash,
                email_digest=email_digest,
                private_key_pem=private_pem,
                public_key_pem=public_pem,
                key_id=urls.key_id(handle),
                inbox_url=urls.inbox(handle),
                shared_inbox_url=urls.shared_inbox,
                outbox_url=urls.outbox(handle),
                followers_url=urls.followers(handle),
                following_url=urls.following(handle),
                featured_url=urls.featured(handle),
            )
    except IntegrityError:
        raise HandleTaken() from None


async def ensure_instance_actor(urls: LocalUrls, domain: str) -> Account:
    """The instance actor (`/actor`): signs fetches and owns the published blocklist."""
    existing = await Account.get_or_none(uri=urls.instance_actor)
    if existing is not None:
        return existing
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    try:
        return await Account.create(
            username=domain,
            domain=None,
            acct_key=f"{domain}#instance-actor",
            uri=urls.instance_actor,
            url=f"{urls.base}/about",
            actor_type="Application",
            display_name=domain,
            locked=True,
            discoverable=False,
            private_key_pem=private_pem,
            public_key_pem=public_pem,
            key_id=urls.instance_key_id,
            inbox_url=f"{urls.instance_actor}/inbox",
            shared_inbox_url=urls.shared_inbox,
            outbox_url=f"{urls.instance_actor}/outbox",
            followers_url=f"{urls.instance_actor}/followers",
            following_url=f"{urls.instance_actor}/following",
        )
    except IntegrityError:
        return await Account.get(uri=urls.instance_actor)


async def get_account(account_id: int) -> Account:
    """An account by id as the API shows it: the instance actor is no one's account."""
    account = await Account.get_or_none(id=account_id)
    if account is None or account.is_instance_actor:
        raise NotFound()
    return account


async def get_local_by_handle(handle: str) -> Account | None:
    return await Account.get_or_none(acct_key=normalize_handle(handle), domain=None)


async def authenticate(handle: str, password: str) -> Account | None:
    """The account when the handle and password match and it may sign in, else None."""
    account = await get_local_by_handle(handle)
    ok = passwords.verify_password(account.password_hash if account else None, password)
    if (
        not ok
        or account is None
        or account.suspended_at
        or account.disabled_at
        or account.deleted_at
    ):
        return None
    return account


async def set_password(account: Account, password: str) -> None:
    account.password_hash = passwords.hash_password(password)
    account.session_version += 1
    await account.save(update_fields=["password_hash", "session_version", "updated_at"])


@dataclass(frozen=True)
class Modification:
    role: str | None = None
    suspend: bool = False
    unsuspend: bool = False
    disable: bool = False
    enable: bool = False
    password: str | None = None


async def modify_account(ctx: AppContext, handle: str, change: Modification) -> Account:
    from fedianon.services import outbox  # it needs the context module, which needs this one

    account = await get_local_by_handle(handle)
    if account is None or account.is_instance_actor:
        raise NotFound(f"No local account @{normalize_handle(handle)}")
    if change.role is not None:
        if change.role not in ROLES:
            raise ValidationFailed(f"Unknown role {change.role!r}; use one of {', '.join(ROLES)}")
        account.role = change.role
    now = utcnow()
    was_suspended = account.suspended_at is not None
    if change.suspend:
        account.suspended_at = account.suspended_at or now
        account.session_version += 1
    if change.unsuspend:
        account.suspended_at = None
    if change.disable:
        account.disabled_at = account.disabled_at or now
        account.session_version += 1
    if change.enable:
        account.disabled_at = None
    if change.password is not None:
        account.password_hash = passwords.hash_password(change.password)
        account.session_version += 1
    async with atomic():
        await account.save()
        if (account.suspended_at is not None) != was_suspended:
            await outbox.profile_updated(ctx, account)  # peers hide or show it again
    return account


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    fields: list[tuple[str, str]] | None = None
    default_visibility: str | None = None
    default_sensitive: bool | None = None
    default_language: str | None = None


async def update_profile(account: Account, update: ProfileUpdate) -> Account:
    """Apply a profile update atomically: every field is validated before anything is saved."""
    if update.display_name is not None:
        name = update.display_name.strip()
        if len(name) > MAX_DISPLAY_NAME:
            raise ValidationFailed(
                f"Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)"
            )
        account.display_name = name
    if update.note is not None:
        if len(update.note) > MAX_NOTE:
            raise ValidationFailed(
                f"Validation failed: Note is too long (maximum is {MAX_NOTE} characters)"
            )
        account.note_source = update.note
        account.note = plain_to_html(update.note)
    if update.fields is not None:
        if len(update.fields) > MAX_FIELDS:
            raise ValidationFailed(
                f"Validation failed: Fields are too many (maximum is {MAX_FIELDS})"
            )
        cleaned = []
        for name, value in update.fields:
            if len(name) > 255 or len(value) > 255:
                raise ValidationFailed(
                    "Validation failed: A profile field is too long (maximum is 255 characters)"
                )
            if name.strip() or value.strip():
                cleaned.append({"name": name.strip(), "value": value.strip(), "verified_at": None})
        account.fields_json = cleaned
    if update.default_visibility is not None:
        if update.default_visibility not in ("public", "unlisted", "private", "direct"):
            raise ValidationFailed("Validation failed: Default privacy is not a visibility")
        account.default_visibility = update.default_visibility
    if update.default_language is not None:
        language = update.default_language.strip().lower()
        if language and (len(language) > 16 or not language.replace("-", "").isalpha()):
            raise ValidationFailed("Validation failed: Language is not a language code")
        account.default_language = language or None
    for name in (
        "locked",
        "bot",
        "discoverable",
        "indexable",
        "hide_collections",
        "default_sensitive",
    ):
        value = getattr(update, name)
        if value is not None:
            setattr(account, name, value)
    await account.save()
    return account


async def for_session(account_id: object, session_version: object) -> Account | None:
    """The signed-in account of a web session, if it is still valid."""
    if not isinstance(account_id, int) or not isinstance(session_version, int):
        return None
    account = await Account.get_or_none(id=account_id, domain=None)
    if account is None or account.session_version != session_version:
        return None
    if account.suspended_at or account.disabled_at or account.deleted_at:
        return None
    return account

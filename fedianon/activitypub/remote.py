"""Remote actors and objects: fetch, validate and cache them as Accounts and Statuses.

Every fetch is signed by the instance actor and goes through the SSRF guard. A fetched
document must live on the host it was fetched from (no spoofed ids), and an actor's
`acct` is `preferredUsername@host[:port]` of its id.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from federation import webfinger
from federation.client import FetchError, Signer
from federation.signatures.keys import KeyMaterialError, load_public_key, public_key_pem
from fedianon.context import AppContext
from fedianon.errors import FedianonError
from fedianon.models.accounts import Account
from fedianon.services.text import sanitize_html
from fedianon.timeutil import utcnow

log = logging.getLogger("fedianon.remote")
ACTOR_TTL = timedelta(hours=24)


class RemoteError(FedianonError):
    """A remote document could not be fetched or was not acceptable."""

    status_code = 422


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


def instance_signer(ctx: AppContext) -> Signer:
    actor = ctx.extras["instance_actor"]
    return Signer(actor.key_id, actor.private_key_pem)


def account_signer(account: Account) -> Signer:
    assert account.private_key_pem and account.key_id
    return Signer(account.key_id, account.private_key_pem)


def is_local_url(ctx: AppContext, url: str) -> bool:
    return host_of(url) == ctx.settings.domain.lower()


async def fetch_document(ctx: AppContext, url: str) -> dict[str, Any]:
    if ctx.federation is None:
        raise RemoteError("federation is not available in this process")
    from fedianon.activitypub import policy

    if await policy.domain_suspended(host_of(url)):
        raise RemoteError(f"{host_of(url)} is blocked here")
    try:
        fetched = await ctx.federation.fetch_json(url, signer=instance_signer(ctx))
    except FetchError as exc:
        raise RemoteError(f"could not fetch {url}: {exc.reason}") from exc
    data = fetched.data
    if not isinstance(data, dict):
        raise RemoteError(f"{url} did not return a JSON object")
    document_id = data.get("id")
    if isinstance(document_id, str) and host_of(document_id) != host_of(fetched.url):
        raise RemoteError(f"{url} returned a document of another host ({host_of(document_id)})")
    return data


def _image_url(image: as2.Attachment | None) -> str | None:
    return image.url if image is not None and as2.is_http_url(image.url) else None


async def _verified_move_target(actor: as2.Actor) -> int | None:
    """The id of the account named by the actor's `movedTo`, if it is already known here and
    names the actor among its aliases (a Move seen earlier, or missed while we were down).
    Nothing is fetched here; the Move activity does that (inbound.actors.move)."""
    if not actor.moved_to:
        return None
    target = await Account.get_or_none(uri=actor.moved_to)
    if target is None or actor.id not in (target.also_known_as or []):
        return None
    return target.id


def _origin_suspension(existing: Account | None, actor: as2.Actor) -> dict[str, Any]:
    """Follow the actor's own server's suspension (Mastodon's `suspended` flag): hide the
    account while it says so, show it again when it stops; a suspension by a moderator here
    is never lifted by the peer."""
    if actor.suspended and (existing is None or existing.suspended_at is None):
        return {"suspended_at": utcnow(), "suspended_by_origin": True}
    if not actor.suspended and existing is not None and existing.suspended_by_origin:
        return {"suspended_at": None, "suspended_by_origin": False}
    return {}


async def upsert_actor(ctx: AppContext, actor: as2.Actor) -> Account:
    """Create or refresh the Account for a parsed remote actor."""
    from fedianon.activitypub import policy
    from fedianon.activitypub.inbound.statuses import emojis_of

    if is_local_url(ctx, actor.id):
        found = await Account.get_or_none(uri=actor.id)
        if found is None:
            raise RemoteError("a local actor cannot be imported")
        return found
    domain = host_of(actor.id)
    media_rejected = await policy.rejects_media(domain)
    username = (
        (actor.preferred_username or "").strip()
        or urlsplit(actor.id).path.rstrip("/").rsplit("/", 1)[-1]
        or "unknown"
    )
    key = actor.public_key
    pem = None
    key_id = None
    if key is not None and key.pem:
        try:
            pem = public_key_pem(load_public_key(key.pem))
            key_id = key.id
        except KeyMaterialError:
            log.warning("actor %s has an unreadable public key", actor.id)
    fields = [
        {"name": f.name[:255], "value": sanitize_html(f.value or "")[:2048], "verified_at": None}
        for f in (actor.fields or [])[:10]
    ]
    values: dict[str, Any] = {
        "username": username[:255],
        "domain": domain,
        "url": actor.url if isinstance(actor.url, str) else actor.id,
        "actor_type": actor.type
        if actor.type in ("Person", "Service", "Group", "Application", "Organization")
        else "Person",
        "display_name": (actor.name or "")[:255],
        "note": sanitize_html(actor.summary or ""),
        "fields_json": fields,
        "avatar_remote_url": _image_url(actor.icon),
        "header_remote_url": _image_url(actor.image),
        "locked": bool(actor.manually_approves_followers),
        "bot": actor.type in ("Service", "Application"),
        "group": actor.type == "Group",
        "discoverable": bool(actor.discoverable) if actor.discoverable is not None else False,
        "indexable": bool(actor.indexable),
        "inbox_url": actor.inbox,
        "shared_inbox_url": actor.shared_inbox,
        "outbox_url": actor.outbox,
        "followers_url": actor.followers,
        "following_url": actor.following,
        "featured_url": actor.featured,
        "fetched_at": utcnow(),
        "emojis": emojis_of(list(actor.tags or []), rejected=media_rejected),
        "also_known_as": list(actor.also_known_as)[:20] or None,
        "moved_to_account_id": await _verified_move_target(actor),
    }
    if media_rejected:
        values["avatar_remote_url"] = values["header_remote_url"] = None
    if pem is not None:
        values["public_key_pem"], values["key_id"] = pem, key_id
    acct_key = f"{username}@{domain}".lower()[:512]
    existing = await Account.get_or_none(uri=actor.id)
    if existing is not None:
        values.update(_origin_suspension(existing, actor))
        for name, value in values.items():
            setattr(existing, name, value)
        if (
            existing.acct_key != acct_key
            and not await Account.filter(acct_key=acct_key).exclude(id=existing.id).exists()
        ):
            existing.acct_key = acct_key
        await existing.save()
        return existing
    # Another account may hold this acct (the actor moved to a new id): free the name.
    stale = await Account.get_or_none(acct_key=acct_key)
    if stale is not None:
        stale.acct_key = f"{acct_key}#{stale.id}"[:512]
        await stale.save(update_fields=["acct_key"])
    values.update(_origin_suspension(None, actor))
    try:
        return await Account.create(uri=actor.id, acct_key=acct_key, **values)
    except IntegrityError:
        return await Account.get(uri=actor.id)


async def fetch_actor(ctx: AppContext, uri: str, *, refresh: bool = False) -> Account:
    """The Account for an actor URI, fetched when unknown or stale (or `refresh`)."""
    existing = await Account.get_or_none(uri=uri)
    if existing is not None and (
        existing.domain is None
        or (not refresh and existing.fetched_at and utcnow() - existing.fetched_at < ACTOR_TTL)
    ):
        return existing
    try:
        data = await fetch_document(ctx, uri)
        parsed = as2.parse(data)
    except (RemoteError, as2.ParseError) as exc:
        if existing is not None:
            return existing  # keep what we know when the peer is briefly down
        raise RemoteError(f"could not load the actor {uri}: {getattr(exc, 'reason', exc)}") from exc
    if not isinstance(parsed, as2.Actor):
        raise RemoteError(f"{uri} is not an actor")
    if parsed.id != uri and existing is None and await Account.filter(uri=parsed.id).exists():
        return await Account.get(uri=parsed.id)
    return await upsert_actor(ctx, parsed)


async def resolve_acct(ctx: AppContext, username: str, host: str) -> Account | None:
    """`user@host` → Account, by WebFinger then actor fetch; None when it does not exist."""
    host = host.lower()
    if host == ctx.settings.domain.lower():
        return await Account.get_or_none(acct_key=username.lower(), domain=None)
    found = await Account.get_or_none(acct_key=f"{username}@{host}".lower())
    if found is not None:
        return found
    if ctx.federation is None:
        return None
    from fedianon.activitypub import policy

    if await policy.domain_suspended(host):
        return None
    scheme = "http" if ctx.settings.allow_private_addresses and _is_loopbackish(host) else "https"
    try:
        result = await webfinger.lookup(
            ctx.federation,
            webfinger.Acct(username, host),
            scheme_for_host=lambda _h: scheme,
            user_agent=ctx.federation.user_agent,
        )
    except (webfinger.WebFingerError, FetchError) as exc:
        log.info("webfinger for a remote account failed: %s", getattr(exc, "reason", exc))
        return None
    try:
        return await fetch_actor(ctx, result.actor_url)
    except RemoteError as exc:
        log.info("actor fetch failed: %s", exc.message)
        return None


def _is_loopbackish(host: str) -> bool:
    from fedianon.settings import is_loopback_host

    return is_loopback_host(host)


async def key_owner(ctx: AppContext, key_id: str, refresh: bool) -> Account | None:
    """The account whose public key is `key_id`, for signature verification. Without
    `refresh` only what is stored answers; with it the actor is fetched again (the signature
    library asks for that once, when the stored key is missing or fails)."""
    from federation.signatures import actor_uri_from_key_id

    account = await Account.get_or_none(key_id=key_id).only(
        "id", "uri", "key_id", "public_key_pem", "domain"
    )
    if not refresh:
        return account if account is not None and account.public_key_pem else None
    actor_uri = account.uri if account is not None else actor_uri_from_key_id(key_id)
    try:
        fetched = await fetch_actor(ctx, actor_uri, refresh=True)
    except RemoteError:
        return None
    return fetched if fetched.key_id == key_id and fetched.public_key_pem else None

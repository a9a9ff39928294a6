"""Starting and stopping federation in a process (web or worker): the pooled HTTP client,
the instance actor, and the resolvers the services use."""

from __future__ import annotations

from typing import Any

import httpx

from federation.client import FederationClient, user_agent
from federation.guarded_transport import guarded_transport
from fedianon import __version__
from fedianon.activitypub import remote
from fedianon.context import AppContext
from fedianon.models.accounts import Account
from fedianon.models.federation import Instance
from fedianon.services.accounts import ensure_instance_actor

# Requests in flight to one host at a time: polite to a peer, and enough to keep a fan-out to
# many inboxes of one big instance moving.
PER_HOST_DELIVERIES = 16


async def start_federation(ctx: AppContext) -> None:
    settings = ctx.settings
    ctx.extras["instance_actor"] = await ensure_instance_actor(ctx.urls, settings.domain)
    known = {
        i.domain: i.signature_scheme
        for i in await Instance.filter(signature_scheme__isnull=False).only(
            "domain", "signature_scheme"
        )
    }
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    http = httpx.AsyncClient(
        limits=limits,
        # the guard checks each connection's address too, so DNS cannot be rebound to a
        # private address between FederationClient's check and the connect
        transport=None if settings.allow_private_addresses else guarded_transport(limits=limits),
        follow_redirects=False,
        trust_env=False,
    )
    ctx.extras["http"] = http
    ctx.federation = FederationClient(
        http,
        user_agent=user_agent(__version__, settings.domain, scheme=settings.scheme),
        allow_private=settings.allow_private_addresses,
        known_schemes=known,  # type: ignore[arg-type]
        per_host_limit=PER_HOST_DELIVERIES,
    )

    async def resolve_account(username: str, host: str) -> Account | None:
        return await remote.resolve_acct(ctx, username, host)

    ctx.resolve_remote_account = resolve_account
    from datetime import timedelta

    from fedianon.jobs.schedule import periodic

    periodic("blocklist.refresh_all", timedelta(minutes=settings.blocklist_refresh_minutes))


async def stop_federation(ctx: AppContext) -> None:
    http = ctx.extras.pop("http", None)
    if http is not None:
        await http.aclose()
    ctx.federation = None


async def resolve_query(ctx: AppContext, query: str) -> Any:
    """`search?resolve=true`: an `@user@host` handle or a URL of an actor or a status."""
    from federation import activitystreams as as2
    from fedianon.activitypub.inbound.statuses import Rejected, import_note, resolve_status

    text = query.strip()
    if text.startswith(("http://", "https://")):
        if remote.is_local_url(ctx, text):
            from fedianon.models.statuses import Status

            return (
                await Account.get_or_none(uri=text)
                or await Account.get_or_none(url=text)
                or await Status.get_or_none(uri=text)
                or await Status.get_or_none(url=text)
            )
        known = await Account.get_or_none(uri=text)
        if known is not None:
            return known
        found = await resolve_status(ctx, text)
        if found is not None:
            return found
        try:
            document = await remote.fetch_document(ctx, text)
            parsed = as2.parse(document)
        except (remote.RemoteError, as2.ParseError):
            return None
        if isinstance(parsed, as2.Actor):
            return await remote.upsert_actor(ctx, parsed)
        if isinstance(parsed, as2.Note) and parsed.attributed_to:
            try:
                author = await remote.fetch_actor(ctx, parsed.attributed_to)
                return await import_note(ctx, parsed, author)
            except (remote.RemoteError, Rejected):
                return None
        return None
    handle = text.lstrip("@")
    if "@" in handle:
        username, _, host = handle.partition("@")
        if username and host:
            return await remote.resolve_acct(ctx, username, host)
    return None

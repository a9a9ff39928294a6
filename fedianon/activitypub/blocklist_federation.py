"""Federated blocklists over ActivityPub.

Publishing: the instance actor (`/actor`) links its blocklist as an OrderedCollection
(`/actor/blocklist`) of `Block` objects, one per domain (severity, public comment and flags;
never the private comment). A peer subscribes by following the instance actor; the admin
approves (or FEDIANON_BLOCKLIST_PEERS auto-approves listed domains). Every change is pushed
to the followers as `Add` (new or changed) or `Remove` (retracted), signed by the instance
actor, so a retraction spreads as fast as a block.

Only the admin's own blocks are published (made by hand, imported or adopted), not those a
subscription applied, so lists never echo around a ring of peers.

Subscribing: a subscription of kind `activitypub` names a peer's instance actor; we follow it
from our instance actor, and on its Accept read the whole collection (also how an offline
subscriber catches up). Pushed Add/Remove are applied only when they come from that very
actor and name its collection.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from tortoise.exceptions import IntegrityError

from federation import activitystreams as as2
from federation.collections import iterate_collection
from fedianon.activitypub import renderers
from fedianon.activitypub.remote import (
    RemoteError,
    fetch_actor,
    fetch_document,
    host_of,
    instance_signer,
)
from fedianon.blocklists import DomainError, Entry, normalize_domain
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.ids import new_id
from fedianon.models.accounts import Account
from fedianon.models.moderation import BlocklistSubscription, DomainBlock
from fedianon.models.social import Follow, FollowRequest
from fedianon.services import outbox
from fedianon.services.relationships import _adjust_counts

log = logging.getLogger("fedianon.blocklist_federation")
PUBLISHED_SOURCES = ("admin", "import", "adopted")


def collection_url(ctx: AppContext) -> str:
    return f"{ctx.urls.instance_actor}/blocklist"


def _published(block: DomainBlock) -> bool:
    return (
        block.subscription_id is None
        and block.source in PUBLISHED_SOURCES
        and block.severity in ("silence", "suspend")
    )  # type: ignore[attr-defined]


def block_item(ctx: AppContext, block: DomainBlock) -> dict[str, Any]:
    return {
        "type": "Block",
        "id": f"{collection_url(ctx)}/{block.domain}",
        "actor": ctx.urls.instance_actor,
        "object": f"https://{block.domain}/",
        "name": block.domain,
        "severity": block.severity,
        "summary": block.public_comment or None,
        "rejectMedia": block.reject_media,
        "rejectReports": block.reject_reports,
        "obfuscate": block.obfuscate,
    }


async def collection_document(ctx: AppContext, *, for_peer: bool) -> dict[str, Any]:
    blocks = [b for b in await DomainBlock.all().order_by("domain") if _published(b)]
    if not for_peer:
        blocks = [b for b in blocks if not b.obfuscate]
    from federation.collections import build_collection

    return build_collection(
        collection_url(ctx), total_items=len(blocks), items=[block_item(ctx, b) for b in blocks]
    )


async def push_change(ctx: AppContext, block: DomainBlock, *, removed: bool = False) -> None:
    """Tell the peers following the instance actor: `Add` for a block we publish, `Remove`
    for one deleted (`removed`) or no longer published."""
    verb = "Remove" if removed or not _published(block) else "Add"
    actor = ctx.extras["instance_actor"]
    activity = renderers.activity(
        verb,
        f"{collection_url(ctx)}#{verb.lower()}-{new_id()}",
        actor,
        block_item(ctx, block),
        to=[actor.followers_url],
    )
    activity["target"] = collection_url(ctx)
    await outbox.publish(actor, activity, followers_of=actor)


# --- peers following our instance actor ----------------------------------------------------


def _auto_approved(ctx: AppContext, domain: str | None) -> bool:
    peers = ctx.settings.blocklist_peers
    return domain is not None and (
        "*" in peers or domain.lower() in peers or domain.split(":")[0].lower() in peers
    )


async def peer_follow(ctx: AppContext, follower: Account, follow_uri: str) -> None:
    """A peer asks for our blocklist: approved at once if listed, else queued for the admin."""
    actor = ctx.extras["instance_actor"]
    if await Follow.filter(account_id=follower.id, target_account_id=actor.id).exists():
        async with atomic():
            await outbox.follow_answered(ctx, actor, follower, follow_uri, accepted=True)
        return
    if _auto_approved(ctx, follower.domain):
        async with atomic():
            try:
                async with atomic():
                    await Follow.create(account=follower, target_account=actor, uri=follow_uri)
            except IntegrityError:
                return
            await _adjust_counts(follower.id, actor.id, +1)
            await outbox.follow_answered(ctx, actor, follower, follow_uri, accepted=True)
        return
    with contextlib.suppress(IntegrityError):
        await FollowRequest.create(account=follower, target_account=actor, uri=follow_uri)


async def pending_peers(ctx: AppContext) -> list[FollowRequest]:
    return list(
        await FollowRequest.filter(target_account_id=ctx.extras["instance_actor"].id)
        .select_related("account")
        .order_by("id")
    )


async def answer_peer(ctx: AppContext, request_id: int, *, approve: bool) -> None:
    from fedianon.errors import NotFound
    from fedianon.services import relationships

    request = await FollowRequest.get_or_none(
        id=request_id, target_account_id=ctx.extras["instance_actor"].id
    ).select_related("account")
    if request is None:
        raise NotFound()
    if approve:
        await relationships.accept_follow(ctx, request)
    else:
        async with atomic():
            await FollowRequest.filter(id=request.id).delete()
            await outbox.follow_answered(
                ctx,
                ctx.extras["instance_actor"],
                request.account,
                request.uri or f"{request.account.uri}#follow",
                accepted=False,
            )


async def peers(ctx: AppContext) -> list[Account]:
    actor = ctx.extras["instance_actor"]
    return [
        f.account for f in await Follow.filter(target_account_id=actor.id).select_related("account")
    ]


# --- subscribing to a peer ----------------------------------------------------------------


async def _peer_document(
    ctx: AppContext, subscription: BlocklistSubscription
) -> tuple[Account, str]:
    uri = subscription.actor_uri or subscription.uri
    try:
        document = await fetch_document(ctx, uri)
        parsed = as2.parse(document)
    except (RemoteError, as2.ParseError) as exc:
        raise RemoteError(
            f"could not read the peer's instance actor: {getattr(exc, 'reason', getattr(exc, 'message', exc))}"
        ) from exc
    if not isinstance(parsed, as2.Actor):
        raise RemoteError("the subscription's uri is not an actor")
    blocklist = document.get("blocklist")
    if not isinstance(blocklist, str) or host_of(blocklist) != host_of(parsed.id):
        raise RemoteError("the peer's instance actor publishes no blocklist collection")
    return await fetch_actor(ctx, parsed.id), blocklist


async def subscribe(ctx: AppContext, subscription: BlocklistSubscription) -> None:
    peer, _ = await _peer_document(ctx, subscription)
    ours = ctx.extras["instance_actor"]
    follow_id = new_id()
    uri = f"{ctx.urls.base}/follows/{follow_id}"
    async with atomic():
        await BlocklistSubscription.filter(id=subscription.id).update(
            actor_uri=peer.uri, follow_state="requested"
        )
        if not await Follow.filter(account_id=ours.id, target_account_id=peer.id).exists():
            try:
                async with atomic():
                    await FollowRequest.create(
                        id=follow_id, account=ours, target_account=peer, uri=uri
                    )
            except IntegrityError:
                pass
            await outbox.follow_requested(ctx, ours, peer, uri)
    subscription.actor_uri, subscription.follow_state = peer.uri, "requested"


async def unsubscribe(ctx: AppContext, subscription: BlocklistSubscription) -> None:
    if not subscription.actor_uri:
        return
    peer = await Account.get_or_none(uri=subscription.actor_uri)
    if peer is None:
        return
    from fedianon.services import relationships

    await relationships.unfollow(ctx, ctx.extras["instance_actor"], peer.id)


async def follow_answered(ctx: AppContext, peer: Account, *, accepted: bool) -> None:
    """The peer's instance actor accepted (or rejected) our follow: catch up on its list."""
    from fedianon.jobs import queue
    from fedianon.services.subscriptions import REFRESH_JOB

    for subscription in await BlocklistSubscription.filter(kind="activitypub", actor_uri=peer.uri):
        await BlocklistSubscription.filter(id=subscription.id).update(
            follow_state="accepted" if accepted else "rejected",
            error=None if accepted else "the peer rejected our subscription",
        )
        if accepted:
            await queue.enqueue(REFRESH_JOB, {"subscription_id": subscription.id})


def entry_from_item(item: Any) -> Entry | None:
    raw = item.raw if hasattr(item, "raw") else item
    if not isinstance(raw, dict) or raw.get("type") != "Block":
        return None
    name = (
        raw.get("name")
        if isinstance(raw.get("name"), str)
        else host_of(str(raw.get("object") or ""))
    )
    try:
        domain = normalize_domain(name or "").domain
    except DomainError:
        return None
    severity = (
        raw.get("severity") if raw.get("severity") in ("silence", "suspend", "noop") else "suspend"
    )
    summary = raw.get("summary")
    return Entry(
        domain=domain,
        severity=severity,
        reject_media=raw.get("rejectMedia") is True,
        reject_reports=raw.get("rejectReports") is True,
        public_comment=summary if isinstance(summary, str) else "",
        obfuscate=raw.get("obfuscate") is True,
    )


async def read_collection(ctx: AppContext, subscription: BlocklistSubscription) -> list[Entry]:
    from fedianon.services.subscriptions import FetchFailed

    try:
        _, url = await _peer_document(ctx, subscription)
        entries = []
        async for ref in iterate_collection(
            ctx.federation, url, signer=instance_signer(ctx), max_pages=200, max_items=200_000
        ):
            entry = entry_from_item(ref.value if ref.embedded else None)
            if entry is not None:
                entries.append(entry)
    except RemoteError as exc:
        raise FetchFailed(exc.message) from exc
    except Exception as exc:  # the collection walker raises its own errors
        raise FetchFailed(
            f"could not read the peer's blocklist: {getattr(exc, 'reason', exc)}"
        ) from exc
    return entries


async def on_push(ctx: AppContext, activity: as2.Activity, actor: Account) -> None:
    """Add/Remove from a peer: applied only from the peer's instance actor, to its own list."""
    from fedianon.services import subscriptions

    found = await BlocklistSubscription.filter(
        kind="activitypub", actor_uri=actor.uri, follow_state="accepted"
    )
    if not found:
        log.info("dropped a blocklist %s from an actor we do not subscribe to", activity.type)
        return
    target = activity.target.id if activity.target is not None else None
    if not target or host_of(target) != host_of(actor.uri) or not target.endswith("/blocklist"):
        log.info("dropped a blocklist %s that does not name the peer's collection", activity.type)
        return
    entry = entry_from_item(
        activity.object.value if activity.object is not None and activity.object.embedded else None
    )
    if entry is None:
        log.info("dropped a blocklist %s without a usable Block", activity.type)
        return
    for subscription in found:
        if activity.type == "Add":
            result = await subscriptions.apply_entry(ctx, subscription, entry)
            log.info("blocklist push from a peer: %s", result)
        else:
            await subscriptions.retract_entry(ctx, subscription, entry.domain)

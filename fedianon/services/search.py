"""Search within the instance: accounts by handle or display name, hashtags by name, statuses
by text (only those the viewer may see). `resolve` (remote lookups) is plugged in by the
federation layer through the context."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.expressions import Q

from fedianon.context import AppContext
from fedianon.models.accounts import Account
from fedianon.models.social import Follow
from fedianon.models.statuses import Status, Tag
from fedianon.services.visibility import viewer_filter, visible_ids


@dataclass
class Results:
    accounts: list[Account] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)


async def search_accounts(
    viewer: Account | None,
    q: str,
    *,
    limit: int = 40,
    offset: int = 0,
    following: bool = False,
    local_domain: str = "",
) -> list[Account]:
    term = q.strip().lstrip("@").lower()
    if not term:
        return []
    username, _, domain = term.partition("@")
    if domain and domain == local_domain.lower():
        term, domain = username, ""
    condition = Q(suspended_at__isnull=True, deleted_at__isnull=True) & ~Q(actor_type="Application")
    # Silenced accounts are found only by those who follow them.
    followed = (
        list(await Follow.filter(account_id=viewer.id).values_list("target_account_id", flat=True))
        if viewer
        else []
    )
    condition &= Q(silenced_at__isnull=True) | Q(id__in=followed)
    if domain:
        condition &= Q(acct_key__istartswith=term)
    else:
        condition &= Q(username__istartswith=username) | Q(display_name__icontains=term)
    if following and viewer is not None:
        condition &= Q(id__in=followed)
    filt = await viewer_filter(viewer)
    found = (
        await Account.filter(condition)
        .order_by("domain", "-followers_count", "id")
        .offset(offset)
        .limit(limit + len(filt.blocked))
    )
    exact = [
        a for a in found if a.username.lower() == username and (a.domain or "") == (domain or "")
    ]
    rest = [a for a in found if a not in exact]
    return [a for a in exact + rest if a.id not in filt.blocked][:limit]


async def search_hashtags(q: str, *, limit: int = 40, offset: int = 0) -> list[Tag]:
    term = q.strip().lstrip("#").lower()
    if not term or any(ch.isspace() for ch in term):
        return []
    return list(
        await Tag.filter(name__istartswith=term).order_by("name").offset(offset).limit(limit)
    )


async def search_statuses(
    viewer: Account | None,
    q: str,
    *,
    limit: int = 20,
    offset: int = 0,
    account_id: int | None = None,
) -> list[Status]:
    term = q.strip()
    if len(term) < 2 or viewer is None:
        return []
    condition = Q(reblog_of_id__isnull=True) & (
        Q(text__icontains=term) | Q(content__icontains=term) | Q(spoiler_text__icontains=term)
    )
    if account_id is not None:
        condition &= Q(account_id=account_id)
    found = (
        await Status.filter(condition)
        .select_related("account")
        .order_by("-id")
        .offset(offset)
        .limit(limit * 3)
    )
    filt = await viewer_filter(viewer)
    allowed = await visible_ids(found, viewer, filt)
    return [s for s in found if s.id in allowed and not filt.hides(s.account)][:limit]


async def search(
    ctx: AppContext,
    viewer: Account | None,
    q: str,
    *,
    kind: str | None,
    resolve: bool,
    limit: int,
    offset: int,
    following: bool,
    account_id: int | None,
) -> Results:
    results = Results()
    if resolve and ctx.federation is not None and viewer is not None and offset == 0:
        from fedianon.activitypub.setup import resolve_query

        resolved = await resolve_query(ctx, q)
        if isinstance(resolved, Account):
            results.accounts.append(resolved)
        elif isinstance(resolved, Status):
            results.statuses.append(resolved)
    if kind in (None, "accounts"):
        for account in await search_accounts(
            viewer,
            q,
            limit=limit,
            offset=offset,
            following=following,
            local_domain=ctx.settings.domain,
        ):
            if all(a.id != account.id for a in results.accounts):
                results.accounts.append(account)
    if kind in (None, "hashtags"):
        results.hashtags = await search_hashtags(q, limit=limit, offset=offset)
    if kind in (None, "statuses"):
        for status in await search_statuses(
            viewer, q, limit=limit, offset=offset, account_id=account_id
        ):
            if all(s.id != status.id for s in results.statuses):
                results.statuses.append(status)
    results.accounts = results.accounts[:limit]
    results.statuses = results.statuses[:limit]
    return results

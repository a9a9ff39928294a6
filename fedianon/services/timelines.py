"""Reading timelines: home and lists (from the fan-out tables), public, hashtag, an account's
statuses, bookmarks and favourites. Each returns rows newest first plus the paging keys."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from fedianon.db import fetch_rows, hydrate, select_columns
from fedianon.errors import NotFound
from fedianon.models.accounts import Account
from fedianon.models.social import Bookmark, Favourite, Follow, StatusPin
from fedianon.models.statuses import Mention, Status, StatusTag, Tag
from fedianon.models.timelines import List as UserList
from fedianon.models.timelines import ListFeedEntry
from fedianon.services.paging import PageRequest, fetch_page, keys_of
from fedianon.services.visibility import ViewerFilter, viewer_filter, visible_ids

RELATED = ("account", "reblog_of", "reblog_of__account")


@dataclass
class Timeline:
    statuses: list[Status]
    newest_key: int | None
    oldest_key: int | None


async def _load(ids: list[int]) -> list[Status]:
    if not ids:
        return []
    found = {s.id: s for s in await Status.filter(id__in=ids).select_related(*RELATED)}
    return [found[i] for i in ids if i in found]


async def _drop_hidden(
    statuses: list[Status], viewer: Account | None, filt: ViewerFilter | None = None
) -> list[Status]:
    """Statuses whose author (or boosted author) the viewer blocked, muted or domain-blocked
    left out, as timelines do."""
    if filt is None:
        filt = await viewer_filter(viewer)
    kept = []
    for status in statuses:
        if filt.hides(status.account):
            continue
        if status.reblog_of_id is not None and filt.hides(  # type: ignore[attr-defined]
            status.reblog_of.account
        ):
            continue
        kept.append(status)
    return kept


# The feed page is cut first (an index-only range scan), then joined: a plain join lets
# PostgreSQL merge-join from the newest status down to the page, which grows with depth.
_HOME_SQL = """
SELECT h.status_id AS feed_key, {columns}
FROM (SELECT status_id FROM home_feed_entries WHERE account_id = {{p1}} {condition}
      ORDER BY status_id {order} LIMIT {limit}) h
JOIN statuses s ON s.id = h.status_id
JOIN accounts a ON a.id = s.account_id
LEFT JOIN statuses o ON o.id = s.reblog_of_id
LEFT JOIN accounts oa ON oa.id = o.account_id
ORDER BY h.status_id {order}
"""


def _home_sql(page: PageRequest) -> tuple[str, list[object]]:
    columns = ", ".join(
        select_columns(model, alias)
        for model, alias in ((Status, "s"), (Account, "a"), (Status, "o"), (Account, "oa"))
    )
    values: list[object] = []
    conditions = []
    if page.max_id is not None:
        values.append(page.max_id)
        conditions.append(f"AND status_id < {{p{len(values) + 1}}}")
    if page.min_id is not None:
        values.append(page.min_id)
        conditions.append(f"AND status_id > {{p{len(values) + 1}}}")
    elif page.since_id is not None:
        values.append(page.since_id)
        conditions.append(f"AND status_id > {{p{len(values) + 1}}}")
    order = "ASC" if page.min_id is not None else "DESC"
    return _HOME_SQL.format(
        columns=columns, condition=" ".join(conditions), order=order, limit=int(page.limit)
    ), values


async def home(viewer: Account, page: PageRequest) -> Timeline:
    """The home feed page in one query: feed entries joined with statuses, authors and the
    boosted originals (this is the hottest read of the server)."""
    sql, values = _home_sql(page)
    rows = await fetch_rows(sql, [viewer.id, *values])
    if page.min_id is not None:
        rows.reverse()
    statuses = []
    for row in rows:
        status = hydrate(Status, row, "s")
        status.account = hydrate(Account, row, "a")
        original = hydrate(Status, row, "o")
        if original is not None:
            original.account = hydrate(Account, row, "oa")
            status.reblog_of = original
        statuses.append(status)
    keys = (int(rows[0]["feed_key"]), int(rows[-1]["feed_key"])) if rows else (None, None)  # type: ignore[arg-type]
    return Timeline(await _drop_hidden(statuses, viewer), *keys)


async def list_feed(viewer: Account, list_id: int, page: PageRequest) -> Timeline:
    """A list's feed, paged like home; someone else's list does not exist for the viewer."""
    if not await UserList.exists(id=list_id, account_id=viewer.id):
        raise NotFound()
    rows = await fetch_page(
        ListFeedEntry.filter(list_id=list_id).only("id", "status_id"), page, "status_id"
    )
    statuses = await _load([row.status_id for row in rows])  # type: ignore[attr-defined]
    filt = await viewer_filter(viewer)
    allowed = await visible_ids(statuses, viewer, filt)
    kept = [s for s in statuses if s.id in allowed]
    return Timeline(await _drop_hidden(kept, viewer, filt), *keys_of(rows, "status_id"))


def _public_query(*, local: bool, remote: bool, only_media: bool) -> Q:
    condition = Q(
        visibility="public",
        reblog_of_id__isnull=True,
        account__suspended_at__isnull=True,
        account__silenced_at__isnull=True,
    )
    condition &= Q(reply_to_other=False)
    if local:
        condition &= Q(local=True)
    elif remote:
        condition &= Q(local=False)
    if only_media:
        condition &= Q(has_media=True)
    return condition


async def _exclusions(viewer: Account | None) -> Q:
    filt = await viewer_filter(viewer)
    condition = Q()
    hidden = filt.blocked | filt.muted
    if hidden:
        condition &= ~Q(account_id__in=sorted(hidden))
    if filt.domains:
        condition &= ~Q(account__domain__in=sorted(filt.domains))
    return condition


async def public(
    viewer: Account | None,
    page: PageRequest,
    *,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> Timeline:
    query = Status.filter(_public_query(local=local, remote=remote, only_media=only_media)).filter(
        await _exclusions(viewer)
    )
    rows = await fetch_page(query.select_related(*RELATED), page)
    return Timeline(rows, *keys_of(rows))


async def hashtag(
    viewer: Account | None,
    name: str,
    page: PageRequest,
    *,
    any_tags: list[str] = (),
    all_tags: list[str] = (),
    none_tags: list[str] = (),
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> Timeline:  # type: ignore[assignment]
    names = {name.lower(), *(t.lower() for t in any_tags)}
    tag_ids = list(await Tag.filter(name__in=names).values_list("id", flat=True))
    if not tag_ids:
        return Timeline([], None, None)
    condition = Q(
        visibility="public",
        reblog_of_id__isnull=True,
        account__suspended_at__isnull=True,
        account__silenced_at__isnull=True,
    )
    condition &= Q(id__in=Subquery(StatusTag.filter(tag_id__in=tag_ids).values("status_id")))
    for required in all_tags:
        condition &= Q(
            id__in=Subquery(StatusTag.filter(tag__name=required.lower()).values("status_id"))
        )
    for excluded in none_tags:
        condition &= ~Q(
            id__in=Subquery(StatusTag.filter(tag__name=excluded.lower()).values("status_id"))
        )
    if local:
        condition &= Q(local=True)
    elif remote:
        condition &= Q(local=False)
    if only_media:
        condition &= Q(has_media=True)
    rows = await fetch_page(
        Status.filter(condition).filter(await _exclusions(viewer)).select_related(*RELATED), page
    )
    return Timeline(rows, *keys_of(rows))


async def account_statuses(
    viewer: Account | None,
    account_id: int,
    page: PageRequest,
    *,
    only_media: bool = False,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    pinned: bool = False,
    tagged: str | None = None,
) -> Timeline:
    account = await Account.get_or_none(id=account_id)
    if account is None:
        raise NotFound()
    filt = await viewer_filter(viewer)
    if account.id in filt.blocked or account.suspended_at is not None:
        return Timeline([], None, None)
    if pinned:
        pins = (
            await StatusPin.filter(account_id=account.id)
            .order_by("-id")
            .values_list("status_id", flat=True)
        )
        statuses = await _load(list(pins))
        allowed = await visible_ids(statuses, viewer, filt)
        return Timeline([s for s in statuses if s.id in allowed], None, None)
    is_self = viewer is not None and viewer.id == account.id
    visibilities = ["public", "unlisted"]
    if is_self or (
        viewer is not None
        and await Follow.filter(account_id=viewer.id, target_account_id=account.id).exists()
    ):
        visibilities.append("private")
    if is_self:
        condition = Q(account_id=account.id)
    elif viewer is not None:
        mentioned = Subquery(Mention.filter(account_id=viewer.id).values("status_id"))
        condition = Q(account_id=account.id) & (
            Q(visibility__in=visibilities) | Q(id__in=mentioned)
        )
    else:
        condition = Q(account_id=account.id, visibility__in=visibilities)
    if only_media:
        condition &= Q(has_media=True)
    if exclude_replies:
        condition &= Q(reply_to_other=False)
    if exclude_reblogs:
        condition &= Q(reblog_of_id__isnull=True)
    if tagged:
        condition &= Q(
            id__in=Subquery(StatusTag.filter(tag__name=tagged.lower()).values("status_id"))
        )
    rows = await fetch_page(Status.filter(condition).select_related(*RELATED), page)
    originals = [r.reblog_of for r in rows if r.reblog_of_id is not None]  # type: ignore[attr-defined]
    allowed = await visible_ids([*rows, *originals], viewer, filt)
    kept = [
        r
        for r in rows
        if r.id in allowed and (r.reblog_of_id is None or r.reblog_of_id in allowed)  # type: ignore[attr-defined]
    ]
    return Timeline(kept, *keys_of(rows))


async def bookmarks(viewer: Account, page: PageRequest) -> Timeline:
    rows = await fetch_page(Bookmark.filter(account_id=viewer.id), page)
    statuses = await _load([r.status_id for r in rows])  # type: ignore[attr-defined]
    allowed = await visible_ids(statuses, viewer)
    return Timeline([s for s in statuses if s.id in allowed], *keys_of(rows))


async def favourites(viewer: Account, page: PageRequest) -> Timeline:
    rows = await fetch_page(Favourite.filter(account_id=viewer.id), page)
    statuses = await _load([r.status_id for r in rows])  # type: ignore[attr-defined]
    allowed = await visible_ids(statuses, viewer)
    return Timeline([s for s in statuses if s.id in allowed], *keys_of(rows))

"""Home feeds, written when a status arrives (fan-out on write), so reading a home timeline
is one indexed range scan over `home_feed_entries (account_id, status_id)`.

Who gets a status in their home feed (Mastodon's rules):
- its local author;
- local followers of the author, except those who block, mute or domain-block the author;
  a reply to someone else only reaches followers who also follow the replied-to account;
- direct statuses reach only the mentioned local accounts;
- a boost reaches the booster's followers who want boosts, unless they already have the
  original, and never those who block or mute the original's author;
- public statuses with a hashtag reach local accounts that follow the hashtag.

Lists are fed in the same pass: a status enters every list that contains its author, by
the list's replies policy (`followed`, `list`, `none`; a reply to the list owner always
counts), never when the owner blocks or mutes the author; and a member of an `exclusive`
list reaches the owner only through that list, not the home feed.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from fedianon.db import on_commit
from fedianon.models.accounts import Account
from fedianon.models.social import AccountDomainBlock, Block, Follow, Mute
from fedianon.models.statuses import FollowedTag, Status
from fedianon.models.timelines import HomeFeedEntry, ListAccount, ListFeedEntry
from fedianon.models.timelines import List as UserList
from fedianon.services import events


async def _local_followers(account_id: int, *, wants_reblogs: bool = False) -> set[int]:
    query = Follow.filter(target_account_id=account_id, account__domain__isnull=True)
    if wants_reblogs:
        query = query.filter(show_reblogs=True)
    return set(await query.values_list("account_id", flat=True))


async def excluded_readers(candidates: set[int], authors: list[Account]) -> set[int]:
    """Those of `candidates` who must not get the authors' statuses: they block or mute any of
    `authors` (or block their domain), or are blocked by one."""
    if not candidates:
        return set()
    author_ids = [a.id for a in authors]
    excluded: set[int] = set()
    excluded |= set(
        await Block.filter(account_id__in=candidates, target_account_id__in=author_ids).values_list(
            "account_id", flat=True
        )
    )
    excluded |= set(
        await Block.filter(account_id__in=author_ids, target_account_id__in=candidates).values_list(
            "target_account_id", flat=True
        )
    )
    excluded |= set(
        await Mute.filter(account_id__in=candidates, target_account_id__in=author_ids).values_list(
            "account_id", flat=True
        )
    )
    domains = {a.domain for a in authors if a.domain}
    if domains:
        excluded |= set(
            await AccountDomainBlock.filter(
                account_id__in=candidates, domain__in=domains
            ).values_list("account_id", flat=True)
        )
    return excluded


async def readers_of(status_id: int) -> tuple[list[int], list[int]]:
    """(home feed owners, list ids) that hold a status: who hears of its deletion."""
    homes = await HomeFeedEntry.filter(status_id=status_id).values_list("account_id", flat=True)
    lists = await ListFeedEntry.filter(status_id=status_id).values_list("list_id", flat=True)
    return sorted(homes), sorted(lists)


async def _home_recipients(
    status: Status,
    author: Account,
    original: Status | None,
    *,
    mentioned_ids: list[int],
    tag_ids: list[int],
) -> set[int]:
    recipients: set[int] = set()
    if author.domain is None and not author.is_instance_actor:
        recipients.add(author.id)
    if original is not None:
        followers = await _local_followers(author.id, wants_reblogs=True)
        already = (
            set(
                await HomeFeedEntry.filter(
                    status_id=original.id, account_id__in=followers
                ).values_list("account_id", flat=True)
            )
            if followers
            else set()
        )
        followers -= already
        followers.discard(original.account_id)  # type: ignore[attr-defined]
        return recipients | (
            followers - await excluded_readers(followers, [author, original.account])
        )
    local_mentioned = (
        set(
            await Account.filter(id__in=mentioned_ids, domain__isnull=True).values_list(
                "id", flat=True
            )
        )
        if mentioned_ids
        else set()
    )
    if status.visibility == "direct":
        return recipients | (local_mentioned - await excluded_readers(local_mentioned, [author]))
    followers = await _local_followers(author.id)
    reply_to = status.in_reply_to_account_id  # type: ignore[attr-defined]
    if reply_to is not None and reply_to != author.id:
        followers &= set(
            await Follow.filter(account_id__in=followers, target_account_id=reply_to).values_list(
                "account_id", flat=True
            )
        ) | {reply_to}
    candidates = set(followers)
    if status.visibility == "public" and tag_ids and reply_to is None:
        candidates |= set(
            await FollowedTag.filter(tag_id__in=tag_ids, account__domain__isnull=True).values_list(
                "account_id", flat=True
            )
        )
    return recipients | (candidates - await excluded_readers(candidates, [author]))


@dataclass(frozen=True)
class ListTargets:
    list_ids: list[int]  # lists the status enters
    exclusive_owners: set[int]  # owners who read the author only through an exclusive list


async def _list_targets(status: Status, author: Account, original: Status | None) -> ListTargets:
    """Which lists a new status enters; boosts go to lists that contain the booster."""
    if status.visibility == "direct":
        return ListTargets([], set())
    rows = await ListAccount.filter(
        account_id=author.id, list__account__domain__isnull=True
    ).values("list_id", "list__account_id", "list__replies_policy", "list__exclusive")
    if not rows:
        return ListTargets([], set())
    authors = [author] if original is None else [author, original.account]
    owners = {r["list__account_id"] for r in rows}
    excluded = await excluded_readers(owners, authors)
    exclusive_owners = {
        r["list__account_id"]
        for r in rows
        if r["list__exclusive"] and r["list__account_id"] != author.id
    }
    candidates = [r for r in rows if r["list__account_id"] not in excluded]
    reply_to = status.in_reply_to_account_id  # type: ignore[attr-defined]
    if reply_to is None or reply_to == author.id:
        return ListTargets([r["list_id"] for r in candidates], exclusive_owners)
    owner_follows = set(
        await Follow.filter(
            account_id__in=[r["list__account_id"] for r in candidates], target_account_id=reply_to
        ).values_list("account_id", flat=True)
    )
    lists_with_target = set(
        await ListAccount.filter(
            list_id__in=[r["list_id"] for r in candidates], account_id=reply_to
        ).values_list("list_id", flat=True)
    )
    chosen = [
        r["list_id"]
        for r in candidates
        if reply_to == r["list__account_id"]
        or (r["list__replies_policy"] == "followed" and r["list__account_id"] in owner_follows)
        or (r["list__replies_policy"] == "list" and r["list_id"] in lists_with_target)
    ]
    return ListTargets(chosen, exclusive_owners)


async def fan_out(
    status: Status, author: Account, *, mentioned_ids: list[int], tag_ids: list[int]
) -> set[int]:
    """Insert the status into every recipient's home feed and into the lists that want it
    (inside the caller's transaction); returns the home recipients."""
    original = (
        await Status.get(id=status.reblog_of_id).select_related("account")  # type: ignore[attr-defined]
        if status.reblog_of_id is not None  # type: ignore[attr-defined]
        else None
    )
    recipients = await _home_recipients(
        status, author, original, mentioned_ids=mentioned_ids, tag_ids=tag_ids
    )
    lists = await _list_targets(status, author, original)
    recipients -= lists.exclusive_owners
    if recipients:
        await HomeFeedEntry.bulk_create(
            [
                HomeFeedEntry(account_id=account_id, status_id=status.id)
                for account_id in recipients
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
    if lists.list_ids:
        await ListFeedEntry.bulk_create(
            [ListFeedEntry(list_id=list_id, status_id=status.id) for list_id in lists.list_ids],
            batch_size=1000,
            ignore_conflicts=True,
        )
    status_id = status.id
    home_ids = sorted(recipients)
    list_ids = sorted(lists.list_ids)
    on_commit(
        lambda: events.emit(
            "status.created", status_id=status_id, home_account_ids=home_ids, list_ids=list_ids
        )
    )
    return recipients


async def recent_for_followers(author_id: int, limit: int, *, self_replies: bool) -> list[int]:
    """Ids of an author's latest posts its followers see (public, unlisted, followers-only),
    newest first, to backfill a feed after a follow: no replies, or (`self_replies`) none to
    other people."""
    replies = Q(reply_to_other=False) if self_replies else Q(in_reply_to_id__isnull=True)
    return list(
        await Status.filter(
            replies, account_id=author_id, visibility__in=("public", "unlisted", "private")
        )
        .order_by("-id")
        .limit(limit)
        .values_list("id", flat=True)
    )


async def add_author_history(follower: Account, target: Account, limit: int = 40) -> None:
    """After a follow, backfill the follower's home with the target's recent visible posts."""
    if follower.domain is not None:
        return
    recent = await recent_for_followers(target.id, limit, self_replies=False)
    if recent:
        await HomeFeedEntry.bulk_create(
            [HomeFeedEntry(account_id=follower.id, status_id=sid) for sid in recent],
            ignore_conflicts=True,
        )


async def remove_author_from_home(owner: Account, target: Account, *, lists: bool = True) -> None:
    """After an unfollow, block or mute: the target's statuses and boosts leave the home feed
    (and the owner's list feeds, unless `lists` is False)."""
    own = Subquery(Status.filter(account_id=target.id).values("id"))
    await HomeFeedEntry.filter(account_id=owner.id, status_id__in=own).delete()
    boosted = Subquery(Status.filter(reblog_of__account_id=target.id).values("id"))
    await HomeFeedEntry.filter(account_id=owner.id, status_id__in=boosted).delete()
    if lists:
        owned = Subquery(UserList.filter(account_id=owner.id).values("id"))
        await ListFeedEntry.filter(list_id__in=owned, status_id__in=own).delete()
        await ListFeedEntry.filter(list_id__in=owned, status_id__in=boosted).delete()

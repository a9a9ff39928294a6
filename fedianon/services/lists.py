"""Lists: named subsets of the accounts a user follows, each with its own feed.

Mastodon's rules, kept here so the API stays thin and fan-out stays in `feeds`:
- only accounts the owner follows can be members (anything else is a 422, and nothing of a
  request with one bad id is written);
- members' new posts reach the list feed at fan-out time (`feeds.fan_out`), following the list's `replies_policy`: `followed` keeps replies to
  people the owner follows, `list` only replies to members, `none` no replies to others
  (a reply to the owner always counts);
- an `exclusive` list keeps its members' posts out of the owner's home feed;
- adding a member merges their recent posts into the list; removing one (or unfollowing
  them) takes their posts out again.
"""

from __future__ import annotations

from tortoise.expressions import Subquery

from fedianon.db import atomic
from fedianon.errors import NotFound, ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.social import Follow
from fedianon.models.statuses import Status
from fedianon.models.timelines import List as UserList
from fedianon.models.timelines import ListAccount, ListFeedEntry
from fedianon.services import feeds
from fedianon.services.paging import PageRequest, fetch_page

REPLIES_POLICIES = ("followed", "list", "none")
MAX_TITLE = 255
MAX_LISTS = 50  # per owner, as Mastodon
BACKFILL = 40  # recent posts merged into a list when a member is added


async def owned(owner: Account, list_id: int) -> UserList:
    """The owner's list, or NotFound (someone else's list does not exist for them)."""
    found = await UserList.get_or_none(id=list_id, account_id=owner.id)
    if found is None:
        raise NotFound()
    return found


async def all_for(owner: Account) -> list[UserList]:
    return list(await UserList.filter(account_id=owner.id).order_by("id"))


def _title(value: str | None) -> str:
    title = (value or "").strip()
    if not title:
        raise ValidationFailed("Validation failed: Title can't be blank")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(
            f"Validation failed: Title is too long (maximum is {MAX_TITLE} characters)"
        )
    return title


def _policy(value: str | None) -> str:
    if value not in REPLIES_POLICIES:
        raise ValidationFailed(
            f"Validation failed: Replies policy must be one of {', '.join(REPLIES_POLICIES)}"
        )
    return value


async def create(
    owner: Account, *, title: str | None, replies_policy: str | None, exclusive: bool | None
) -> UserList:
    clean_title = _title(title)
    policy = _policy(replies_policy or "list")
    if await UserList.filter(account_id=owner.id).count() >= MAX_LISTS:
        raise ValidationFailed(f"Validation failed: You cannot have more than {MAX_LISTS} lists")
    return await UserList.create(
        account=owner, title=clean_title, replies_policy=policy, exclusive=bool(exclusive)
    )


async def update(
    owner: Account,
    list_id: int,
    *,
    title: str | None,
    replies_policy: str | None,
    exclusive: bool | None,
) -> UserList:
    found = await owned(owner, list_id)
    if title is not None:
        found.title = _title(title)
    if replies_policy is not None:
        found.replies_policy = _policy(replies_policy)
    exclusive_changed = exclusive is not None and bool(exclusive) != found.exclusive
    async with atomic():
        if exclusive is not None:
            found.exclusive = bool(exclusive)
        await found.save()
        if exclusive_changed:
            for member in await _member_accounts(found.id):
                await _apply_exclusive(owner, member, found.exclusive)
    return found


async def delete(owner: Account, list_id: int) -> None:
    found = await owned(owner, list_id)
    members = await _member_accounts(found.id) if found.exclusive else []
    async with atomic():
        await UserList.filter(id=found.id).delete()
        for member in members:
            await _apply_exclusive(owner, member, False)


async def _member_accounts(list_id: int) -> list[Account]:
    return [
        row.account for row in await ListAccount.filter(list_id=list_id).select_related("account")
    ]


async def members(owner: Account, list_id: int, page: PageRequest | None) -> list[ListAccount]:
    """Membership rows (account loaded), newest first; every row when `page` is None."""
    found = await owned(owner, list_id)
    query = ListAccount.filter(list_id=found.id).select_related("account")
    if page is None:
        return list(await query.order_by("-id"))
    return await fetch_page(query, page)


async def _accounts(ids: list[int]) -> list[Account]:
    if not ids:
        raise ValidationFailed("Validation failed: account_ids can't be blank")
    found = {a.id: a for a in await Account.filter(id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound()
    return [found[i] for i in dict.fromkeys(ids)]


async def add_members(owner: Account, list_id: int, account_ids: list[int]) -> None:
    """Add accounts the owner follows; all or nothing."""
    found = await owned(owner, list_id)
    accounts = await _accounts(account_ids)
    followed = set(
        await Follow.filter(
            account_id=owner.id, target_account_id__in=[a.id for a in accounts]
        ).values_list("target_account_id", flat=True)
    )
    strangers = [a.acct for a in accounts if a.id not in followed]
    if strangers:
        raise ValidationFailed(
            "Validation failed: you must follow an account to add it to a list "
            f"(not followed: {', '.join(strangers)})"
        )
    present = set(
        await ListAccount.filter(
            list_id=found.id, account_id__in=[a.id for a in accounts]
        ).values_list("account_id", flat=True)
    )
    if present:
        raise ValidationFailed("Validation failed: Account has already been taken")
    async with atomic():
        await ListAccount.bulk_create(
            [ListAccount(list_id=found.id, account_id=a.id) for a in accounts]
        )
        for account in accounts:
            await _merge_into_list(found, account)
            if found.exclusive:
                await _apply_exclusive(owner, account, True)


async def remove_members(owner: Account, list_id: int, account_ids: list[int]) -> None:
    found = await owned(owner, list_id)
    accounts = await _accounts(account_ids)
    ids = [a.id for a in accounts]
    async with atomic():
        await ListAccount.filter(list_id=found.id, account_id__in=ids).delete()
        await _unmerge_from_lists([found.id], ids)
        if found.exclusive:
            for account in accounts:
                await _apply_exclusive(owner, account, False)


async def lists_with(owner: Account, account_id: int) -> list[UserList]:
    """The owner's lists that contain `account_id` (GET /api/v1/accounts/:id/lists)."""
    if not await Account.exists(id=account_id):
        raise NotFound()
    member_of = Subquery(ListAccount.filter(account_id=account_id).values("list_id"))
    return list(await UserList.filter(account_id=owner.id, id__in=member_of).order_by("id"))


async def forget_member(owner_id: int, target_ids: list[int]) -> None:
    """After a follow ends: the target leaves every list of the owner. Its posts have left
    them already (callers run `feeds.remove_author_from_home` first)."""
    if target_ids:
        owned = Subquery(UserList.filter(account_id=owner_id).values("id"))
        await ListAccount.filter(list_id__in=owned, account_id__in=target_ids).delete()


async def _merge_into_list(target: UserList, account: Account) -> None:
    recent = await feeds.recent_for_followers(account.id, BACKFILL, self_replies=True)
    if recent:
        await ListFeedEntry.bulk_create(
            [ListFeedEntry(list_id=target.id, status_id=sid) for sid in recent],
            ignore_conflicts=True,
        )


async def _unmerge_from_lists(list_ids: list[int], author_ids: list[int]) -> None:
    """The authors' statuses, their boosts included, leave the lists."""
    own = Subquery(Status.filter(account_id__in=author_ids).values("id"))
    await ListFeedEntry.filter(list_id__in=list_ids, status_id__in=own).delete()


async def _apply_exclusive(owner: Account, member: Account, exclusive: bool) -> None:
    """An exclusive list owns its members' posts: out of home, or back into it."""
    if exclusive:
        await feeds.remove_author_from_home(owner, member, lists=False)
    elif not await in_exclusive_list(owner.id, member.id) and await Follow.exists(
        account_id=owner.id, target_account_id=member.id
    ):
        await feeds.add_author_history(owner, member)


async def in_exclusive_list(owner_id: int, member_id: int) -> bool:
    return await ListAccount.exists(
        account_id=member_id, list__account_id=owner_id, list__exclusive=True
    )

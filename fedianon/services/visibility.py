"""Who may see what: Mastodon's visibility rules, blocks, mutes and domain blocks.

    public    everyone, and public timelines
    unlisted  everyone, but not public timelines
    private   the author, their followers and the mentioned
    direct    the author and the mentioned

Blocks in either direction hide everything; mutes hide from timelines and notifications but
not from a direct lookup; a user's own domain block hides that domain like a mute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fedianon.db import fetch_rows
from fedianon.models.accounts import Account
from fedianon.models.social import Block, Follow
from fedianon.models.statuses import Mention, Status


@dataclass
class ViewerFilter:
    """The accounts a viewer must not see (blocks either way) and does not want (mutes)."""

    viewer_id: int | None
    blocked: set[int] = field(default_factory=set)  # blocks in either direction
    muted: set[int] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)

    def hides(self, account: Account) -> bool:
        """Whether a timeline leaves out what `account` posts or boosts."""
        return (
            account.suspended_at is not None
            or account.id in self.blocked
            or account.id in self.muted
            or (account.domain is not None and account.domain in self.domains)
        )


_FILTER_SQL = """
SELECT 'b' AS kind, target_account_id AS ref, NULL AS domain FROM blocks WHERE account_id = {p1}
UNION ALL SELECT 'b', account_id, NULL FROM blocks WHERE target_account_id = {p1}
UNION ALL SELECT 'm', target_account_id, NULL FROM mutes WHERE account_id = {p1}
UNION ALL SELECT 'd', NULL, domain FROM account_domain_blocks WHERE account_id = {p1}
"""


async def viewer_filter(viewer: Account | None) -> ViewerFilter:
    """Blocks both ways, mutes and domain blocks of the viewer, in one query."""
    if viewer is None:
        return ViewerFilter(None)
    found = ViewerFilter(viewer.id)
    for row in await fetch_rows(_FILTER_SQL, [viewer.id]):
        if row["kind"] == "b":
            found.blocked.add(int(row["ref"]))  # type: ignore[arg-type]
        elif row["kind"] == "m":
            found.muted.add(int(row["ref"]))  # type: ignore[arg-type]
        else:
            found.domains.add(str(row["domain"]))
    return found


async def is_blocked_between(a: int, b: int) -> bool:
    return (
        await Block.filter(account_id=a, target_account_id=b).exists()
        or await Block.filter(account_id=b, target_account_id=a).exists()
    )


async def follows(follower_id: int, target_id: int) -> bool:
    return await Follow.filter(account_id=follower_id, target_account_id=target_id).exists()


async def can_view(status: Status, viewer: Account | None) -> bool:
    """Whether `viewer` may see `status` (its reblogged original is checked separately)."""
    author: Account = status.account  # must be prefetched
    if author.suspended_at is not None:
        return False
    if viewer is not None and viewer.id == author.id:
        return True
    if viewer is not None and await is_blocked_between(viewer.id, author.id):
        return False
    if status.visibility in ("public", "unlisted"):
        return True
    if viewer is None:
        return False
    if await Mention.filter(status_id=status.id, account_id=viewer.id).exists():
        return True
    if status.visibility == "private":
        return await follows(viewer.id, author.id)
    return False


async def visible_ids(
    statuses: Iterable[Status], viewer: Account | None, filt: ViewerFilter | None = None
) -> set[int]:
    """The subset of `statuses` (accounts prefetched) the viewer may see, in few queries;
    pass the viewer's filter when the caller has loaded it already."""
    items = list(statuses)
    if not items:
        return set()
    if filt is None:
        filt = await viewer_filter(viewer)
    restricted = [s for s in items if s.visibility in ("private", "direct")]
    mentioned: set[int] = set()
    followed: set[int] = set()
    if viewer is not None and restricted:
        mentioned = set(
            await Mention.filter(
                status_id__in=[s.id for s in restricted], account_id=viewer.id
            ).values_list("status_id", flat=True)
        )
        followed = set(
            await Follow.filter(
                account_id=viewer.id, target_account_id__in={s.account_id for s in restricted}
            ).values_list(  # type: ignore[attr-defined]
                "target_account_id", flat=True
            )
        )
    allowed: set[int] = set()
    for status in items:
        author = status.account
        if author.suspended_at is not None or author.id in filt.blocked:
            continue
        if (
            (viewer is not None and author.id == viewer.id)
            or status.visibility in ("public", "unlisted")
            or status.id in mentioned
            or (status.visibility == "private" and author.id in followed)
        ):
            allowed.add(status.id)
    return allowed

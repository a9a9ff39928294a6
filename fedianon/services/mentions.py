"""Turning `@user` and `@user@host` in a post into accounts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fedianon.models.accounts import Account
from fedianon.services.text import MentionTarget, find_mentions

# (username, host) -> Account; federation plugs in a WebFinger-backed resolver.
RemoteResolver = Callable[[str, str], Awaitable[Account | None]]


async def resolve_mentions(
    text: str, *, local_domain: str, remote: RemoteResolver | None = None, limit: int = 20
) -> tuple[list[Account], dict[str, MentionTarget]]:
    """The mentioned accounts (in order) and the lookup table for rendering them."""
    accounts: list[Account] = []
    targets: dict[str, MentionTarget] = {}
    for username, host in find_mentions(text)[:limit]:
        account: Account | None
        if host is None or host == local_domain.lower():
            account = await Account.get_or_none(acct_key=username, domain=None)
            if account is not None and account.actor_type == "Application":
                account = None
        else:
            account = await Account.get_or_none(acct_key=f"{username}@{host}")
            if account is None and remote is not None:
                account = await remote(username, host)
        if account is None or account.suspended_at is not None:
            continue
        key = f"{username}@{host}" if host else username
        targets[key] = MentionTarget(account.username, account.url or account.uri)
        if host == local_domain.lower():
            targets[username] = targets[key]
        if all(existing.id != account.id for existing in accounts):
            accounts.append(account)
    return accounts, targets

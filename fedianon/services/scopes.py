"""OAuth scopes as Mastodon defines them: hierarchical, with `follow` as a legacy bundle."""

from __future__ import annotations

READ_SUBS = (
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
)
WRITE_SUBS = (
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
)
ADMIN_SUBS = (
    "accounts",
    "reports",
    "domain_allows",
    "domain_blocks",
    "ip_blocks",
    "email_domain_blocks",
    "canonical_email_blocks",
)
FOLLOW_IMPLIES = frozenset(
    {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}
)
TOP_LEVEL = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
ALL_SCOPES = frozenset(
    [*TOP_LEVEL]
    + [f"read:{s}" for s in READ_SUBS]
    + [f"write:{s}" for s in WRITE_SUBS]
    + [f"admin:read:{s}" for s in ADMIN_SUBS]
    + [f"admin:write:{s}" for s in ADMIN_SUBS]
)


class InvalidScope(ValueError):
    pass


def parse_scopes(value: str | list[str] | None, default: str = "read") -> list[str]:
    """Space- or `+`-separated scopes (or a list), validated, order kept, duplicates dropped."""
    if value is None or value == "" or value == []:
        value = default
    items = value if isinstance(value, list) else value.replace("+", " ").replace(",", " ").split()
    scopes: dict[str, None] = {}
    for item in items:
        scope = str(item).strip()
        if not scope:
            continue
        if scope not in ALL_SCOPES:
            raise InvalidScope(f"The requested scope is invalid, unknown, or malformed: {scope}")
        scopes[scope] = None
    if not scopes:
        raise InvalidScope("No scope was requested")
    return list(scopes)


def satisfies(granted: list[str] | set[str] | frozenset[str], required: str) -> bool:
    """Whether `granted` scopes allow `required` (e.g. `read` allows `read:statuses`)."""
    if required in granted:
        return True
    if required in FOLLOW_IMPLIES and "follow" in granted:
        return True
    parts = required.split(":")
    if parts[0] == "admin" and len(parts) == 3:
        return f"admin:{parts[1]}" in granted
    if len(parts) == 2 and parts[0] in ("read", "write"):
        return parts[0] in granted
    if required == "profile":
        return "read" in granted or "read:accounts" in granted
    return False


def is_subset(requested: list[str], allowed: list[str]) -> bool:
    return all(satisfies(set(allowed), scope) for scope in requested)

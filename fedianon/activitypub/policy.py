"""Federation policy for a remote domain: the admin's domain blocks, matched by suffix (a block
of `example.com` covers `a.example.com`; the longest rule wins, as Mastodon does).

Lookups are cached per process for a couple of seconds: inbox and delivery call this for
every activity, and a changed block must still take effect within seconds everywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fedianon.models.moderation import DomainBlock

CACHE_SECONDS = 2.0
_cache: dict[str, tuple[float, DomainRule | None]] = {}


@dataclass(frozen=True)
class DomainRule:
    domain: str
    severity: str  # silence | suspend | noop
    reject_media: bool
    reject_reports: bool


def _suffixes(domain: str) -> list[str]:
    host = domain.lower().split(":")[0].rstrip(".")
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    with_port = domain.lower()
    return [with_port, *candidates] if with_port != host else candidates or [host]


async def rule_for(domain: str | None) -> DomainRule | None:
    if not domain:
        return None
    now = time.monotonic()
    cached = _cache.get(domain)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    suffixes = _suffixes(domain)
    rows = await DomainBlock.filter(domain__in=suffixes).values(
        "domain", "severity", "reject_media", "reject_reports"
    )
    best = max(rows, key=lambda r: len(r["domain"]), default=None)
    rule = (
        DomainRule(best["domain"], best["severity"], best["reject_media"], best["reject_reports"])
        if best
        else None
    )
    if len(_cache) > 50_000:
        _cache.clear()
    _cache[domain] = (now, rule)
    return rule


def forget() -> None:
    """Drop the cache (after this process changed a block)."""
    _cache.clear()


async def domain_suspended(domain: str | None) -> bool:
    rule = await rule_for(domain)
    return rule is not None and rule.severity == "suspend"


async def domain_silenced(domain: str | None) -> bool:
    rule = await rule_for(domain)
    return rule is not None and rule.severity == "silence"


async def rejects_media(domain: str | None) -> bool:
    rule = await rule_for(domain)
    return rule is not None and (rule.reject_media or rule.severity == "suspend")


async def rejects_reports(domain: str | None) -> bool:
    rule = await rule_for(domain)
    return rule is not None and (rule.reject_reports or rule.severity == "suspend")

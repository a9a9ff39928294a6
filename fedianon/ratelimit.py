"""In-memory rate limits keyed on daily-rotated HMACs: nothing about who was limited persists."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from fedianon.errors import RateLimited
from fedianon.privacy import DailyKey


@dataclass
class Limit:
    attempts: int
    period_seconds: float


class Standing(NamedTuple):
    """One key after an attempt: whether it was counted, the limit, what remains of it, and
    the seconds until the window resets."""

    counted: bool
    limit: int
    remaining: int
    reset_in: float

    @property
    def retry_after(self) -> int:
        return int(self.reset_in) + 1


@dataclass
class RateLimiter:
    """A sliding-window counter per (bucket, key). Keys are hashed with a daily key."""

    limits: dict[str, Limit]
    _hits: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _key: DailyKey = field(default_factory=DailyKey)
    _last_sweep: float = 0.0

    def hit(
        self, bucket: str, key: str, message: str = "Too many attempts; please wait and try again."
    ) -> None:
        """Count an attempt; raise RateLimited when the bucket's limit is exceeded."""
        standing = self.attempt(bucket, key)
        if not standing.counted:
            raise RateLimited(message, retry_after=standing.retry_after)

    def attempt(self, bucket: str, key: str) -> Standing:
        """Count an attempt unless the bucket's limit is reached, and say where the key stands
        afterwards (for rate-limit headers); the key is hashed once for both."""
        limit = self.limits[bucket]
        now = time.monotonic()
        self._sweep(now)
        window = self._hits.setdefault((bucket, self._key.digest(key)), deque())
        while window and window[0] <= now - limit.period_seconds:
            window.popleft()
        counted = len(window) < limit.attempts
        if counted:
            window.append(now)
        reset = (window[0] + limit.period_seconds - now) if window else limit.period_seconds
        return Standing(counted, limit.attempts, max(0, limit.attempts - len(window)), reset)

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        longest = max(limit.period_seconds for limit in self.limits.values())
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - longest]:
            del self._hits[key]

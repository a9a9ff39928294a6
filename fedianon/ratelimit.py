"""In-memory rate limits keyed on daily-rotated HMACs: nothing about who was limited persists."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from fedianon.errors import RateLimited
from fedianon.privacy import DailyKey


@dataclass
class Limit:
    attempts: int
    period_seconds: float


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
        limit = self.limits[bucket]
        now = time.monotonic()
        self._sweep(now)
        window = self._hits.setdefault((bucket, self._key.digest(key)), deque())
        while window and window[0] <= now - limit.period_seconds:
            window.popleft()
        if len(window) >= limit.attempts:
            retry_after = int(window[0] + limit.period_seconds - now) + 1
            raise RateLimited(message, retry_after=retry_after)
        window.append(now)

    def status(self, bucket: str, key: str) -> tuple[int, int, float]:
        """(limit, remaining, seconds until the window resets) for rate-limit headers."""
        limit = self.limits[bucket]
        now = time.monotonic()
        window = self._hits.get((bucket, self._key.digest(key)), deque())
        live = [t for t in window if t > now - limit.period_seconds]
        reset = (live[0] + limit.period_seconds - now) if live else limit.period_seconds
        return limit.attempts, max(0, limit.attempts - len(live)), reset

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        longest = max(limit.period_seconds for limit in self.limits.values())
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - longest]:
            del self._hits[key]

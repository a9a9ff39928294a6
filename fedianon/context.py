"""What request handlers share: settings, URL builders, rate limiters. Built once by app.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from fedianon.ratelimit import Limit, RateLimiter
from fedianon.services.mentions import RemoteResolver
from fedianon.services.signup import default_limiter
from fedianon.settings import Settings
from fedianon.urls import LocalUrls


def default_api_limiter(per_five_minutes: int = 300) -> RateLimiter:
    # Mastodon's defaults: 300 requests per 5 minutes per token; 30 media uploads per 30 minutes.
    return RateLimiter(limits={"api": Limit(per_five_minutes, 300), "media": Limit(30, 1800)})


@dataclass
class AppContext:
    settings: Settings
    urls: LocalUrls
    limiter: RateLimiter = field(default_factory=default_limiter)
    api_limiter: RateLimiter = field(default_factory=default_api_limiter)
    extras: dict[str, Any] = field(default_factory=dict)
    # Set by the federation layer: finds or fetches `user@host` (WebFinger + actor fetch).
    resolve_remote_account: RemoteResolver | None = None
    # The signed, SSRF-guarded outgoing HTTP client (federation.client.FederationClient).
    federation: Any = None

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        return cls(
            settings=settings,
            urls=LocalUrls(settings.base_url),
            api_limiter=default_api_limiter(settings.api_rate_limit),
        )


def app_context(conn: HTTPConnection) -> AppContext:
    return conn.app.state.ctx  # type: ignore[no-any-return]

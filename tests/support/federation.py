"""Pointing an in-process app's federation at test servers on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import httpx

from federation.client import FederationClient
from fedianon.context import AppContext


async def loopback_federation(ctx: AppContext, **kwargs: Any) -> FederationClient:
    """Let the app reach loopback test servers, which stand in for public hosts.

    The app's own httpx client connects only to public addresses (its transport re-checks each
    connection), so it is swapped for a plain one, which the app closes at shutdown; the new
    FederationClient allows private addresses unless the caller passes its own
    ``address_check``.
    """
    await ctx.extras["http"].aclose()
    http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
    ctx.extras["http"] = http
    if "address_check" not in kwargs:
        kwargs.setdefault("allow_private", True)
    kwargs.setdefault("user_agent", "fedianon-test")
    ctx.federation = FederationClient(http, **kwargs)
    return ctx.federation

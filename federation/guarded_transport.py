"""An httpx transport that connects only to addresses the SSRF guard has just vetted.

``FederationClient`` checks every host before it sends, but httpx then resolves the name again
when it opens the connection. A peer that controls its DNS can answer the first lookup with a
public address and the second with 127.0.0.1 (DNS rebinding). This transport closes that window:
its network backend resolves the host itself, refuses it unless every address is public
(``addresses.check_host``), and connects to the vetted address. TLS still verifies the
certificate against the host name, because httpcore takes the server name from the URL, not
from the address it connected to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from federation import addresses

__all__ = ["GuardedNetworkBackend", "guarded_transport"]


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks at connect time, then connects to the checked address."""

    def __init__(
        self,
        resolver: addresses.Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        vetted = await addresses.check_host(
            host, allow_private=False, port=port, resolver=self._resolver
        )
        failure: Exception | None = None
        for address in vetted:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the host's next address, as a resolver-driven connect would
        assert failure is not None  # check_host never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise addresses.BlockedAddressError("unix sockets are not a federation destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    *, limits: httpx.Limits, resolver: addresses.Resolver | None = None
) -> httpx.AsyncHTTPTransport:
    """An ``httpx.AsyncHTTPTransport`` whose connections go through ``GuardedNetworkBackend``.

    httpx has no public argument for the network backend, so the transport's connection pool
    is replaced by one built the same way (certificate verification, limits) with the guarded
    backend; ``_pool`` is the one attribute httpx's transport sends through.
    """
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedNetworkBackend(resolver),
    )
    return transport

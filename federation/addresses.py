"""SSRF guard: resolve a host and refuse non-public addresses.

Every outgoing fetch or delivery calls ``check_host`` first (and again on each redirect
hop). Loopback, private, link-local, CGNAT, multicast, reserved, unspecified,
documentation and IPv4-mapped/6to4/NAT64 forms of those are refused unless
``allow_private`` (tests, local labs). All resolved addresses must pass, so a name that
resolves to one public and one private address is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

__all__ = [
    "AddressError",
    "BlockedAddressError",
    "IPAddress",
    "ResolutionError",
    "Resolver",
    "blocked_reason",
    "check_host",
    "is_public_ip",
    "parse_ip",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``await resolver(host, port)`` -> the host's addresses as strings.
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class AddressError(Exception):
    """Base class; ``reason`` is a human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BlockedAddressError(AddressError):
    """The host is, or resolves to, an address the guard refuses."""


class ResolutionError(AddressError):
    """The host name could not be resolved."""


def parse_ip(value: str) -> IPAddress | None:
    """An IP literal (``[v6]`` brackets allowed) or ``None`` for a host name."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def blocked_reason(ip: IPAddress | str) -> str | None:
    """Why ``ip`` is not a public unicast address, or ``None`` if it is."""
    address = parse_ip(ip) if isinstance(ip, str) else ip
    if address is None:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"IPv4-mapped {inner}" if inner else None
        if address in _NAT64_LOCAL:
            return "local-use NAT64"
        if address in _NAT64:
            inner = blocked_reason(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return f"NAT64 {inner}" if inner else None
        if address.sixtofour is not None:
            inner = blocked_reason(address.sixtofour)
            return f"6to4 {inner}" if inner else None
        if address.teredo is not None:
            return "Teredo tunnel"
        if address.is_site_local:
            return "site-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "carrier-grade NAT (100.64.0.0/10)"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return None


def is_public_ip(ip: IPAddress | str) -> bool:
    """True for a globally routable unicast address."""
    return blocked_reason(ip) is None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's ``getaddrinfo`` (non-blocking)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ResolutionError(f"cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


async def check_host(
    host: str,
    *,
    allow_private: bool,
    port: int = 443,
    resolver: Resolver | None = None,
) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses; raise ``BlockedAddressError`` if any is
    not public (unless ``allow_private``) and ``ResolutionError`` if it does not resolve.

    ``host`` is a name or an IP literal (``[::1]`` accepted), without a port.
    """
    name = host.strip().rstrip(".").lower()
    if not name:
        raise BlockedAddressError("empty host")
    if "%" in name:
        raise BlockedAddressError(f"scoped IPv6 address {host!r} refused")
    literal = parse_ip(name)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        if not allow_private and (name == "localhost" or name.endswith(".localhost")):
            raise BlockedAddressError(f"{host} is a loopback name")
        raw = await (resolver or system_resolver)(name, port)
        addresses = []
        for item in raw:
            parsed = parse_ip(item.split("%", 1)[0])
            if parsed is None:
                raise ResolutionError(f"resolver returned a non-address {item!r} for {host}")
            if parsed not in addresses:
                addresses.append(parsed)
        if not addresses:
            raise ResolutionError(f"{host} has no addresses")
    if not allow_private:
        for address in addresses:
            reason = blocked_reason(address)
            if reason is not None:
                raise BlockedAddressError(f"{host} resolves to a {reason} address ({address})")
    return addresses

"""The connect-time SSRF guard, over real sockets: a name re-resolved to loopback between the
client's check and the connect (DNS rebinding) is refused, and connections go to the address
that was vetted, not to a second lookup."""

import asyncio
import json

import httpcore
import httpx
import pytest

from federation import addresses
from federation.client import BlockedAddressError, FederationClient, user_agent
from federation.guarded_transport import GuardedNetworkBackend, guarded_transport

LIMITS = httpx.Limits(max_connections=4)
ACTOR = {"type": "Person", "id": "http://peer.example/users/bob"}


class LocalPeer:
    """A tiny HTTP server on 127.0.0.1 that answers every request with ACTOR."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> "LocalPeer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        body = json.dumps(ACTOR).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


class RedirectingBackend(httpcore.AsyncNetworkBackend):
    """Plays the network: records the address it is asked to reach and connects to the local
    peer instead (public addresses are not reachable from a test); `refuse` fail to connect."""

    def __init__(self, port: int, refuse: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.port = port
        self.refuse = refuse
        self.asked: list[tuple[str, int]] = []
        self.real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.asked.append((host, port))
        if host in self.refuse:
            raise httpcore.ConnectError(f"{host} unreachable")
        return await self.real.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AssertionError("not used")

    async def sleep(self, seconds):
        await self.real.sleep(seconds)


async def test_a_name_rebound_to_loopback_after_the_check_is_refused_at_connect():
    lookups: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)  # public for the client's check, loopback for the connect
        return ["93.184.216.34"] if len(lookups) == 1 else ["127.0.0.1"]

    async with LocalPeer() as peer:
        url = f"http://rebind.example:{peer.port}/users/bob"
        async with httpx.AsyncClient(
            transport=guarded_transport(limits=LIMITS, resolver=rebinding)
        ) as http:
            client = FederationClient(http, user_agent=user_agent("1", "x"), resolver=rebinding)
            with pytest.raises(BlockedAddressError) as caught:
                await client.fetch_json(url)
    assert "loopback" in caught.value.reason
    assert lookups == ["rebind.example", "rebind.example"]
    assert peer.requests == []  # nothing reached the private address


async def test_the_connection_goes_to_the_vetted_address_and_keeps_the_host_name():
    async def resolver(host: str, port: int) -> list[str]:
        assert host == "peer.example"
        return ["93.184.216.34"]

    async with LocalPeer() as peer:
        network = RedirectingBackend(peer.port)
        backend = GuardedNetworkBackend(resolver, inner=network)
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            response = await pool.request("GET", f"http://peer.example:{peer.port}/users/bob")
    assert response.status == 200
    assert json.loads(response.content) == ACTOR
    assert network.asked == [("93.184.216.34", peer.port)]  # the checked address, no re-lookup
    assert b"Host: peer.example:" in peer.requests[0]


async def test_an_unreachable_address_falls_through_to_the_next_vetted_one():
    async def resolver(host: str, port: int) -> list[str]:
        return ["2606:4700:4700::1111", "93.184.216.34"]

    async with LocalPeer() as peer:
        network = RedirectingBackend(peer.port, refuse={"2606:4700:4700::1111"})
        backend = GuardedNetworkBackend(resolver, inner=network)
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            response = await pool.request("GET", f"http://peer.example:{peer.port}/")
    assert response.status == 200
    assert [host for host, _ in network.asked] == ["2606:4700:4700::1111", "93.184.216.34"]


async def test_a_name_with_one_private_address_never_connects():
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    network = RedirectingBackend(1)
    backend = GuardedNetworkBackend(resolver, inner=network)
    with pytest.raises(addresses.BlockedAddressError, match="private"):
        await backend.connect_tcp("mixed.example", 80)
    assert network.asked == []


async def test_unix_sockets_are_refused():
    with pytest.raises(addresses.BlockedAddressError):
        await GuardedNetworkBackend().connect_unix_socket("/run/postgresql/.s.PGSQL.5432")

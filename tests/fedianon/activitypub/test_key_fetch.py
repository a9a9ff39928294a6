"""Signature keys: a stored key answers without a fetch; an unknown or gone actor is fetched
once per request, not once by the lookup and again by the library's refresh."""

from __future__ import annotations

import httpx
import pytest

from federation.signatures.keys import generate_rsa_keypair
from tests.support.federation import loopback_federation
from tests.support.listserver import ListServer, Served
from tests.support.signing import signed_follow


@pytest.fixture
def peer():  # type: ignore[no-untyped-def]
    server = ListServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("status", [410, 404, 500])
async def test_an_actor_that_cannot_be_loaded_is_fetched_once(
    client: httpx.AsyncClient, app, peer: ListServer, status: int
) -> None:  # type: ignore[no-untyped-def]
    ctx = app.state.ctx
    await loopback_federation(ctx)
    peer.routes["/users/gone"] = Served(b"{}", "application/activity+json", status)
    private_pem, _ = generate_rsa_keypair()
    body, headers = signed_follow(peer.url("/users/gone"), private_pem)
    response = await client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 401
    assert [path for path, _ in peer.hits] == ["/users/gone"]

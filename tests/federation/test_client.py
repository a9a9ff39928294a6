import asyncio
import json

import httpx
import pytest

from federation import addresses
from federation.client import (
    AP_ACCEPT,
    BlockedAddressError,
    ConnectionFailed,
    FederationClient,
    FetchError,
    HTTPStatusError,
    NotActivityJSON,
    ResponseTooLarge,
    Signer,
    Timeout,
    TooManyRedirects,
    user_agent,
)
from federation.signatures import cavage, rfc9421
from federation.webfinger import LookupFailed, lookup
from tests.federation.vectors import RFC_RSA_PRIVATE_KEY, RFC_RSA_PUBLIC_KEY

UA = user_agent("0.1.0", "campus.example")
SIGNER = Signer("https://campus.example/actor#main-key", RFC_RSA_PRIVATE_KEY)
PUBLIC_IPS = {
    "remote.example": ["93.184.216.34"],
    "other.example": ["2606:4700:4700::1111"],
    "evil.example": ["93.184.216.35", "10.0.0.7"],
    "inside.example": ["192.168.1.20"],
}
ACTOR = {"type": "Person", "id": "https://remote.example/users/bob"}


async def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return PUBLIC_IPS[host]
    except KeyError:
        raise addresses.ResolutionError(f"cannot resolve {host}") from None


def make(handler, **kwargs) -> tuple[FederationClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    kwargs.setdefault("resolver", fake_resolver)
    return FederationClient(http, user_agent=UA, **kwargs), http


def ap_json(data, status=200, **headers) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(data).encode(),
        headers={"Content-Type": "application/activity+json", **headers},
    )


async def test_fetch_sends_accept_user_agent_timeouts_and_signs():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["accept"] = request.headers["accept"]
        seen["ua"] = request.headers["user-agent"]
        seen["timeout"] = request.extensions["timeout"]
        verified = cavage.verify_request(
            "GET", request.url.raw_path.decode(), request.headers, None, RFC_RSA_PUBLIC_KEY
        )
        seen["key_id"] = verified.key_id
        return ap_json(ACTOR)

    client, http = make(handler)
    async with http:
        fetched = await client.fetch_json("https://remote.example/users/bob?x=1", signer=SIGNER)
    assert fetched.data == ACTOR and fetched.scheme == "cavage"
    assert seen["accept"] == AP_ACCEPT
    assert seen["ua"] == "fedianon/0.1.0 (+https://campus.example/)"
    assert seen["timeout"] == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    assert seen["key_id"] == SIGNER.key_id
    assert client.known_scheme("remote.example") == "cavage"


async def test_unsigned_fetch_and_ld_json_content_type():
    def handler(request):
        assert "signature" not in request.headers
        return httpx.Response(
            200,
            json=ACTOR,
            headers={
                "Content-Type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
            },
        )

    client, http = make(handler)
    async with http:
        fetched = await client.fetch_json("https://remote.example/users/bob")
    assert fetched.scheme is None and fetched.content_type == "application/ld+json"


async def test_size_cap_declared_and_streamed():
    big = b"{" + b" " * 2000 + b"}"

    async def chunks():
        for _ in range(10):
            yield b" " * 300

    def handler(request):
        if request.url.path == "/declared":
            return httpx.Response(
                200, content=big, headers={"Content-Type": "application/activity+json"}
            )
        return httpx.Response(
            200, content=chunks(), headers={"Content-Type": "application/activity+json"}
        )

    client, http = make(handler, max_bytes=1000)
    async with http:
        with pytest.raises(ResponseTooLarge, match="declares"):
            await client.fetch_json("https://remote.example/declared")
        with pytest.raises(ResponseTooLarge, match="exceeds 1000 bytes"):
            await client.fetch_json("https://remote.example/streamed")
        with pytest.raises(ResponseTooLarge):
            await client.fetch_json("https://remote.example/declared", max_bytes=500)


def redirect_chain(hops: int):
    def handler(request):
        step = int(request.url.params.get("step", "0"))
        if step < hops:
            return httpx.Response(302, headers={"Location": f"/r?step={step + 1}"})
        return ap_json(ACTOR)

    return handler


async def test_three_redirects_followed_four_refused():
    client, http = make(redirect_chain(3))
    async with http:
        fetched = await client.fetch_json("https://remote.example/r?step=0", signer=SIGNER)
    assert fetched.url == "https://remote.example/r?step=3"
    client, http = make(redirect_chain(4))
    async with http:
        with pytest.raises(TooManyRedirects):
            await client.fetch_json("https://remote.example/r?step=0")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1/admin",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "https://inside.example/x",
        "https://evil.example/x",
        "http://localhost:3000/",
        "http://[::ffff:10.0.0.1]/",
    ],
)
async def test_redirect_to_private_address_is_refused(location):
    calls = []

    def handler(request):
        calls.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    client, http = make(handler)
    async with http:
        with pytest.raises(BlockedAddressError) as err:
            await client.fetch_json("https://remote.example/start")
    assert isinstance(err.value, addresses.BlockedAddressError)
    assert calls == ["https://remote.example/start"]  # the private hop was never requested


async def test_allow_private_lets_loopback_through():
    client, http = make(lambda request: ap_json(ACTOR), allow_private=True)
    async with http:
        fetched = await client.fetch_json("http://127.0.0.1:8001/users/bob")
    assert fetched.data == ACTOR


async def test_injected_address_check():
    checked = []

    async def check(host: str, port: int) -> None:
        checked.append((host, port))

    client, http = make(lambda request: ap_json(ACTOR), address_check=check)
    async with http:
        await client.fetch_json("http://127.0.0.1:8001/users/bob")
    assert checked == [("127.0.0.1", 8001)]


async def test_unresolvable_host_is_a_connection_failure():
    client, http = make(lambda request: ap_json(ACTOR))
    async with http:
        with pytest.raises(ConnectionFailed, match="cannot resolve"):
            await client.fetch_json("https://nowhere.example/x")


def inbox_requiring_rfc9421(calls):
    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        if "signature-input" not in request.headers:
            calls.append("cavage")
            return httpx.Response(401, json={"error": "Request not signed"})
        calls.append("rfc9421")
        rfc9421.verify_request("POST", str(request.url), request.headers, body, RFC_RSA_PUBLIC_KEY)
        return httpx.Response(202)

    return handler


async def test_double_knock_falls_back_to_rfc9421_and_remembers():
    calls: list[str] = []
    client, http = make(inbox_requiring_rfc9421(calls))
    body = b'{"type":"Follow"}'
    async with http:
        first = await client.post_activity("https://remote.example/inbox", body, signer=SIGNER)
        assert (first.status_code, first.scheme, first.attempts, first.ok) == (
            202,
            "rfc9421",
            2,
            True,
        )
        assert client.known_scheme("remote.example") == "rfc9421"
        second = await client.post_activity("https://remote.example/inbox", body, signer=SIGNER)
    assert (second.scheme, second.attempts) == ("rfc9421", 1)
    assert calls == ["cavage", "rfc9421", "rfc9421"]


async def test_cavage_accepted_first_time():
    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        assert "signature-input" not in request.headers
        cavage.verify_request(
            "POST", request.url.raw_path.decode(), request.headers, body, RFC_RSA_PUBLIC_KEY
        )
        assert request.headers["content-type"] == "application/activity+json"
        return httpx.Response(202)

    client, http = make(handler)
    async with http:
        result = await client.post_activity("https://remote.example/inbox", b"{}", signer=SIGNER)
    assert (result.status_code, result.scheme, result.attempts) == (202, "cavage", 1)
    assert client.known_scheme("remote.example") == "cavage"


async def test_seeded_rfc9421_host_falls_back_to_cavage():
    calls = []

    def handler(request):
        scheme = "rfc9421" if "signature-input" in request.headers else "cavage"
        calls.append(scheme)
        return httpx.Response(401 if scheme == "rfc9421" else 202)

    client, http = make(handler, known_schemes={"remote.example": "rfc9421"})
    async with http:
        result = await client.post_activity("https://remote.example/inbox", b"{}", signer=SIGNER)
    assert calls == ["rfc9421", "cavage"] and result.scheme == "cavage"
    assert client.known_scheme("remote.example") == "cavage"


async def test_double_knock_on_get():
    def handler(request):
        if "signature-input" not in request.headers:
            return httpx.Response(401)
        return ap_json(ACTOR)

    client, http = make(handler)
    async with http:
        fetched = await client.fetch_json("https://remote.example/users/bob", signer=SIGNER)
    assert fetched.scheme == "rfc9421"


async def test_both_schemes_refused_returns_401():
    client, http = make(lambda request: httpx.Response(401))
    async with http:
        result = await client.post_activity("https://remote.example/inbox", b"{}", signer=SIGNER)
        assert (result.status_code, result.attempts, result.ok) == (401, 2, False)
        assert client.known_scheme("remote.example") is None
        with pytest.raises(HTTPStatusError) as err:
            await client.fetch_json("https://remote.example/x", signer=SIGNER)
    assert err.value.status == 401


async def test_error_mapping_timeout_connect_and_500():
    def handler(request):
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/proto":
            raise httpx.RemoteProtocolError("bad", request=request)
        return httpx.Response(500, text="oops")

    client, http = make(handler)
    async with http:
        with pytest.raises(Timeout) as timeout:
            await client.fetch_json("https://remote.example/slow")
        assert timeout.value.url == "https://remote.example/slow"
        with pytest.raises(ConnectionFailed):
            await client.fetch_json("https://remote.example/down")
        with pytest.raises(ConnectionFailed):
            await client.post_activity("https://remote.example/proto", b"{}", signer=SIGNER)
        with pytest.raises(HTTPStatusError) as err:
            await client.fetch_json("https://remote.example/error")
        assert err.value.status == 500 and isinstance(err.value, FetchError)
        result = await client.post_activity("https://remote.example/error", b"{}", signer=SIGNER)
        assert result.status_code == 500 and result.retryable


async def test_not_activity_json():
    def handler(request):
        if request.url.path == "/html":
            return httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"})
        return httpx.Response(
            200, content=b"{nope", headers={"Content-Type": "application/activity+json"}
        )

    client, http = make(handler)
    async with http:
        with pytest.raises(NotActivityJSON, match="content type"):
            await client.fetch_json("https://remote.example/html")
        with pytest.raises(NotActivityJSON, match="not valid JSON"):
            await client.fetch_json("https://remote.example/bad")


async def test_unsupported_url():
    client, http = make(lambda request: ap_json(ACTOR))
    async with http:
        with pytest.raises(FetchError):
            await client.fetch_json("ftp://remote.example/x")
        with pytest.raises(FetchError):
            await client.fetch_json("not a url")


async def test_per_host_concurrency_limit():
    active = {"now": 0, "max": 0}

    async def handler(request):
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        await asyncio.sleep(0.01)
        active["now"] -= 1
        return ap_json(ACTOR)

    client, http = make(handler, per_host_limit=2)
    async with http:
        await asyncio.gather(*(client.fetch_json("https://remote.example/u") for _ in range(6)))
    assert active["max"] == 2


async def test_webfinger_lookup_through_the_guarded_client():
    def handler(request):
        if request.url.host == "remote.example":
            return httpx.Response(
                302, headers={"Location": "http://127.0.0.1/.well-known/webfinger"}
            )
        return httpx.Response(200, json={})

    client, http = make(handler)
    async with http:
        with pytest.raises(LookupFailed, match=r"127\.0\.0\.1"):
            await lookup(client, "bob@remote.example")

    def ok(request):
        return httpx.Response(
            200,
            json={
                "links": [{"rel": "self", "type": "application/activity+json", "href": ACTOR["id"]}]
            },
            headers={"Content-Type": "application/jrd+json"},
        )

    client, http = make(ok)
    async with http:
        result = await lookup(client, "bob@remote.example")
    assert result.actor_url == ACTOR["id"]


async def test_fetch_bytes_returns_any_status_with_headers():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        return httpx.Response(
            200, content=b"a.example\n", headers={"content-type": "text/plain", "etag": '"v1"'}
        )

    client, http = make(handler)
    async with http:
        first = await client.fetch_bytes("https://remote.example/list.txt")
        assert (
            first.status_code == 200
            and first.body == b"a.example\n"
            and first.headers["etag"] == '"v1"'
        )
        again = await client.fetch_bytes(
            "https://remote.example/list.txt", headers={"If-None-Match": '"v1"'}
        )
        assert again.status_code == 304 and again.body == b""


async def test_fetch_bytes_caps_size_and_guards_redirects():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/big":
            return httpx.Response(200, content=b"x" * 5000)
        return httpx.Response(302, headers={"location": "http://127.0.0.1:8080/list.csv"})

    client, http = make(handler)
    async with http:
        with pytest.raises(ResponseTooLarge):
            await client.fetch_bytes("https://remote.example/big", max_bytes=1000)
        with pytest.raises(BlockedAddressError):
            await client.fetch_bytes("https://remote.example/moved")

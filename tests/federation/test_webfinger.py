import json

import httpx
import pytest

from federation.webfinger import (
    Acct,
    InvalidJRD,
    InvalidResource,
    LookupFailed,
    UrlResource,
    build_jrd,
    default_scheme_for_host,
    lookup,
    parse_acct,
    parse_jrd,
    parse_resource,
    webfinger_url,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("acct:alice@example.com", Acct("alice", "example.com")),
        ("alice@Example.COM", Acct("alice", "example.com")),
        ("@alice@example.com", Acct("alice", "example.com")),
        ("acct:alice@127.0.0.1:8001", Acct("alice", "127.0.0.1:8001")),
        ("  acct:alice@localhost:3000 ", Acct("alice", "localhost:3000")),
        ("acct:alice@[::1]:8080", Acct("alice", "[::1]:8080")),
        ("acct:alice%40example.com", Acct("alice", "example.com")),
        ("ACCT:bob_1@sub.example.org", Acct("bob_1", "sub.example.org")),
    ],
)
def test_parse_acct_forms(value, expected):
    assert parse_resource(value) == expected


def test_acct_properties():
    acct = parse_acct("alice@127.0.0.1:8001")
    assert acct.resource == "acct:alice@127.0.0.1:8001"
    assert (acct.domain, acct.port, str(acct)) == ("127.0.0.1", 8001, "alice@127.0.0.1:8001")
    assert parse_acct("a@[::1]:80").domain == "[::1]"


def test_url_resource():
    resource = parse_resource("https://example.com/users/alice")
    assert resource == UrlResource("https://example.com/users/alice")
    assert resource.host == "example.com"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "alice",
        "@alice",
        "alice@",
        "@example.com",
        "a@b@",
        "alice@exa mple.com",
        "alice@example.com:0",
        "alice@example.com:99999",
        "alice@example.com:²",
        "alice@-bad-.com",
        "al/ice@example.com",
        "mailto:alice@example.com",
        "https://",
        "http://example.com:abc/",
        "acct:alice@[::1",
        "alice@::1",
        "x" * 3000,
    ],
)
def test_invalid_resources(value):
    with pytest.raises(InvalidResource) as err:
        parse_resource(value)
    assert err.value.reason


def test_build_jrd_for_local_account():
    jrd = build_jrd(
        Acct("alice", "campus.example"),
        "https://campus.example/users/alice",
        profile_url="https://campus.example/@alice",
        subscribe_template="https://campus.example/authorize_interaction?uri={uri}",
    )
    assert jrd["subject"] == "acct:alice@campus.example"
    assert jrd["aliases"] == ["https://campus.example/@alice", "https://campus.example/users/alice"]
    rels = {link["rel"]: link for link in jrd["links"]}
    assert rels["self"] == {
        "rel": "self",
        "type": "application/activity+json",
        "href": "https://campus.example/users/alice",
    }
    assert rels["http://webfinger.net/rel/profile-page"]["type"] == "text/html"
    assert rels["http://ostatus.org/schema/1.0/subscribe"]["template"].endswith("{uri}")
    assert parse_jrd(jrd).actor_url == "https://campus.example/users/alice"


def test_parse_jrd_ld_json_self_link_and_junk():
    jrd = parse_jrd(
        {
            "subject": 5,
            "aliases": "nope",
            "links": [
                "junk",
                {"rel": "self", "type": "text/html", "href": "https://x/html"},
                {
                    "rel": "self",
                    "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                    "href": "https://x/actor",
                },
            ],
        }
    )
    assert jrd.subject is None and jrd.aliases == ()
    assert jrd.actor_url == "https://x/actor"
    with pytest.raises(InvalidJRD):
        parse_jrd([])


@pytest.mark.parametrize(
    ("host", "scheme"),
    [
        ("127.0.0.1:8001", "http"),
        ("localhost:3000", "http"),
        ("[::1]:8080", "http"),
        ("127.0.0.1", "https"),
        ("example.com:8443", "https"),
        ("example.com", "https"),
    ],
)
def test_default_scheme_for_host(host, scheme):
    assert default_scheme_for_host(host) == scheme


def jrd_response(actor: str = "https://remote.example/users/bob") -> dict:
    return {
        "subject": "acct:bob@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
    }


async def test_lookup_https_and_http_for_loopback():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        assert request.headers["user-agent"] == "fedianon/test"
        return httpx.Response(200, json=jrd_response())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = await lookup(client, "bob@remote.example", user_agent="fedianon/test")
        assert result.actor_url == "https://remote.example/users/bob"
        await lookup(client, Acct("bob", "127.0.0.1:8001"), user_agent="fedianon/test")
    assert seen == [
        "https://remote.example/.well-known/webfinger?resource=acct%3Abob%40remote.example",
        "http://127.0.0.1:8001/.well-known/webfinger?resource=acct%3Abob%40127.0.0.1%3A8001",
    ]
    assert webfinger_url(Acct("a", "b.example")).startswith("https://b.example/.well-known/")


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(404), LookupFailed),
        (httpx.Response(200, content=b"not json"), InvalidJRD),
        (httpx.Response(200, json={"links": []}), InvalidJRD),
        (httpx.Response(200, content=b"[" * 300_000), LookupFailed),
    ],
)
async def test_lookup_failures(response, error):
    transport = httpx.MockTransport(lambda request: response)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(error) as err:
            await lookup(client, "bob@remote.example")
    assert err.value.reason


async def test_lookup_network_error():
    def handler(request):
        raise httpx.ConnectError("refused")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(LookupFailed, match="ConnectError"):
            await lookup(client, "bob@remote.example")


def test_jrd_is_json_serialisable():
    json.dumps(build_jrd(Acct("a", "b.example"), "https://b.example/users/a"))

import httpx
import pytest

from federation.activitystreams import Collection, parse
from federation.client import FederationClient
from federation.collections import (
    CollectionError,
    build_collection,
    build_page,
    iterate_collection,
)

BASE = "https://remote.example/users/bob/outbox"


def test_build_collection_and_page_round_trip():
    collection = build_collection(
        BASE, total_items=3, first=f"{BASE}?page=1", last=f"{BASE}?page=2"
    )
    assert collection["@context"] == "https://www.w3.org/ns/activitystreams"
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 3
    parsed = parse(collection)
    assert isinstance(parsed, Collection) and parsed.first.id == f"{BASE}?page=1"
    page = build_page(
        f"{BASE}?page=1", part_of=BASE, items=["a", "b"], next_page=f"{BASE}?page=2", prev_page=None
    )
    parsed_page = parse(page)
    assert parsed_page.is_page and parsed_page.part_of == BASE
    assert parsed_page.next == f"{BASE}?page=2" and [i.id for i in parsed_page.items] == ["a", "b"]
    unordered = build_collection(BASE, total_items=None, items=["x"], ordered=False, context=False)
    assert unordered == {"id": BASE, "type": "Collection", "items": ["x"]}


def pages_handler(request: httpx.Request) -> httpx.Response:
    page = request.url.params.get("page")
    headers = {"Content-Type": "application/activity+json"}
    if page is None:
        doc = build_collection(BASE, total_items=5, first=f"{BASE}?page=1")
    elif page == "loop":
        doc = build_page(
            f"{BASE}?page=loop", part_of=BASE, items=["z"], next_page=f"{BASE}?page=loop"
        )
    else:
        n = int(page)
        nxt = f"{BASE}?page={n + 1}" if n < 3 else None
        doc = build_page(
            f"{BASE}?page={n}", part_of=BASE, items=[f"item-{n}a", f"item-{n}b"], next_page=nxt
        )
    return httpx.Response(200, json=doc, headers=headers)


def client() -> tuple[FederationClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(pages_handler))
    return FederationClient(http, user_agent="test", allow_private=True), http


async def collect(**kwargs) -> list[str]:
    fed, http = client()
    async with http:
        return [ref.id async for ref in iterate_collection(fed, kwargs.pop("url", BASE), **kwargs)]


async def test_iterate_follows_first_and_next():
    assert await collect() == ["item-1a", "item-1b", "item-2a", "item-2b", "item-3a", "item-3b"]


async def test_iterate_is_bounded():
    assert await collect(max_pages=2) == ["item-1a", "item-1b"]
    assert await collect(max_items=3) == ["item-1a", "item-1b", "item-2a"]


async def test_iterate_detects_loops():
    assert await collect(url=f"{BASE}?page=loop") == ["z"]


async def test_iterate_embedded_first_page():
    def handler(request):
        doc = build_collection(
            BASE,
            total_items=1,
            first=build_page(f"{BASE}?p=1", part_of=BASE, items=["only"], context=False),
        )
        return httpx.Response(200, json=doc, headers={"Content-Type": "application/activity+json"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    fed = FederationClient(http, user_agent="test", allow_private=True)
    async with http:
        assert [ref.id async for ref in iterate_collection(fed, BASE)] == ["only"]


async def test_iterate_refuses_non_collections():
    def handler(request):
        return httpx.Response(
            200,
            json={"type": "Note", "id": BASE},
            headers={"Content-Type": "application/activity+json"},
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    fed = FederationClient(http, user_agent="test", allow_private=True)
    async with http:
        with pytest.raises(CollectionError, match="not a collection"):
            [ref async for ref in iterate_collection(fed, BASE)]

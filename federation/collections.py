"""OrderedCollection documents for our own outbox/followers/featured, and a bounded
walk over a remote collection (``first`` then ``next`` pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from federation.activitystreams import Collection, ObjectRef, ParseError, parse
from federation.client import FederationClient, Signer

__all__ = [
    "AS_CONTEXT",
    "CollectionError",
    "build_collection",
    "build_page",
    "iterate_collection",
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


class CollectionError(Exception):
    """A remote collection (or one of its pages) is not a usable collection."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_collection(
    collection_id: str,
    *,
    total_items: int | None,
    first: str | dict[str, Any] | None = None,
    last: str | None = None,
    items: Sequence[Any] | None = None,
    ordered: bool = True,
    context: bool = True,
) -> dict[str, Any]:
    """An ``OrderedCollection`` (or ``Collection``) with ``first``/``last`` or inline items."""
    document: dict[str, Any] = {}
    if context:
        document["@context"] = AS_CONTEXT
    document["id"] = collection_id
    document["type"] = "OrderedCollection" if ordered else "Collection"
    if total_items is not None:
        document["totalItems"] = total_items
    if first is not None:
        document["first"] = first
    if last is not None:
        document["last"] = last
    if items is not None:
        document["orderedItems" if ordered else "items"] = list(items)
    return document


def build_page(
    page_id: str,
    *,
    part_of: str,
    items: Sequence[Any],
    next_page: str | None = None,
    prev_page: str | None = None,
    total_items: int | None = None,
    ordered: bool = True,
    context: bool = True,
) -> dict[str, Any]:
    """An ``OrderedCollectionPage`` (or ``CollectionPage``) with ``partOf``/``next``/``prev``."""
    document: dict[str, Any] = {}
    if context:
        document["@context"] = AS_CONTEXT
    document["id"] = page_id
    document["type"] = "OrderedCollectionPage" if ordered else "CollectionPage"
    if total_items is not None:
        document["totalItems"] = total_items
    document["partOf"] = part_of
    if next_page is not None:
        document["next"] = next_page
    if prev_page is not None:
        document["prev"] = prev_page
    document["orderedItems" if ordered else "items"] = list(items)
    return document


def _as_collection(document: Any, url: str) -> Collection:
    try:
        parsed = parse(document)
    except ParseError as exc:
        raise CollectionError(f"{url}: {exc.reason}") from exc
    if not isinstance(parsed, Collection):
        raise CollectionError(f"{url} is a {parsed.type}, not a collection")
    return parsed


async def iterate_collection(
    client: FederationClient,
    url: str,
    *,
    signer: Signer | None = None,
    max_pages: int = 10,
    max_items: int = 1000,
) -> AsyncIterator[ObjectRef]:
    """Yield the items of a remote collection: its inline items, then ``first`` and each
    ``next`` page, fetching at most ``max_pages`` documents and yielding at most
    ``max_items`` items. Page loops are detected. Fetch errors propagate (``FetchError``).
    """
    fetched = await client.fetch_json(url, signer=signer)
    current: Collection | None = _as_collection(fetched.data, fetched.url)
    pages = 1
    yielded = 0
    seen = {fetched.url}
    following_first = True
    while current is not None:
        for item in current.items:
            if yielded >= max_items:
                return
            yield item
            yielded += 1
        use_first = following_first and current.first is not None
        ref: ObjectRef | str | None = current.first if use_first else current.next
        following_first = False
        current = None
        if isinstance(ref, ObjectRef):
            if isinstance(ref.value, Collection):
                current = ref.value
                if ref.id:
                    seen.add(ref.id)
                continue
            ref = ref.id
        if ref is None or ref in seen or pages >= max_pages:
            return
        seen.add(ref)
        fetched = await client.fetch_json(ref, signer=signer)
        pages += 1
        seen.add(fetched.url)
        current = _as_collection(fetched.data, fetched.url)

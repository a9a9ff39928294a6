"""Tolerant ActivityStreams 2.0 parsing: ``parse(document) -> typed value``.

Real servers disagree on shapes, so every accessor here accepts a single value, a list
or an object where one value is expected; ``@context`` is never required nor expanded.
A document is refused only for reasons the application cannot work around, with
``ParseError(reason)``; any other odd input yields a value with ``None``/empty fields.
Nothing but ``ParseError`` ever escapes ``parse``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ACTIVITY_TYPES",
    "ACTOR_TYPES",
    "COLLECTION_TYPES",
    "NOTE_TYPES",
    "PUBLIC",
    "Activity",
    "Actor",
    "Attachment",
    "Collection",
    "Emoji",
    "Hashtag",
    "Mention",
    "Multikey",
    "Note",
    "ObjectRef",
    "OtherObject",
    "ParseError",
    "ParsedDocument",
    "Poll",
    "PollOption",
    "PropertyValue",
    "PublicKeyInfo",
    "Source",
    "Tag",
    "Tombstone",
    "is_http_url",
    "is_public",
    "normalize_addresses",
    "parse",
    "parse_datetime",
]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Application", "Organization"})
NOTE_TYPES = frozenset(
    {"Note", "Article", "Page", "Question", "Video", "Audio", "Image", "Event", "ChatMessage"}
)
ACTIVITY_TYPES = frozenset(
    {
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Like",
        "Dislike",
        "EmojiReact",
        "Announce",
        "Block",
        "Flag",
        "Move",
        "Add",
        "Remove",
    }
)
COLLECTION_TYPES = frozenset(
    {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}
)
_KNOWN_TYPES = ACTOR_TYPES | NOTE_TYPES | ACTIVITY_TYPES | COLLECTION_TYPES | {"Tombstone"}

MAX_DEPTH = 8
MAX_ITEMS = 5000
MAX_ADDRESSES = 10_000
MAX_TAGS = 500
MAX_NODES = 2000


class ParseError(Exception):
    """The document cannot be used; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """An actor's ``publicKey`` entry."""

    id: str | None
    owner: str | None
    pem: str


@dataclass(frozen=True, slots=True)
class Multikey:
    """A FEP-521a ``assertionMethod`` Multikey (decode with ``keys.decode_multikey``)."""

    id: str | None
    controller: str | None
    multibase: str


@dataclass(frozen=True, slots=True)
class PropertyValue:
    """A profile field (``attachment`` of type ``PropertyValue``)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A media attachment, icon or header image."""

    type: str
    url: str
    media_type: str | None = None
    name: str | None = None
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focal_point: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    href: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Hashtag:
    name: str
    href: str | None


@dataclass(frozen=True, slots=True)
class Emoji:
    name: str
    icon_url: str | None
    media_type: str | None = None
    id: str | None = None
    updated: datetime | None = None


Tag = Mention | Hashtag | Emoji


@dataclass(frozen=True, slots=True)
class Source:
    """``source``: the author's markup (``source`` may also be a bare string)."""

    content: str
    media_type: str | None


@dataclass(frozen=True, slots=True)
class PollOption:
    name: str
    votes: int | None


@dataclass(frozen=True, slots=True)
class Poll:
    """A Question's options (``oneOf``, or ``anyOf`` when ``multiple``)."""

    options: tuple[PollOption, ...]
    multiple: bool
    end_time: datetime | None
    closed: bool
    closed_at: datetime | None
    voters_count: int | None


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A reference: an id, an embedded parsed document, or both."""

    id: str | None
    value: ParsedDocument | None = None
    type: str | None = None

    @property
    def embedded(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    type: str
    preferred_username: str | None
    name: str | None
    summary: str | None
    url: str | None
    inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    featured_tags: str | None
    shared_inbox: str | None
    manually_approves_followers: bool
    discoverable: bool | None
    indexable: bool | None
    bot: bool
    icon: Attachment | None
    image: Attachment | None
    public_keys: tuple[PublicKeyInfo, ...]
    assertion_methods: tuple[Multikey, ...]
    fields: tuple[PropertyValue, ...]
    tags: tuple[Tag, ...]
    also_known_as: tuple[str, ...]
    moved_to: str | None
    published: datetime | None
    updated: datetime | None
    #: Mastodon's ``toot:suspended``: the actor's own server suspended it
    suspended: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def public_key(self) -> PublicKeyInfo | None:
        return self.public_keys[0] if self.public_keys else None

    def key(self, key_id: str) -> PublicKeyInfo | Multikey | None:
        """The ``publicKey`` or ``assertionMethod`` entry whose id is ``key_id``."""
        entries: tuple[PublicKeyInfo | Multikey, ...] = (*self.public_keys, *self.assertion_methods)
        for entry in entries:
            if entry.id == key_id:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class Note:
    """Any content object (Note, Article, Page, Question, Video, Audio, Event, ...)."""

    id: str | None
    type: str
    known: bool
    attributed_to: str | None
    content: str | None
    content_map: Mapping[str, str]
    language: str | None
    media_type: str | None
    source: Source | None
    summary: str | None
    name: str | None
    in_reply_to: str | None
    published: datetime | None
    updated: datetime | None
    url: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: str | None
    sensitive: bool
    tags: tuple[Tag, ...]
    attachments: tuple[Attachment, ...]
    conversation: str | None
    quote: str | None
    poll: Poll | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_public(self) -> bool:
        return is_public(self.to) or is_public(self.cc)


@dataclass(frozen=True, slots=True)
class Tombstone:
    id: str | None
    type: str
    former_type: str | None
    deleted: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity; ``known`` is False for types outside ``ACTIVITY_TYPES``."""

    id: str | None
    type: str
    known: bool
    actor: ObjectRef | None
    object: ObjectRef | None
    objects: tuple[ObjectRef, ...]
    target: ObjectRef | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    published: datetime | None
    content: str | None
    summary: str | None
    tags: tuple[Tag, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def actor_id(self) -> str | None:
        return self.actor.id if self.actor else None

    @property
    def object_id(self) -> str | None:
        return self.object.id if self.object else None


@dataclass(frozen=True, slots=True)
class Collection:
    """Collection / OrderedCollection and their pages."""

    id: str | None
    type: str
    ordered: bool
    is_page: bool
    total_items: int | None
    items: tuple[ObjectRef, ...]
    first: ObjectRef | None
    last: ObjectRef | None
    next: str | None
    prev: str | None
    part_of: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class OtherObject:
    """A document of a type this module has no shape for (Link, Hashtag, Album...)."""

    id: str | None
    type: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


ParsedDocument = Actor | Note | Tombstone | Activity | Collection | OtherObject


# --------------------------------------------------------------------------- helpers


def _get(doc: Mapping[str, Any], key: str) -> Any:
    """``doc[key]``, falling back to the compact IRIs ``as:key`` and ``toot:key``."""
    value = doc.get(key)
    if value is None:
        value = doc.get(f"as:{key}")
    if value is None:
        value = doc.get(f"toot:{key}")
    return value


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _str(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


def _lang_str(doc: Mapping[str, Any], key: str) -> str | None:
    """``name``/``summary``/``content`` or the first value of its ``…Map``."""
    value = _str(_get(doc, key))
    if value is not None:
        return value
    mapped = doc.get(f"{key}Map")
    if isinstance(mapped, dict):
        for item in mapped.values():
            if isinstance(item, str):
                return item
    return None


def _bool(value: Any) -> bool | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _int(value: Any) -> int | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def is_http_url(value: Any) -> bool:
    """True for an absolute ``http(s)://host...`` string."""
    if not isinstance(value, str) or len(value) > 8192:
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _id(value: Any) -> str | None:
    """The id of a reference: a string, an object's ``id`` (or a Link's ``href``), or the
    first usable entry of a list."""
    if isinstance(value, list):
        for item in value[:MAX_ITEMS]:
            found = _id_one(item)
            if found:
                return found
        return None
    return _id_one(value)


def _id_one(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dict):
        for key in ("id", "@id", "href"):
            candidate = value.get(key)
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    return None


def _type_of(doc: Mapping[str, Any]) -> str | None:
    raw = doc.get("type", doc.get("@type"))
    if isinstance(raw, str):
        return raw.strip() or None
    if isinstance(raw, list):
        names = [t.strip() for t in raw if isinstance(t, str) and t.strip()]
        for name in names:
            if name in _KNOWN_TYPES:
                return name
        return names[0] if names else None
    return None


def _media_type(doc: Mapping[str, Any]) -> str | None:
    return _str(doc.get("mediaType")) or _str(doc.get("mimeType"))


def _pick_url(value: Any) -> str | None:
    """``url`` as a string, a Link, or a list of Links: prefer the ``text/html`` one."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        href = value.get("href")
        if isinstance(href, str) and href.strip():
            return href.strip()
        inner = value.get("url")
        if isinstance(inner, str | dict) and inner is not value:
            return _pick_url(inner) if isinstance(inner, str) else _id_one(inner)
        return None
    if isinstance(value, list):
        first: str | None = None
        for item in value[:MAX_ITEMS]:
            if isinstance(item, dict):
                href = _id_one({"href": item.get("href")}) or _str(item.get("url"))
                if href and (_media_type(item) or "").startswith("text/html"):
                    return href
            else:
                href = _str(item)
            if href and first is None:
                first = href
        return first
    return None


_DATETIME_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 as servers send it (0-12 fraction digits, ``Z``/``±hh:mm``/none) -> aware
    UTC datetime; ``None`` for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _DATETIME_RE.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: timezone = UTC
    if zone and zone not in ("Z", "z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def normalize_addresses(value: Any) -> tuple[str, ...]:
    """``to``/``cc``/``bto``: ids in order, deduplicated; ``as:Public``/``Public`` become
    ``PUBLIC``. Accepts a string, an object, or a list of either."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    seen: set[str] = set()
    for item in items[:MAX_ADDRESSES]:
        found = _id_one(item)
        if found is None:
            continue
        if found in _PUBLIC_ALIASES:
            found = PUBLIC
        if found not in seen:
            seen.add(found)
            out.append(found)
    return tuple(out)


def is_public(addresses: Any) -> bool:
    """True if the addressing (a tuple from ``normalize_addresses`` or raw) includes Public."""
    if isinstance(addresses, tuple) and all(isinstance(a, str) for a in addresses):
        return any(a in _PUBLIC_ALIASES for a in addresses)
    return PUBLIC in normalize_addresses(addresses)


def _as_list(value: Any, limit: int = MAX_ITEMS) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value[:limit]
    return [value]


def _attachment(value: Any) -> Attachment | None:
    if isinstance(value, str):
        return Attachment(type="Link", url=value) if value.strip() else None
    if not isinstance(value, dict):
        return None
    url = _pick_url(value.get("url")) or _id_one({"href": value.get("href")})
    if url is None:
        return None
    focal = value.get("focalPoint")
    focal_point = None
    if isinstance(focal, list) and len(focal) == 2:
        x, y = _float(focal[0]), _float(focal[1])
        if x is not None and y is not None:
            focal_point = (x, y)
    url_obj = value.get("url")
    media_type = _media_type(value)
    if media_type is None and isinstance(url_obj, dict):
        media_type = _media_type(url_obj)
    return Attachment(
        type=_type_of(value) or "Document",
        url=url,
        media_type=media_type,
        name=_str(value.get("name")) or _str(value.get("summary")),
        blurhash=_str(value.get("blurhash")),
        width=_int(value.get("width")),
        height=_int(value.get("height")),
        focal_point=focal_point,
    )


def _image(value: Any) -> Attachment | None:
    for item in _as_list(value, 50):
        found = _attachment(item)
        if found is not None:
            return found
    return None


def _tags(value: Any) -> tuple[Tag, ...]:
    out: list[Tag] = []
    for item in _as_list(value, MAX_TAGS):
        if not isinstance(item, dict):
            continue
        kind = _type_of(item)
        name = _str(item.get("name"))
        href = _id_one({"href": item.get("href")})
        if kind == "Mention":
            out.append(Mention(href=href, name=name))
        elif kind == "Hashtag" and name:
            out.append(Hashtag(name=name, href=href))
        elif kind == "Emoji" and name:
            icon = _image(item.get("icon"))
            out.append(
                Emoji(
                    name=name,
                    icon_url=icon.url if icon else None,
                    media_type=icon.media_type if icon else None,
                    id=_id_one({"id": item.get("id")}),
                    updated=parse_datetime(item.get("updated")),
                )
            )
    return tuple(out)


def _public_keys(value: Any) -> tuple[PublicKeyInfo, ...]:
    out = []
    for item in _as_list(value, 20):
        if not isinstance(item, dict):
            continue
        pem = _str(item.get("publicKeyPem"))
        if pem:
            out.append(
                PublicKeyInfo(
                    id=_id_one({"id": item.get("id")}), owner=_id(item.get("owner")), pem=pem
                )
            )
    return tuple(out)


def _multikeys(value: Any) -> tuple[Multikey, ...]:
    out = []
    for item in _as_list(value, 20):
        if not isinstance(item, dict):
            continue
        multibase = _str(item.get("publicKeyMultibase"))
        if multibase:
            out.append(
                Multikey(
                    id=_id_one({"id": item.get("id")}),
                    controller=_id(item.get("controller")),
                    multibase=multibase,
                )
            )
    return tuple(out)


def _fields(value: Any) -> tuple[PropertyValue, ...]:
    out = []
    for item in _as_list(value, 100):
        if isinstance(item, dict) and _type_of(item) == "PropertyValue":
            name, text = _str(item.get("name")), _str(item.get("value"))
            if name is not None and text is not None:
                out.append(PropertyValue(name=name, value=text))
    return tuple(out)


def _attributed_to(value: Any) -> str | None:
    """First actor-typed entry of ``attributedTo``, else its first id."""
    if isinstance(value, list):
        for item in value[:MAX_ITEMS]:
            if isinstance(item, dict) and _type_of(item) in ACTOR_TYPES:
                found = _id_one(item)
                if found:
                    return found
    return _id(value)


# --------------------------------------------------------------------------- parsers


def parse(document: Any) -> ParsedDocument:
    """Parse one ActivityStreams document (already JSON-decoded).

    Raises ``ParseError`` with a reason, and nothing else, for any input.
    """
    try:
        return _Parser().parse(document, 0)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("document nested too deeply") from exc
    except Exception as exc:  # a parser bug must not become a 500 in the inbox
        raise ParseError(f"unparseable document ({type(exc).__name__})") from exc


class _TooLarge(ParseError):
    """The work budget of one ``parse`` call is spent (never swallowed by tolerance)."""


class _Parser:
    """One ``parse`` call; counts embedded documents to bound the work on hostile input."""

    def __init__(self) -> None:
        self.nodes = 0

    def parse(self, doc: Any, depth: int) -> ParsedDocument:
        if depth > MAX_DEPTH:
            raise ParseError("document nested too deeply")
        if not isinstance(doc, dict):
            raise ParseError("not a JSON object")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge("document embeds too many objects")
        kind = _type_of(doc)
        if kind is None:
            raise ParseError("missing 'type'")
        if kind in ACTOR_TYPES:
            return _parse_actor(doc, kind)
        if kind in NOTE_TYPES:
            return _parse_note(doc, kind, known=True)
        if kind in ACTIVITY_TYPES:
            return self.activity(doc, kind, depth, known=True)
        if kind in COLLECTION_TYPES:
            return self.collection(doc, kind, depth)
        if kind == "Tombstone":
            return Tombstone(
                id=_id_one({"id": doc.get("id")}),
                type=kind,
                former_type=_str(doc.get("formerType")),
                deleted=parse_datetime(doc.get("deleted")),
                raw=doc,
            )
        if "actor" in doc and "attributedTo" not in doc:
            return self.activity(doc, kind, depth, known=False)
        if any(k in doc for k in ("content", "contentMap", "attributedTo")):
            return _parse_note(doc, kind, known=False)
        return OtherObject(id=_id_one({"id": doc.get("id")}), type=kind, raw=doc)

    def ref(self, value: Any, depth: int) -> ObjectRef | None:
        """A reference from a string, an (embedded) object, or the first usable list entry."""
        if isinstance(value, list):
            for item in value[:MAX_ITEMS]:
                found = self.ref_one(item, depth)
                if found is not None:
                    return found
            return None
        return self.ref_one(value, depth)

    def ref_one(self, value: Any, depth: int) -> ObjectRef | None:
        if isinstance(value, str):
            value = value.strip()
            return ObjectRef(id=value) if value else None
        if not isinstance(value, dict):
            return None
        ident = _id_one({"id": value.get("id", value.get("@id"))})
        kind = _type_of(value)
        if kind in ("Link", "Mention") and ident is None:
            href = _id_one({"href": value.get("href")})
            return ObjectRef(id=href, type=kind) if href else None
        if kind is None:
            return ObjectRef(id=ident) if ident else None
        try:
            parsed = self.parse(value, depth + 1)
        except _TooLarge:
            raise
        except ParseError as exc:
            if ident is None:
                raise ParseError(f"invalid embedded {kind}: {exc.reason}") from exc
            return ObjectRef(id=ident, type=kind)
        return ObjectRef(id=ident, value=parsed, type=kind)

    def refs(self, value: Any, depth: int, *, skip_invalid: bool = False) -> tuple[ObjectRef, ...]:
        out = []
        for item in _as_list(value):
            try:
                found = self.ref_one(item, depth)
            except _TooLarge:
                raise
            except ParseError:
                if not skip_invalid:
                    raise
                continue  # one bad entry must not hide the rest of a page
            if found is not None:
                out.append(found)
        return tuple(out)

    def activity(self, doc: Mapping[str, Any], kind: str, depth: int, *, known: bool) -> Activity:
        actor = self.ref(doc.get("actor"), depth)
        if known:
            if actor is None or actor.id is None:
                raise ParseError(f"missing 'actor' on {kind}")
            if not is_http_url(actor.id):
                raise ParseError("actor id is not an http(s) URL")
        objects = self.refs(doc.get("object"), depth)
        if known and not objects:
            raise ParseError(f"{kind} without object")
        return Activity(
            id=_id_one({"id": doc.get("id")}),
            type=kind,
            known=known,
            actor=actor,
            object=objects[0] if objects else None,
            objects=objects,
            target=self.ref(doc.get("target"), depth),
            to=normalize_addresses(doc.get("to")),
            cc=normalize_addresses(doc.get("cc")),
            published=parse_datetime(doc.get("published")),
            content=_lang_str(doc, "content"),
            summary=_lang_str(doc, "summary"),
            tags=_tags(doc.get("tag")),
            raw=doc,
        )

    def collection(self, doc: Mapping[str, Any], kind: str, depth: int) -> Collection:
        ordered = kind.startswith("Ordered")
        raw_items = doc.get("orderedItems") if ordered else doc.get("items")
        if raw_items is None:
            raw_items = doc.get("items") if ordered else doc.get("orderedItems")
        return Collection(
            id=_id_one({"id": doc.get("id")}),
            type=kind,
            ordered=ordered,
            is_page=kind.endswith("Page"),
            total_items=_int(doc.get("totalItems")),
            items=self.refs(raw_items, depth, skip_invalid=True),
            first=self.ref(doc.get("first"), depth),
            last=self.ref(doc.get("last"), depth),
            next=_id(doc.get("next")),
            prev=_id(doc.get("prev")),
            part_of=_id(doc.get("partOf")),
            raw=doc,
        )


def _parse_actor(doc: Mapping[str, Any], kind: str) -> Actor:
    ident = _id_one({"id": doc.get("id")})
    if ident is None:
        raise ParseError(f"missing 'id' on {kind}")
    if not is_http_url(ident):
        raise ParseError("actor id is not an http(s) URL")
    endpoints = doc.get("endpoints")
    shared_inbox = None
    if isinstance(endpoints, dict):
        shared_inbox = _id(endpoints.get("sharedInbox"))
    if shared_inbox is None:
        shared_inbox = _id(doc.get("sharedInbox"))
    also_known_as = tuple(
        a for a in normalize_addresses(doc.get("alsoKnownAs")) if is_http_url(a) and a != ident
    )
    return Actor(
        id=ident,
        type=kind,
        preferred_username=_str(doc.get("preferredUsername")),
        name=_lang_str(doc, "name"),
        summary=_lang_str(doc, "summary"),
        url=_pick_url(doc.get("url")),
        inbox=_id(doc.get("inbox")),
        outbox=_id(doc.get("outbox")),
        followers=_id(doc.get("followers")),
        following=_id(doc.get("following")),
        featured=_id(_get(doc, "featured")),
        featured_tags=_id(_get(doc, "featuredTags")),
        shared_inbox=shared_inbox,
        manually_approves_followers=bool(_bool(_get(doc, "manuallyApprovesFollowers"))),
        discoverable=_bool(_get(doc, "discoverable")),
        indexable=_bool(_get(doc, "indexable")),
        bot=kind in ("Service", "Application"),
        icon=_image(doc.get("icon")),
        image=_image(doc.get("image")),
        public_keys=_public_keys(doc.get("publicKey")),
        assertion_methods=_multikeys(doc.get("assertionMethod")),
        fields=_fields(doc.get("attachment")),
        tags=_tags(doc.get("tag")),
        also_known_as=also_known_as,
        moved_to=_id(_get(doc, "movedTo")),
        published=parse_datetime(doc.get("published")),
        updated=parse_datetime(doc.get("updated")),
        suspended=_bool(_get(doc, "suspended")) is True,
        raw=doc,
    )


def _source(value: Any) -> Source | None:
    if isinstance(value, str):
        return Source(content=value, media_type=None)
    if isinstance(value, dict):
        content = _str(value.get("content"))
        if content is not None:
            return Source(content=content, media_type=_media_type(value))
    return None


def _poll(doc: Mapping[str, Any]) -> Poll | None:
    any_of, one_of = doc.get("anyOf"), doc.get("oneOf")
    choices = any_of if isinstance(any_of, list | dict) else one_of
    if not isinstance(choices, list | dict):
        return None
    options = []
    for item in _as_list(choices, 100):
        if not isinstance(item, dict):
            continue
        name = _lang_str(item, "name")
        if name is None:
            continue
        replies = item.get("replies")
        votes = _int(replies.get("totalItems")) if isinstance(replies, dict) else None
        options.append(PollOption(name=name, votes=votes))
    closed_raw = doc.get("closed")
    closed_at = parse_datetime(closed_raw)
    return Poll(
        options=tuple(options),
        multiple=isinstance(any_of, list | dict),
        end_time=parse_datetime(doc.get("endTime")),
        closed=closed_at is not None or _bool(closed_raw) is True,
        closed_at=closed_at,
        voters_count=_int(_get(doc, "votersCount")),
    )


def _parse_note(doc: Mapping[str, Any], kind: str, *, known: bool) -> Note:
    content = _str(_get(doc, "content"))
    content_map_raw = doc.get("contentMap")
    content_map: dict[str, str] = {}
    if isinstance(content_map_raw, dict):
        content_map = {
            str(k): v for k, v in list(content_map_raw.items())[:50] if isinstance(v, str)
        }
    language = None
    if content is None and content_map:
        language, content = next(iter(content_map.items()))
    elif content_map:
        language = next((k for k, v in content_map.items() if v == content), None)
        language = language or next(iter(content_map))
    quote = None
    for key in ("quote", "quoteUrl", "quoteUri", "quoteURL", "_misskey_quote"):
        quote = _id(doc.get(key))
        if quote:
            break
    in_reply_to = _id(doc.get("inReplyTo"))
    attributed = _attributed_to(doc.get("attributedTo")) or _id(doc.get("actor"))
    return Note(
        id=_id_one({"id": doc.get("id")}),
        type=kind,
        known=known,
        attributed_to=attributed,
        content=content,
        content_map=content_map,
        language=language,
        media_type=_media_type(doc),
        source=_source(doc.get("source")),
        summary=_lang_str(doc, "summary"),
        name=_lang_str(doc, "name"),
        in_reply_to=in_reply_to,
        published=parse_datetime(doc.get("published")),
        updated=parse_datetime(doc.get("updated")),
        url=_pick_url(doc.get("url")),
        to=normalize_addresses(doc.get("to")),
        cc=normalize_addresses(doc.get("cc")),
        audience=_id(doc.get("audience")),
        sensitive=bool(_bool(_get(doc, "sensitive"))),
        tags=_tags(doc.get("tag")),
        attachments=tuple(
            a for a in (_attachment(x) for x in _as_list(doc.get("attachment"), 100)) if a
        ),
        conversation=_id(doc.get("context")) or _id(doc.get("conversation")),
        quote=quote,
        poll=_poll(doc) if kind == "Question" or "oneOf" in doc or "anyOf" in doc else None,
        raw=doc,
    )

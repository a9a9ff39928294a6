import random
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest

from federation.activitystreams import (
    PUBLIC,
    Activity,
    Actor,
    Collection,
    Note,
    OtherObject,
    ParseError,
    is_public,
    normalize_addresses,
    parse,
    parse_datetime,
)

ACTOR = "https://remote.example/users/alice"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-10-07T18:06:52Z", datetime(2021, 10, 7, 18, 6, 52, tzinfo=UTC)),
        ("2021-10-07T18:06:52.5Z", datetime(2021, 10, 7, 18, 6, 52, 500000, tzinfo=UTC)),
        ("2022-05-22T18:44:57.00Z", datetime(2022, 5, 22, 18, 44, 57, tzinfo=UTC)),
        ("2022-05-22T18:44:57.123Z", datetime(2022, 5, 22, 18, 44, 57, 123000, tzinfo=UTC)),
        ("2021-10-07T18:06:52.555500Z", datetime(2021, 10, 7, 18, 6, 52, 555500, tzinfo=UTC)),
        (
            "2017-12-19T16:56:29.7576707+00:00",
            datetime(2017, 12, 19, 16, 56, 29, 757670, tzinfo=UTC),
        ),
        ("2021-10-20T12:40:37+02:00", datetime(2021, 10, 20, 10, 40, 37, tzinfo=UTC)),
        ("2021-10-20T12:40:37-0130", datetime(2021, 10, 20, 14, 10, 37, tzinfo=UTC)),
        ("2021-10-20T12:40:37", datetime(2021, 10, 20, 12, 40, 37, tzinfo=UTC)),
        ("2021-10-20", datetime(2021, 10, 20, tzinfo=UTC)),
        ("2021-13-20T12:40:37Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1234567890, None),
        ("2021-10-20T12:40:37+25:00", None),
    ],
)
def test_parse_datetime(value, expected):
    parsed = parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


def test_parse_datetime_keeps_awareness():
    assert (
        parse_datetime("2021-10-20T12:40:37+02:00").astimezone(timezone(timedelta(hours=2))).hour
        == 12
    )


def test_addresses_normalised_and_public_aliases():
    assert normalize_addresses("as:Public") == (PUBLIC,)
    assert normalize_addresses(["Public", PUBLIC, {"id": "https://x/followers"}, 5, None]) == (
        PUBLIC,
        "https://x/followers",
    )
    assert normalize_addresses(None) == ()
    assert is_public(("as:Public",))
    assert is_public(["https://x", "Public"])
    assert not is_public(("https://x",))


def test_minimal_create_note():
    activity = parse(
        {
            "type": "Create",
            "actor": ACTOR,
            "object": {
                "type": "Note",
                "id": f"{ACTOR}/1",
                "contentMap": {"fr": "<p>salut</p>"},
                "to": "as:Public",
                "attachment": {
                    "type": "Document",
                    "url": "https://x/a.png",
                    "focalPoint": [0.5, -1],
                },
                "url": {"type": "Link", "href": "https://x/@alice/1"},
            },
        }
    )
    assert isinstance(activity, Activity) and activity.known
    note = activity.object.value
    assert isinstance(note, Note)
    assert (note.content, note.language) == ("<p>salut</p>", "fr")
    assert note.is_public
    assert note.attachments[0].focal_point == (0.5, -1.0)
    assert note.url == "https://x/@alice/1"
    assert note.attributed_to is None


def test_type_array_picks_known_type():
    actor = parse({"type": ["schema:Thing", "Person"], "id": ACTOR})
    assert isinstance(actor, Actor) and actor.type == "Person"


def test_json_ld_value_objects():
    actor = parse(
        {
            "type": "Person",
            "id": ACTOR,
            "manuallyApprovesFollowers": {"@value": "True", "type": "xsd:boolean"},
            "name": {"@value": "Alice"},
        }
    )
    assert actor.manually_approves_followers is True
    assert actor.name == "Alice"


def test_public_key_list_and_endpoints():
    actor = parse(
        {
            "type": "Person",
            "id": ACTOR,
            "publicKey": [
                {"id": f"{ACTOR}#main-key", "owner": ACTOR, "publicKeyPem": "PEM1"},
                {"id": f"{ACTOR}#other", "owner": ACTOR},
                "junk",
            ],
            "endpoints": {"sharedInbox": "https://remote.example/inbox"},
            "alsoKnownAs": ["https://old.example/users/alice", "acct:alice@old", ACTOR],
        }
    )
    assert [k.id for k in actor.public_keys] == [f"{ACTOR}#main-key"]
    assert actor.key(f"{ACTOR}#main-key").pem == "PEM1"
    assert actor.shared_inbox == "https://remote.example/inbox"
    assert actor.also_known_as == ("https://old.example/users/alice",)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "not a JSON object"),
        ("https://x", "not a JSON object"),
        (None, "not a JSON object"),
        ({}, "missing 'type'"),
        ({"type": []}, "missing 'type'"),
        ({"type": 5}, "missing 'type'"),
        ({"type": "Person"}, "missing 'id' on Person"),
        ({"type": "Group", "id": "acct:alice@x"}, "actor id is not an http(s) URL"),
        ({"type": "Create", "actor": ACTOR}, "Create without object"),
        ({"type": "Follow", "object": ACTOR}, "missing 'actor' on Follow"),
        (
            {"type": "Like", "actor": "mailto:x@y", "object": "https://x/1"},
            "actor id is not an http(s) URL",
        ),
        (
            {"type": "Announce", "actor": {"type": "Person"}, "object": "https://x/1"},
            "invalid embedded Person: missing 'id' on Person",
        ),
    ],
)
def test_rejections_name_the_reason(document, reason):
    with pytest.raises(ParseError) as err:
        parse(document)
    assert err.value.reason == reason


def test_invalid_embedded_object_with_id_degrades_to_a_reference():
    activity = parse(
        {"type": "Announce", "actor": ACTOR, "object": {"type": "Person", "id": "acct:bob@x"}}
    )
    assert activity.object.id == "acct:bob@x" and not activity.object.embedded


def test_unknown_types_are_preserved():
    unknown_activity = parse({"type": "Listen", "actor": ACTOR, "object": "https://x/track"})
    assert isinstance(unknown_activity, Activity) and not unknown_activity.known
    assert unknown_activity.type == "Listen"
    other = parse({"type": "Hashtag", "name": "#x"})
    assert isinstance(other, OtherObject) and other.type == "Hashtag"


def test_collection_first_page_embedded():
    collection = parse(
        {
            "type": "OrderedCollection",
            "id": "https://x/outbox",
            "totalItems": "3",
            "first": {
                "type": "OrderedCollectionPage",
                "orderedItems": ["a", "b"],
                "next": "https://x/outbox?p=2",
            },
        }
    )
    assert isinstance(collection, Collection) and collection.total_items == 3
    page = collection.first.value
    assert isinstance(page, Collection) and [i.id for i in page.items] == ["a", "b"]
    assert page.next == "https://x/outbox?p=2"


def test_deep_nesting_is_refused():
    document: dict = {"type": "Note", "id": "https://x/0"}
    for i in range(50):
        document = {"type": "Announce", "actor": ACTOR, "object": document, "id": f"https://x/{i}"}
    parsed = parse(document)  # too deep inner objects degrade to references (they have ids)
    assert isinstance(parsed, Activity)
    document = {"type": "Note"}
    for _ in range(50):
        document = {"type": "Announce", "actor": ACTOR, "object": document}
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(document)


def test_object_bomb_is_bounded():
    inner: dict = {"type": "Collection", "items": []}
    for _ in range(6):
        inner = {"type": "OrderedCollection", "orderedItems": [inner] * 100}
    with pytest.raises(ParseError, match="too many objects"):
        parse(inner)


def test_huge_strings():
    big = "x" * 2_000_000
    note = parse({"type": "Note", "id": big, "content": big, "published": big, "to": [big]})
    assert note.content == big and note.published is None


# --- fuzz: random JSON values never crash the parser ---

KEYS = [
    "type",
    "id",
    "actor",
    "object",
    "target",
    "to",
    "cc",
    "content",
    "contentMap",
    "name",
    "summary",
    "url",
    "attributedTo",
    "tag",
    "attachment",
    "icon",
    "image",
    "publicKey",
    "endpoints",
    "published",
    "items",
    "orderedItems",
    "first",
    "next",
    "totalItems",
    "oneOf",
    "anyOf",
    "source",
    "sensitive",
    "inReplyTo",
    "alsoKnownAs",
    "assertionMethod",
    "href",
    "mediaType",
    "@context",
    "@value",
    "manuallyApprovesFollowers",
    "replies",
    "closed",
]
TYPES = [
    "Person",
    "Note",
    "Create",
    "Undo",
    "Flag",
    "Question",
    "OrderedCollection",
    "CollectionPage",
    "Tombstone",
    "Emoji",
    "Mention",
    "Link",
    "Image",
    "PropertyValue",
    "Multikey",
    "Weird",
    "Service",
    "Announce",
]


def random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice(
            [
                None,
                True,
                False,
                rng.randint(-(2**70), 2**70),
                rng.random() * 1e308,
                float("nan"),
                "",
                ACTOR,
                "as:Public",
                "2021-10-07T18:06:52Z",
                "".join(
                    rng.choice(string.printable + "é²\u0000\ud800")
                    for _ in range(rng.randint(0, 30))
                ),
                rng.choice(TYPES),
            ]
        )
    if roll < 0.55:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    document = {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    if rng.random() < 0.7:
        document["type"] = rng.choice(TYPES) if rng.random() < 0.9 else random_value(rng, depth + 1)
    if rng.random() < 0.5:
        document["id"] = rng.choice([ACTOR, "https://x/1", "acct:a@b", "", 5])
    return document


def test_fuzz_never_crashes():
    rng = random.Random(20260301)
    outcomes = {"value": 0, "error": 0}
    for _ in range(3000):
        document = random_value(rng)
        try:
            parse(document)
            outcomes["value"] += 1
        except ParseError as exc:
            assert exc.reason
            assert not exc.reason.startswith("unparseable document"), exc.reason
            outcomes["error"] += 1
    assert outcomes["value"] > 100 and outcomes["error"] > 100


def mutate(rng: random.Random, value, budget: list[int]):
    """Copy ``value`` replacing some nested values with random ones."""
    if budget[0] > 0 and rng.random() < 0.08:
        budget[0] -= 1
        return random_value(rng, 3)
    if isinstance(value, dict):
        return {k: mutate(rng, v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [mutate(rng, v, budget) for v in value]
    return value


def test_fuzz_mutated_fixtures_never_crash():
    import json
    from pathlib import Path

    rng = random.Random(7)
    root = Path(__file__).resolve().parent.parent / "fixtures" / "activitypub"
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.json"))]
    for document in documents:
        for _ in range(10):
            try:
                parse(mutate(rng, document, [5]))
            except ParseError as exc:
                assert exc.reason and not exc.reason.startswith("unparseable document"), exc.reason

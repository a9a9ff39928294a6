import pytest

from federation.nodeinfo import (
    NODEINFO_20,
    NODEINFO_21,
    NodeInfoError,
    Usage,
    build_discovery,
    build_nodeinfo,
    parse_discovery,
    parse_nodeinfo,
    pick_nodeinfo_url,
)

USAGE = Usage(users_total=10, active_month=5, active_halfyear=7, local_posts=99)


def test_discovery_document():
    doc = build_discovery("https://campus.example/")
    assert doc["links"] == [
        {"rel": NODEINFO_20, "href": "https://campus.example/nodeinfo/2.0"},
        {"rel": NODEINFO_21, "href": "https://campus.example/nodeinfo/2.1"},
    ]
    assert pick_nodeinfo_url(doc) == "https://campus.example/nodeinfo/2.1"
    assert [link.version for link in parse_discovery(doc)] == [(2, 0), (2, 1)]


def test_build_21_and_20():
    doc = build_nodeinfo(
        "2.1",
        software_name="fedianon",
        software_version="0.1.0",
        repository="https://git.example/fedianon",
        homepage="https://fedianon.example",
        usage=USAGE,
        open_registrations=True,
        metadata={"nodeName": "Campus"},
    )
    assert doc["software"] == {
        "name": "fedianon",
        "version": "0.1.0",
        "repository": "https://git.example/fedianon",
        "homepage": "https://fedianon.example",
    }
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"] == {
        "users": {"total": 10, "activeMonth": 5, "activeHalfyear": 7},
        "localPosts": 99,
    }
    assert doc["openRegistrations"] is True and doc["metadata"] == {"nodeName": "Campus"}
    parsed = parse_nodeinfo(doc)
    assert (parsed.software_name, parsed.software_version, parsed.users_total) == (
        "fedianon",
        "0.1.0",
        10,
    )
    old = build_nodeinfo(
        "2.0",
        software_name="fedianon",
        software_version="0.1.0",
        usage=USAGE,
        open_registrations=False,
        repository="https://x",
    )
    assert old["version"] == "2.0" and "repository" not in old["software"]


def test_build_rejects_bad_name_and_version():
    with pytest.raises(NodeInfoError):
        build_nodeinfo(
            "2.1",
            software_name="Fedi Anon",
            software_version="1",
            usage=USAGE,
            open_registrations=False,
        )
    with pytest.raises(NodeInfoError):
        build_nodeinfo(
            "3.0",
            software_name="x",
            software_version="1",
            usage=USAGE,  # type: ignore[arg-type]
            open_registrations=False,
        )


def test_parse_tolerates_odd_documents():
    parsed = parse_nodeinfo(
        {
            "software": {"name": " Pleroma ", "version": 2},
            "protocols": {"inbound": ["activitypub", 5], "outbound": "x"},
            "usage": "none",
            "openRegistrations": "yes",
        }
    )
    assert parsed.software_name == "pleroma" and parsed.software_version is None
    assert parsed.protocols == ("activitypub",)
    assert parsed.users_total is None and parsed.open_registrations is None
    for bad in ([], {}, {"software": "x"}, {"software": {"name": ""}}):
        with pytest.raises(NodeInfoError):
            parse_nodeinfo(bad)


def test_pick_prefers_highest_version_and_ignores_unknown():
    doc = {
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/1.0", "href": "https://x/1.0"},
            {"rel": "https://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://x/2.0"},
            {"rel": "https://example/other", "href": "https://x/o"},
            "junk",
        ]
    }
    assert pick_nodeinfo_url(doc) == "https://x/2.0"
    assert pick_nodeinfo_url({"links": []}) is None
    with pytest.raises(NodeInfoError):
        pick_nodeinfo_url("nope")

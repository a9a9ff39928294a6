"""Diffing a fresh copy of a list against the entries in force: caps, excludes, retractions."""

import pytest

from fedianon.blocklists import Capped, Change, Entry, ListDiff, diff


def by_domain(*entries: Entry) -> dict[str, Entry]:
    return {entry.domain: entry for entry in entries}


def test_added_changed_removed_unchanged() -> None:
    current = by_domain(
        Entry("same.example", "silence"),
        Entry("harsher.example", "silence"),
        Entry("gone.example", "suspend"),
        Entry("commented.example", "suspend", public_comment="old"),
    )
    incoming = [
        Entry("same.example", "silence"),
        Entry("harsher.example", "suspend"),
        Entry("new.example", "noop", reject_media=True),
        Entry("commented.example", "suspend", public_comment="new"),
    ]
    result = diff(current, incoming)
    assert result == ListDiff(
        added=[Entry("new.example", "noop", reject_media=True)],
        changed=[
            Change(Entry("harsher.example", "silence"), Entry("harsher.example", "suspend")),
            Change(current["commented.example"], incoming[3]),
        ],
        removed=[Entry("gone.example", "suspend")],
        unchanged=[Entry("same.example", "silence")],
    )
    assert result.changed[0].old.severity == "silence"
    assert result.counts() == {
        "added": 1,
        "changed": 2,
        "removed": 1,
        "unchanged": 1,
        "excluded": 0,
        "capped": 0,
    }


def test_local_notes_do_not_make_an_entry_changed() -> None:
    current = by_domain(Entry("x.example", "suspend", private_comment="added by the sync job"))
    result = diff(current, [Entry("x.example", "suspend", wildcard=True)])
    assert result.unchanged == [current["x.example"]]
    assert result.changed == []


@pytest.mark.parametrize(
    "field", [{"reject_media": True}, {"reject_reports": True}, {"obfuscate": True}]
)
def test_flags_make_an_entry_changed(field: dict[str, bool]) -> None:
    result = diff(by_domain(Entry("x.example")), [Entry("x.example", **field)])
    assert len(result.changed) == 1


def test_max_severity_caps_and_keeps_reject_flags() -> None:
    incoming = [
        Entry("suspended.example", "suspend", reject_media=True, reject_reports=True),
        Entry("silenced.example", "silence"),
        Entry("noop.example", "noop", reject_media=True),
    ]
    result = diff({}, incoming, max_severity="silence")
    capped = Entry("suspended.example", "silence", reject_media=True, reject_reports=True)
    assert result.capped == [Capped(incoming[0], capped)]
    assert result.added == [capped, incoming[1], incoming[2]]

    to_noop = diff({}, incoming, max_severity="noop")
    assert [item.applied.severity for item in to_noop.capped] == ["noop", "noop"]
    assert [entry.severity for entry in to_noop.added] == ["noop", "noop", "noop"]
    assert to_noop.added[0].reject_media and to_noop.added[0].reject_reports


def test_capped_entry_is_what_is_compared() -> None:
    # Already silenced here, the list says suspend, the cap says silence: nothing to do.
    current = by_domain(Entry("x.example", "silence"))
    result = diff(current, [Entry("x.example", "suspend")], max_severity="silence")
    assert result.unchanged == [current["x.example"]]
    assert result.changed == []
    assert len(result.capped) == 1


def test_excludes_match_by_suffix_and_do_not_retract() -> None:
    current = by_domain(Entry("friend.example"), Entry("old.partner.example"))
    incoming = [
        Entry("friend.example"),
        Entry("sub.partner.example"),
        Entry("partner.example.org"),  # not a subdomain of partner.example
        Entry("bad.example"),
    ]
    result = diff(current, incoming, excludes=["friend.example", "partner.example"])
    assert result.excluded == [Entry("friend.example"), Entry("sub.partner.example")]
    assert result.added == [Entry("partner.example.org"), Entry("bad.example")]
    # friend.example is still listed (only excluded), old.partner.example is not listed at all.
    assert result.removed == [Entry("old.partner.example")]
    assert result.unchanged == []


def test_excluded_entries_are_not_capped() -> None:
    result = diff({}, [Entry("x.example", "suspend")], max_severity="noop", excludes={"x.example"})
    assert result.excluded == [Entry("x.example", "suspend")]
    assert result.capped == []


def test_duplicates_in_incoming_are_merged_strictest_first() -> None:
    result = diff(
        {},
        [Entry("x.example", "silence", reject_media=True), Entry("x.example", "suspend")],
    )
    assert result.added == [Entry("x.example", "suspend", reject_media=True)]


def test_empty_incoming_removes_everything() -> None:
    current = by_domain(Entry("a.example"), Entry("b.example"))
    assert diff(current, []).removed == list(current.values())


def test_unknown_max_severity() -> None:
    with pytest.raises(ValueError, match="unknown severity"):
        diff({}, [], max_severity="nuke")

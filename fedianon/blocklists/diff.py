"""What a fresh copy of a list changes: the plan a subscription run (or an import) applies.

The diff is computed before anything touches the database, so the same result can be shown to
an admin for review, turned into drafts, or applied, and so a run over a 100k-entry list costs
a few dict lookups per entry. Two local policies shape it:

- `excludes`: domains (and their subdomains) this instance never takes from a list. An
  excluded entry is reported and otherwise ignored; it is not treated as removed, because an
  exclude stops a list from adding a rule, it does not retract one (as GoToSocial).
- `max_severity`: the strongest severity this subscription may apply (a trusted peer may
  silence, but only a reviewed draft can suspend). A stronger entry is lowered to the cap,
  keeping its reject flags, and reported in `capped`; the capped entry is what is compared.

Entries compare on what they enforce and publish: severity, reject flags, public comment and
obfuscate. The private comment and the wildcard marker are local notes and never make an entry
"changed". `unchanged` holds the entries as they are in force, the others the list's (capped)
entries. All domains are expected normalized, excludes included (the caller adds its own host
to them, as GoToSocial does).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from fedianon.blocklists.domains import _longest_match
from fedianon.blocklists.formats import SEVERITY_RANK, Entry, strictest


class Change(NamedTuple):
    old: Entry
    new: Entry


class Capped(NamedTuple):
    """`original` as the list states it; `applied` lowered to the subscription's max_severity."""

    original: Entry
    applied: Entry


@dataclass(slots=True)
class ListDiff:
    added: list[Entry] = field(default_factory=list)  # new domains (after capping)
    changed: list[Change] = field(default_factory=list)  # same domain, different policy
    removed: list[Entry] = field(default_factory=list)  # in current, no longer listed
    unchanged: list[Entry] = field(default_factory=list)  # the current entry, still listed as is
    excluded: list[Entry] = field(default_factory=list)  # listed, but matched by an exclude
    capped: list[Capped] = field(default_factory=list)  # lowered by max_severity

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "excluded": len(self.excluded),
            "capped": len(self.capped),
        }


def _same_policy(a: Entry, b: Entry) -> bool:
    """Equal in what is enforced and published (severity, flags, public comment, obfuscate)."""
    return a[1:5] == b[1:5] and a.obfuscate == b.obfuscate


def diff(
    current: Mapping[str, Entry],
    incoming: list[Entry],
    *,
    max_severity: str = "suspend",
    excludes: Collection[str] = (),
) -> ListDiff:
    """Compare the entries in force (`current`, keyed by domain) with a list's new `incoming`.

    Domains are expected normalized (as the parsers return them); excludes match by suffix.
    A domain listed twice in `incoming` is merged to the strictest entry first.
    """
    if max_severity not in SEVERITY_RANK:
        raise ValueError(f"unknown severity {max_severity!r}")
    cap = SEVERITY_RANK[max_severity]
    exclude_set = frozenset(excludes)
    result = ListDiff()

    listed: dict[str, Entry] = {}
    for entry in incoming:
        earlier = listed.get(entry.domain)
        listed[entry.domain] = entry if earlier is None else strictest(earlier, entry)

    for domain, entry in listed.items():
        if exclude_set and _longest_match(domain, exclude_set) is not None:
            result.excluded.append(entry)
            continue
        if SEVERITY_RANK[entry.severity] > cap:
            applied = Entry(domain, max_severity, *entry[2:])  # type: ignore[arg-type]
            result.capped.append(Capped(entry, applied))
            entry = applied
        old = current.get(domain)
        if old is None:
            result.added.append(entry)
        elif _same_policy(old, entry):
            result.unchanged.append(old)
        else:
            result.changed.append(Change(old, entry))

    for domain, old in current.items():
        if domain not in listed:
            result.removed.append(old)
    return result

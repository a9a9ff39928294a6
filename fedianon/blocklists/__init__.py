"""Blocklist exchange without a database or a network: names, formats and diffs.

Services fetch and store; this package only decides what bytes mean and what would change, so
every rule about other servers' list formats is testable with plain values.

domains (fedianon.blocklists.domains)
    normalize_domain(raw) -> NormalizedDomain(domain, wildcard)   raises DomainError(reason)
    obfuscate(domain) -> str           Mastodon's masked public form
    domain_digest(domain) -> str       SHA-256 hex, Mastodon's `digest`
    matches(domain, blocked) -> bool   suffix match: a block of a.b covers x.a.b
    longest_match(domain, domains) -> str | None
    rule_for(domain, rules) -> rule | None   the longest matching key wins
    domain_suffixes(domain) -> list[str]

formats (fedianon.blocklists.formats)
    Entry(domain, severity, reject_media, reject_reports, public_comment, private_comment,
          obfuscate, wildcard)   a NamedTuple; severity is "noop" | "silence" | "suspend"
    Problem(line_no, text_excerpt, reason);  ParsedList(entries, problems, format)
    sniff(data, declared_content_type) -> "csv" | "json" | "text"
    parse(data, declared_content_type, *, max_entries) -> ParsedList
    parse_csv / parse_json / parse_text(data, *, max_entries) -> ParsedList
    to_mastodon_csv(entries) -> str;  to_json(entries, *, with_comment) -> str
    strictest(a, b) -> Entry;  parse_severity(text);  parse_bool(value)
    ListFormatError: the body is not a blocklist (HTML, binary, too many entries, ...)

diff (fedianon.blocklists.diff)
    diff(current, incoming, *, max_severity, excludes) -> ListDiff(added, changed, removed,
         unchanged, excluded, capped);  Change(old, new);  Capped(original, applied)
"""

from fedianon.blocklists.diff import Capped, Change, ListDiff, diff
from fedianon.blocklists.domains import (
    DomainError,
    NormalizedDomain,
    domain_digest,
    domain_suffixes,
    longest_match,
    matches,
    normalize_domain,
    obfuscate,
    rule_for,
)
from fedianon.blocklists.formats import (
    DEFAULT_MAX_ENTRIES,
    MASTODON_CSV_HEADER,
    SEVERITIES,
    SEVERITY_RANK,
    Entry,
    Format,
    ListFormatError,
    ParsedList,
    Problem,
    Severity,
    parse,
    parse_bool,
    parse_csv,
    parse_json,
    parse_severity,
    parse_text,
    sniff,
    strictest,
    to_json,
    to_mastodon_csv,
)

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "MASTODON_CSV_HEADER",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Capped",
    "Change",
    "DomainError",
    "Entry",
    "Format",
    "ListDiff",
    "ListFormatError",
    "NormalizedDomain",
    "ParsedList",
    "Problem",
    "Severity",
    "diff",
    "domain_digest",
    "domain_suffixes",
    "longest_match",
    "matches",
    "normalize_domain",
    "obfuscate",
    "parse",
    "parse_bool",
    "parse_csv",
    "parse_json",
    "parse_severity",
    "parse_text",
    "rule_for",
    "sniff",
    "strictest",
    "to_json",
    "to_mastodon_csv",
]

"""Reading and writing blocklists in the formats other servers and tools publish.

A subscription fetches bytes from a URL someone else controls, so parsing has to survive
whatever comes back: a Mastodon CSV export, a FediBlockHole or GoToSocial CSV with its own
columns, Mastodon's or GoToSocial's JSON, a plain list of domains, or a login page served
instead of the list. The rule here is that one bad row never costs the rest of the list: a row
that cannot be used becomes a `Problem` (line, excerpt, reason) and parsing goes on. Only a body
that is not a list at all (HTML, binary, not UTF-8, too many entries) raises `ListFormatError`.

Where the formats disagree, the choices are:

- CSV columns are read by header name, `#` optional, in any order; `comment` is an alias of
  `public_comment`. A missing or empty severity means `suspend` (Mastodon's import default).
- Severity synonyms from other tools map onto Mastodon's three (`suspended`, `block`, `drop`
  -> suspend; `silenced`, `limit`, `filter` -> silence; `none` -> noop); anything else skips
  the row with a Problem, as does a boolean that is not true/false/1/0/yes/no/t/f/y/n.
- An obfuscated domain (with `*`) cannot be applied and is skipped with a Problem.
- The same domain twice keeps the strictest entry (suspend > silence > noop; reject flags and
  obfuscate ORed) and notes a Problem "duplicate".
- The body decides the format, not the declared content type (servers label lists
  `text/plain` or `application/octet-stream` as often as not); the declared type still
  supplies the charset and confirms HTML. JSON starts with `[`; CSV has a `domain` header or
  commas; anything else is one domain per line.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

from fedianon.blocklists.domains import (
    DomainError,
    _normalize,
    domain_digest,
    obfuscate,
)
from fedianon.errors import ValidationFailed

Severity = Literal["noop", "silence", "suspend"]
Format = Literal["csv", "json", "text"]

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[str, int] = {"noop": 0, "silence": 1, "suspend": 2}
DEFAULT_MAX_ENTRIES = 200_000
MAX_PROBLEMS = 1_000  # problems kept per list; the rest are counted in one closing Problem
EXCERPT_LENGTH = 120

MASTODON_CSV_HEADER = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)

_SEVERITY_NAMES: dict[str, Severity] = {
    "": "suspend",  # Mastodon's import: `row.fetch('#severity', :suspend)`
    "suspend": "suspend",
    "suspended": "suspend",
    "suspension": "suspend",
    "block": "suspend",
    "blocked": "suspend",
    "defederate": "suspend",
    "defederated": "suspend",
    "drop": "suspend",  # FIRES: drop ~ suspend
    "reject": "suspend",  # Pleroma/Akkoma MRF simple policy
    "silence": "silence",
    "silenced": "silence",
    "limit": "silence",
    "limited": "silence",
    "filter": "silence",  # FIRES: filter ~ silence
    "noop": "noop",
    "no-op": "noop",
    "none": "noop",
}
_BOOLEANS: dict[str, bool] = {
    "": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "t": True,
    "f": False,
    "y": True,
    "n": False,
}
_HTML_CONTENT_TYPES = {"text/html", "application/xhtml+xml"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<title", "<meta", "<script")
_COLUMN_ALIASES = {"comment": "public_comment"}
_MAX_RECORD_LINES = 50  # a quoted CSV field may span lines, but not the rest of the file


class ListFormatError(ValidationFailed):
    """The body is not a blocklist at all (or is too big to be one); nothing was parsed."""


class Entry(NamedTuple):
    """One rule as a list states it. `domain` is lowercase punycode; comments are "" when absent.

    A NamedTuple rather than a frozen dataclass: a fetch builds one per listed domain (100k and
    more), and a tuple is several times cheaper to build and drops out of the GC's tracking.
    """

    domain: str
    severity: Severity = "suspend"
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False
    wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that was skipped or merged. `line_no` is 1-based (for JSON: the item's position)."""

    line_no: int
    text_excerpt: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedList:
    entries: list[Entry]
    problems: list[Problem]
    format: Format = "text"


def strictest(a: Entry, b: Entry) -> Entry:
    """Merge two entries for one domain: the stricter severity, reject flags and obfuscate ORed.

    Comments come from the stricter entry (the earlier one on a tie), falling back to the other's.
    """
    first, second = (a, b) if SEVERITY_RANK[a.severity] >= SEVERITY_RANK[b.severity] else (b, a)
    return first._replace(
        reject_media=a.reject_media or b.reject_media,
        reject_reports=a.reject_reports or b.reject_reports,
        obfuscate=a.obfuscate or b.obfuscate,
        wildcard=a.wildcard or b.wildcard,
        public_comment=first.public_comment or second.public_comment,
        private_comment=first.private_comment or second.private_comment,
    )


def parse_severity(text: str) -> Severity | None:
    """Mastodon's severity for a list's spelling of it, or None when it means nothing known."""
    return _SEVERITY_NAMES.get(text.strip().lower())


def parse_bool(value: object) -> bool | None:
    """A boolean as CSV and JSON lists write it; None when it is not one."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: True}.get(value)
    if isinstance(value, str):
        return _BOOLEANS.get(value.strip().lower())
    return None


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


class _Collector:
    """Accumulates entries, merges duplicates, counts rows against the limit, caps problems."""

    __slots__ = ("_index", "_lines", "_max_entries", "_rows", "_unlisted", "entries", "problems")

    def __init__(self, max_entries: int) -> None:
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []
        self._index: dict[str, int] = {}  # domain -> position in entries
        self._lines: list[int] = []  # the line each entry was first read from
        self._max_entries = max_entries
        self._rows = 0
        self._unlisted = 0

    def row(self) -> None:
        self._rows += 1
        if self._rows > self._max_entries:
            raise ListFormatError(f"the list has more than {self._max_entries} entries")

    def problem(self, line_no: int, text: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line_no, _excerpt(text), reason))
        else:
            self._unlisted += 1

    def add(self, entry: Entry, line_no: int) -> str | None:
        """Keep the entry; for a domain seen before, merge and return the Problem's reason."""
        position = self._index.get(entry.domain)
        if position is None:
            self._index[entry.domain] = len(self.entries)
            self.entries.append(entry)
            self._lines.append(line_no)
            return None
        self.entries[position] = strictest(self.entries[position], entry)
        return f"duplicate of {entry.domain} (line {self._lines[position]}): kept the strictest"

    def result(self, fmt: Format) -> ParsedList:
        if self._unlisted:
            self.problems.append(Problem(0, "", f"{self._unlisted} more problems not listed"))
        return ParsedList(self.entries, self.problems, fmt)


# Decoding and sniffing ---------------------------------------------------------------------


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _decode(data: bytes | str, declared_content_type: str | None = None) -> str:
    """Bytes to text, refusing what is not a list: binary, undecodable, HTML or other markup."""
    media, charset = _media_type(declared_content_type)
    if isinstance(data, str):
        text, encoding = data.removeprefix("\ufeff"), "utf-8"
    else:
        if data.startswith(codecs.BOM_UTF8):
            data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            try:
                encoding = codecs.lookup(charset or "utf-8").name
            except LookupError:
                encoding = "utf-8"
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise ListFormatError(
                f"the body is not {encoding} text (binary data?), not a blocklist"
            ) from None
    head = text[:4096]
    if (
        "\x00" in text
        or len(_CONTROL_RE.findall(head)) > max(2, len(head) // 100)
        # Bytes that merely start like a UTF-16 byte order mark decode to anything at all; a
        # real list is mostly ASCII (domains, booleans, commas) whatever its comments hold.
        or (encoding.startswith("utf-16") and sum(char.isascii() for char in head) < len(head) // 2)
    ):
        raise ListFormatError("the body is binary data, not a blocklist")
    start = head.lstrip()[:1]
    lowered = head.lower()
    if start == "<" or (media in _HTML_CONTENT_TYPES and "<html" in lowered):
        if media in _HTML_CONTENT_TYPES or any(marker in lowered for marker in _HTML_MARKERS):
            raise ListFormatError("the URL served HTML, not a blocklist")
        raise ListFormatError("the URL served XML or other markup, not a blocklist")
    return text


def _first_line(text: str, *, skip_comments: bool) -> str | None:
    for line in text[:65536].split("\n"):
        stripped = line.strip()
        if stripped and not (skip_comments and stripped.startswith("#")):
            return stripped
    return None


def _header_names(line: str) -> list[str] | None:
    """The column names if `line` is a blocklist CSV header (it has a `domain` column)."""
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    names = [field.strip().lstrip("#").strip().lower() for field in fields]
    return names if "domain" in names else None


def _sniff_text(text: str) -> Format:
    if text[:4096].lstrip()[:1] in ("[", "{"):
        return "json"
    first = _first_line(text, skip_comments=False)
    if first is not None and _header_names(first) is not None:
        return "csv"
    data_line = _first_line(text, skip_comments=True)
    if data_line is not None and "," in data_line:
        return "csv"  # a header-less CSV, or one with comment lines above its header
    return "text"  # also a one-column "CSV": it is a list of domains either way


def sniff(data: bytes | str, declared_content_type: str | None = None) -> Format:
    """Which parser fits the body; raise ListFormatError if it is HTML, binary or undecodable.

    `declared_content_type` (the response's Content-Type, or the subscription's) gives the
    charset and confirms HTML; the format itself is read from the body.
    """
    return _sniff_text(_decode(data, declared_content_type))


def parse(
    data: bytes | str,
    declared_content_type: str | None = None,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedList:
    """Parse a fetched or uploaded list in whichever supported format it turns out to be."""
    text = _decode(data, declared_content_type)
    fmt = _sniff_text(text)
    if fmt == "json":
        return _parse_json_text(text, max_entries)
    if fmt == "csv":
        return _parse_csv_text(text, max_entries)
    return _parse_plain_text(text, max_entries)


# CSV ---------------------------------------------------------------------------------------


class _Runaway(Exception):
    """A quoted field ran on for more lines than any comment has."""


class _LineFeed:
    """Feeds `csv.reader` one line at a time, cut out of the text on demand (no list of lines,
    no StringIO buffer at four bytes a character), and remembers where the current record
    started so a bad one can be quoted and skipped."""

    __slots__ = ("line_no", "position", "record_line", "record_start", "size", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)
        self.position = 0  # offset of the next line
        self.line_no = 0  # lines handed out so far
        self.record_start = 0  # offset and line number where the current record began
        self.record_line = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        position = self.position
        if position >= self.size:
            raise StopIteration
        if self.line_no - self.record_line >= _MAX_RECORD_LINES:
            raise _Runaway
        end = self.text.find("\n", position) + 1 or self.size
        self.position = end
        self.line_no += 1
        return self.text[position:end]

    def begin_record(self) -> None:
        self.record_start = self.position
        self.record_line = self.line_no

    def first_line(self) -> str:
        """The first line of the current record, without its line end."""
        end = self.text.find("\n", self.record_start) + 1 or self.size
        return self.text[self.record_start : end].rstrip("\r\n")

    def skip_record(self) -> None:
        """Resume on the line after the current record's first line."""
        self.position = self.text.find("\n", self.record_start) + 1 or self.size
        self.line_no = self.record_line + 1


def _csv_records(feed: _LineFeed) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line number, fields, reason) per record; fields is None on a bad row.

    One `csv.reader` (strict) reads everything, so well-formed rows cost what the C parser
    costs. A quoted field may span lines, but a quote that never closes (or closes somewhere
    it makes no sense) costs only its own line: reading resumes on the line after it.
    """
    reader = csv.reader(feed, strict=True)
    while True:
        feed.begin_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except (csv.Error, _Runaway) as error:
            if (
                isinstance(error, _Runaway)
                or feed.line_no - feed.record_line > 1
                or "end of data" in str(error)
            ):
                reason = "unterminated quoted field"
                feed.skip_record()
                reader = csv.reader(feed, strict=True)
            else:
                reason = f"malformed CSV: {error}"
            yield feed.record_line + 1, None, reason
            continue
        yield feed.record_line + 1, fields, ""


def parse_csv(data: bytes | str, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> ParsedList:
    """Mastodon's CSV export, FediBlockHole's and GoToSocial's columns, or a header-less CSV."""
    return _parse_csv_text(_decode(data, "text/csv"), max_entries)


def _parse_csv_text(text: str, max_entries: int) -> ParsedList:
    out = _Collector(max_entries)
    if "\n" not in text:
        text = text.replace("\r", "\n")  # classic Mac line ends
    feed = _LineFeed(text)
    records = _csv_records(feed)
    for line_no, fields, reason in records:
        if fields is None:
            out.problem(line_no, feed.first_line(), reason)
            continue
        if not any(field.strip() for field in fields):
            continue
        names = [field.strip().lstrip("#").strip().lower() for field in fields]
        if "domain" in names:
            _csv_rows(out, _Layout.from_header(names), feed, records)
            break
        if fields[0].lstrip().startswith("#"):
            continue  # a comment above the header
        # No header: the first column is the domain, the second (if any) the severity.
        out.problem(
            line_no,
            feed.first_line(),
            "no header row: read the first column as the domain and the second as the severity",
        )
        _csv_rows(out, _HEADERLESS, feed, itertools.chain([(line_no, fields, "")], records))
        break
    return out.result("csv")


_BOOL_COLUMNS = ("reject_media", "reject_reports", "obfuscate")


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each known column is in a CSV row. `size` is the header's width; an absent column
    points at index `size`, a padding field that is always empty. `headerless`: extra columns
    are ignored instead of reported."""

    size: int
    domain: int
    severity: int
    reject_media: int
    reject_reports: int
    obfuscate: int
    public_comment: int
    private_comment: int
    headerless: bool = False

    @classmethod
    def from_header(cls, names: list[str]) -> _Layout:
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            if not name:
                continue
            if name in columns:
                raise ListFormatError(f"the CSV header names the column {name!r} twice")
            columns[name] = index
        for alias, name in _COLUMN_ALIASES.items():
            if alias in columns and name not in columns:
                columns[name] = columns[alias]
        size = len(names)
        return cls(
            size,
            columns["domain"],
            columns.get("severity", size),
            columns.get("reject_media", size),
            columns.get("reject_reports", size),
            columns.get("obfuscate", size),
            columns.get("public_comment", size),
            columns.get("private_comment", size),
        )


_HEADERLESS = _Layout(2, 0, 1, 2, 2, 2, 2, 2, headerless=True)


def _csv_rows(
    out: _Collector,
    layout: _Layout,
    feed: _LineFeed,
    records: Iterable[tuple[int, list[str] | None, str]],
) -> None:
    """The data rows after the header: one loop with everything in locals, as it runs 100k
    times for a big list."""
    size = layout.size
    padding = [""] * (size + 1)
    i_domain, i_severity = layout.domain, layout.severity
    i_media, i_reports, i_obfuscate = layout.reject_media, layout.reject_reports, layout.obfuscate
    i_public, i_private = layout.public_comment, layout.private_comment
    severities, booleans, normalize = _SEVERITY_NAMES, _BOOLEANS, _normalize
    add, problem, row = out.add, out.problem, out.row
    texts: dict[str, str] = {}  # one string per distinct comment: lists repeat a few reasons
    for line_no, fields, reason in records:
        if fields is None:
            row()
            problem(line_no, feed.first_line(), reason)
            continue
        count = len(fields)
        if not count or (not fields[0].strip() and not "".join(fields).strip()):
            continue  # a blank line, or a row of empty fields (a spreadsheet's leftovers)
        if fields[0][:1] == "#" or fields[0].lstrip().startswith("#"):
            continue  # a commented-out row
        row()
        if count <= size:
            fields += padding[: size + 1 - count]
        elif layout.headerless:
            fields = fields[:size] + padding[:1]
        elif any(field.strip() for field in fields[size:]):
            problem(
                line_no,
                feed.first_line(),
                f"{count} fields but the header has {size}: an unquoted comma in a comment?",
            )
            continue
        try:
            domain, wildcard = normalize(fields[i_domain])
        except DomainError as error:
            problem(line_no, feed.first_line(), error.reason)
            continue
        value = fields[i_severity]
        severity = severities.get(value) or severities.get(value.strip().lower())
        if severity is None:
            problem(line_no, feed.first_line(), f"unknown severity {value.strip()!r}")
            continue
        value = fields[i_media]
        reject_media = booleans.get(value)
        if reject_media is None:
            reject_media = booleans.get(value.strip().lower())
        value = fields[i_reports]
        reject_reports = booleans.get(value)
        if reject_reports is None:
            reject_reports = booleans.get(value.strip().lower())
        value = fields[i_obfuscate]
        obfuscated = booleans.get(value)
        if obfuscated is None:
            obfuscated = booleans.get(value.strip().lower())
        if reject_media is None or reject_reports is None or obfuscated is None:
            name = _BOOL_COLUMNS[(reject_media, reject_reports, obfuscated).index(None)]
            value = fields[getattr(layout, name)].strip()
            problem(line_no, feed.first_line(), f"{name} is not a boolean: {value!r}")
            continue
        public_comment = fields[i_public].strip()
        private_comment = fields[i_private].strip()
        duplicate = add(
            Entry(
                domain,
                severity,
                reject_media,
                reject_reports,
                texts.setdefault(public_comment, public_comment),
                texts.setdefault(private_comment, private_comment),
                obfuscated,
                wildcard,
            ),
            line_no,
        )
        if duplicate is not None:
            problem(line_no, feed.first_line(), duplicate)


# JSON --------------------------------------------------------------------------------------


def parse_json(data: bytes | str, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> ParsedList:
    """Mastodon's public or admin domain_blocks JSON, GoToSocial's export, or a list of names."""
    return _parse_json_text(_decode(data, "application/json"), max_entries)


def _parse_json_text(text: str, max_entries: int) -> ParsedList:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ListFormatError(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ListFormatError("the body is not valid JSON: nested too deeply") from None
    if not isinstance(document, list):
        raise ListFormatError("expected a JSON array of domain blocks")
    if len(document) > max_entries:
        raise ListFormatError(f"the list has more than {max_entries} entries")
    out = _Collector(max_entries)
    for position, item in enumerate(document, 1):
        out.row()
        reason = _json_item(out, position, item)
        if reason is not None:
            out.problem(position, json.dumps(item, ensure_ascii=False)[:EXCERPT_LENGTH], reason)
    return out.result("json")


def _json_item(out: _Collector, position: int, item: object) -> str | None:
    """Add one array item; return why it was skipped or merged, if it was."""
    if isinstance(item, str):
        item = {"domain": item}  # a bare list of names, read like plain text
    if not isinstance(item, dict) or not isinstance(item.get("domain"), str):
        return "not an object with a domain"
    try:
        domain, wildcard = _normalize(item["domain"])
    except DomainError as error:
        return error.reason
    raw_severity = item.get("severity")
    if raw_severity is None:
        severity: Severity | None = "suspend"  # GoToSocial's shapes carry none: a block
    elif isinstance(raw_severity, str):
        severity = _SEVERITY_NAMES.get(raw_severity.strip().lower())
    else:
        severity = None
    if severity is None:
        return f"unknown severity {raw_severity!r}"
    flags = []
    for name in _BOOL_COLUMNS:
        flag = parse_bool(item.get(name))
        if flag is None:
            return f"{name} is not a boolean: {item.get(name)!r}"
        flags.append(flag)
    public_comment = item.get("public_comment")
    if public_comment is None:
        public_comment = item.get("comment")
    private_comment = item.get("private_comment")
    entry = Entry(
        domain,
        severity,
        flags[0],
        flags[1],
        public_comment.strip() if isinstance(public_comment, str) else "",
        private_comment.strip() if isinstance(private_comment, str) else "",
        flags[2],
        wildcard,
    )
    return out.add(entry, position)


# Plain text --------------------------------------------------------------------------------


def parse_text(data: bytes | str, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> ParsedList:
    """One domain per line, severity suspend; `#` comments (whole-line or trailing) and blanks
    are ignored."""
    return _parse_plain_text(_decode(data, "text/plain"), max_entries)


def _parse_plain_text(text: str, max_entries: int) -> ParsedList:
    out = _Collector(max_entries)
    for line_no, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.row()
        name = stripped.split(" #", 1)[0].split("\t#", 1)[0]
        try:
            domain, wildcard = _normalize(name)
        except DomainError as error:
            out.problem(line_no, stripped, error.reason)
            continue
        duplicate = out.add(Entry(domain, "suspend", wildcard=wildcard), line_no)
        if duplicate is not None:
            out.problem(line_no, stripped, duplicate)
    return out.result("text")


# Writing -----------------------------------------------------------------------------------


def _bool(value: bool) -> str:
    return "true" if value else "false"


def to_mastodon_csv(entries: Iterable[Entry]) -> str:
    """Mastodon's `domain_blocks.csv`: its exact header, `true`/`false`, no private comment.

    Writes every entry it is given, in order; choosing which (Mastodon exports silence,
    suspend, and noop with reject_media) is the caller's business. Wildcards are written as the
    plain domain, which Mastodon reads and which covers the subdomains anyway.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MASTODON_CSV_HEADER)
    writer.writerows(
        (
            entry.domain,
            entry.severity,
            _bool(entry.reject_media),
            _bool(entry.reject_reports),
            entry.public_comment,
            _bool(entry.obfuscate),
        )
        for entry in entries
    )
    return buffer.getvalue()


def to_json(entries: Iterable[Entry], *, with_comment: bool = True) -> str:
    """Mastodon's public `/api/v1/instance/domain_blocks` body.

    As Mastodon: noop entries are left out, silences come before suspends and each group is
    sorted by domain, an obfuscated entry shows its masked domain while `digest` hashes the
    real one, and `comment` is the public comment (null when empty or `with_comment` is off).
    """
    listed = sorted(
        (entry for entry in entries if entry.severity != "noop"),
        key=lambda entry: (SEVERITY_RANK[entry.severity], entry.domain),
    )
    return json.dumps(
        [
            {
                "domain": obfuscate(entry.domain) if entry.obfuscate else entry.domain,
                "digest": domain_digest(entry.domain),
                "severity": entry.severity,
                "comment": (entry.public_comment or None) if with_comment else None,
            }
            for entry in listed
        ],
        ensure_ascii=False,
    )

"""Domain names as blocklists carry them: normalization, obfuscation, digests, suffix matching.

Every list (Mastodon, GoToSocial, FediBlockHole, hand-written text) names domains in its own
spelling: uppercase, Unicode, a trailing dot, a `*.` wildcard marker. A block is stored and
compared under one spelling only, the lowercase punycode form, so `BÜCHER.example.` and
`xn--bcher-kva.example` are the same rule. Anything that is not a plain host name (a URL, a
port, an IP address, a single label) is refused with a reason an admin can act on, because a
rule that silently matches nothing is worse than an error.

IDN conversion uses Python's `encodings.idna` (IDNA 2003 with nameprep), which is what
Mastodon's Addressable normalization does too; so `faß.example` becomes `fass.example`, as on
Mastodon. Matching is by suffix, as Mastodon's `DomainBlock.rule_for`: a block of
`example.com` covers `a.example.com`, and the longest (most specific) rule wins.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from encodings import idna
from typing import TypeVar

from fedianon.errors import ValidationFailed

MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63
OBFUSCATED = "obfuscated domain cannot be applied"

_T = TypeVar("_T")

# A lowercase ASCII host name of two or more LDH labels: the shape of nearly every row.
_FAST_RE = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_LDH_RE = re.compile(r"[a-z0-9-]+")
_BAD_CHAR_RE = re.compile(r"[^a-z0-9-]")
_DOTS_RE = re.compile("[\u002e\u3002\uff0e\uff61]")  # the dots IDNA treats as label separators
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class DomainError(ValidationFailed, ValueError):
    """The text is not a domain a block can apply to; `reason` says why, for the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NormalizedDomain:
    """A domain in lowercase punycode; `wildcard` records that the source wrote `*.domain`.

    The wildcard changes nothing about matching (every block covers subdomains already); it is
    kept so a list can be written back the way it was read and an admin can see it.
    """

    domain: str
    wildcard: bool = False


def normalize_domain(raw: str) -> NormalizedDomain:
    """Normalize one domain from a list; raise `DomainError(reason)` when it cannot be a rule."""
    domain, wildcard = _normalize(raw)
    return NormalizedDomain(domain, wildcard)


def _normalize(raw: str) -> tuple[str, bool]:
    text = raw.strip()
    wildcard = text.startswith("*.")
    if wildcard:
        text = text[2:]
    if text.isascii():
        fast = text.lower()
        if fast.endswith("."):
            fast = fast[:-1]
        if (
            len(fast) <= MAX_DOMAIN_LENGTH
            and _FAST_RE.fullmatch(fast)
            and "xn--" not in fast
            and not fast.rpartition(".")[2].isdigit()
        ):
            return fast, wildcard
    return _normalize_slowly(text, wildcard), wildcard


def _normalize_slowly(text: str, wildcard: bool) -> str:
    """The careful path: find the first thing wrong and say what it is."""
    if not text:
        raise DomainError("empty domain" if not wildcard else "a bare wildcard, no domain")
    if any(char.isspace() for char in text):
        raise DomainError("contains whitespace")
    if _SCHEME_RE.match(text):
        raise DomainError("a URL, not a domain: give the host name only")
    if "/" in text or "?" in text or "#" in text:
        raise DomainError("contains a path or URL part: give the host name only")
    if "@" in text:
        raise DomainError("looks like an account address, not a domain")
    if "*" in text:
        raise DomainError(OBFUSCATED)
    if _is_ip_address(text.strip("[]")) or (text.startswith("[") and "]" in text):
        raise DomainError("an IP address, not a domain name: block the domain instead")
    if ":" in text:
        host, _, port = text.rpartition(":")
        if port.isdigit() and host and ":" not in host:
            raise DomainError("contains a port: give the host name without ':port'")
        raise DomainError("invalid character ':'")
    if text.endswith(".") or text.endswith("\u3002") or text.endswith("\uff0e"):
        text = text[:-1]
    labels = _DOTS_RE.split(text)
    ascii_labels = [_label_to_ascii(label) for label in labels]
    if len(ascii_labels) < 2:
        raise DomainError("a single label, not a domain: a domain needs a dot")
    domain = ".".join(ascii_labels)
    if ascii_labels[-1].isdigit():
        if _is_ip_address(domain):
            raise DomainError("an IP address, not a domain name: block the domain instead")
        raise DomainError("the top-level label is numeric")
    if len(domain) > MAX_DOMAIN_LENGTH:
        raise DomainError(f"longer than {MAX_DOMAIN_LENGTH} characters")
    return domain


def _label_to_ascii(label: str) -> str:
    if not label:
        raise DomainError("empty label: two dots in a row, or a leading dot")
    if not label.isascii():
        try:
            label = idna.ToASCII(label).decode("ascii")
        except UnicodeError as error:
            if "too long" in str(error):
                raise DomainError(
                    f"a label is longer than {MAX_LABEL_LENGTH} characters in punycode"
                ) from None
            raise DomainError(f"label {label!r} is not a valid internationalized name") from None
    label = label.lower()
    if len(label) > MAX_LABEL_LENGTH:
        raise DomainError(f"a label is longer than {MAX_LABEL_LENGTH} characters")
    if not _LDH_RE.fullmatch(label):
        bad = _BAD_CHAR_RE.search(label)
        assert bad is not None
        raise DomainError(f"invalid character {bad.group()!r}")
    if label.startswith("-") or label.endswith("-"):
        raise DomainError("a label starts or ends with a hyphen")
    if label.startswith("xn--"):
        try:
            idna.ToUnicode(label)
        except UnicodeError:
            raise DomainError(f"label {label!r} is not valid punycode") from None
    return label


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def obfuscate(domain: str) -> str:
    """The domain as Mastodon's public list shows an obfuscated block.

    Characters at index i with len/4 < i < len - len/4 (integer division) become `*`, dots
    stay: `DomainBlock#public_domain`.
    """
    length = len(domain)
    visible = length // 4
    return "".join(
        "*" if visible < i < length - visible and char != "." else char
        for i, char in enumerate(domain)
    )


def domain_digest(domain: str) -> str:
    """SHA-256 hex of the domain, as Mastodon's `digest` field (always of the real domain)."""
    return hashlib.sha256(domain.encode("utf-8")).hexdigest()


def domain_suffixes(domain: str) -> list[str]:
    """`a.b.c` -> `["a.b.c", "b.c", "c"]`: every rule that could cover the domain, longest first."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _canonical(domain: str) -> str:
    """Cheap normalization of a host seen at enforcement time (from a URL or an account)."""
    host = domain.strip()
    head, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in head:
        host = head
    if host.isascii():
        return host.lower().rstrip(".")
    try:
        return _normalize(host)[0]
    except DomainError:
        return host.lower()


def matches(domain: str, blocked: str) -> bool:
    """True when a rule for `blocked` covers `domain`: the same domain, or a subdomain of it."""
    domain = _canonical(domain)
    blocked = _canonical(blocked)
    return domain == blocked or domain.endswith("." + blocked)


def longest_match(domain: str, domains: Container[str]) -> str | None:
    """The most specific entry of `domains` (normalized names) that covers `domain`, or None."""
    return _longest_match(_canonical(domain), domains)


def _longest_match(domain: str, domains: Container[str]) -> str | None:
    """`longest_match` for a domain already normalized: no allocation beyond the slices."""
    if domain in domains:
        return domain
    dot = domain.find(".")
    while dot != -1:
        suffix = domain[dot + 1 :]
        if suffix in domains:
            return suffix
        dot = domain.find(".", dot + 1)
    return None


def rule_for(domain: str, rules: Mapping[str, _T]) -> _T | None:
    """The rule that applies to `domain`: the longest matching key of `rules` wins (Mastodon)."""
    key = longest_match(domain, rules)
    return None if key is None else rules[key]

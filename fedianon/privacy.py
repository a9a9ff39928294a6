"""Privacy: email addresses become keyed digests; logs never carry an address or an IP.

The plaintext address exists only in memory while a mail is sent. What is kept is
HMAC-SHA256(pepper, normalized address). Rate limits key on a second HMAC whose key rotates
daily and lives only in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$"
)


class InvalidEmail(ValueError):
    """The text is not a mail address we can send to."""


@dataclass(frozen=True)
class EmailAddress:
    """A normalized address. Its repr never shows the address."""

    value: str

    @property
    def domain(self) -> str:
        return self.value.rsplit("@", 1)[1]

    def masked(self) -> str:
        local, domain = self.value.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"

    def __repr__(self) -> str:
        return "EmailAddress(<hidden>)"

    __str__ = __repr__


def normalize_email(raw: str) -> EmailAddress:
    text = raw.strip()
    if len(text) > 254 or "@" not in text:
        raise InvalidEmail("That is not a valid mail address.")
    local, _, domain = text.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise InvalidEmail("That is not a valid mail address.") from None
    candidate = f"{local}@{domain.lower().rstrip('.')}"
    if (
        not _EMAIL_RE.match(candidate)
        or ".." in local
        or local.startswith(".")
        or local.endswith(".")
    ):
        raise InvalidEmail("That is not a valid mail address.")
    # Mailbox local parts are case-insensitive in practice on campus systems.
    return EmailAddress(candidate.lower())


def domain_allowed(address: EmailAddress, campus_domains: tuple[str, ...]) -> bool:
    domain = address.domain
    for allowed in campus_domains:
        if allowed.startswith("*."):
            base = allowed[2:]
            if domain == base or domain.endswith("." + base):
                return True
        elif domain == allowed:
            return True
    return False


def email_digest(pepper: str, address: EmailAddress) -> str:
    return hmac.new(pepper.encode(), address.value.encode(), hashlib.sha256).hexdigest()


def secret_digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, codes combined with a random id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def keyed_digest(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


class DailyKey:
    """An in-memory HMAC key that changes every UTC day; nothing derived from it persists."""

    def __init__(self) -> None:
        self._day = ""
        self._key = b""

    def digest(self, value: str) -> str:
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        if today != self._day:
            self._day, self._key = today, secrets.token_bytes(32)
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]


_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
_IPV6 = r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])"
_MAIL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_SCRUB_RE = re.compile(f"{_MAIL}|{_IPV4}|{_IPV6}")


def scrub(text: str) -> str:
    """Replace anything that looks like a mail address or an IP address."""
    return _SCRUB_RE.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    found = match.group(0)
    if "@" in found:
        return "[address]"
    if ":" in found and "." not in found:
        try:
            ipaddress.IPv6Address(found.split("%")[0])
        except ValueError:
            return found  # a time of day or another colon-separated value
    return "[ip]"


class ScrubFilter(logging.Filter):
    """A logging filter that removes mail and IP addresses from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep it, without arguments
            message = str(record.msg)
        cleaned = scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            del exc
        record.msg, record.args = cleaned, None
        return True

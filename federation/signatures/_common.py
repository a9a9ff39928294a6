"""Shared pieces of the signature schemes: the error tree, header access, clocks, keys.

Both schemes raise the same small error tree so a caller can tell a bad signature
(``VerificationFailed``: maybe the key rotated, refetch it once) from a request that is
refused whatever the key (``SignatureExpired``, ``DigestInvalid``, ...).
"""

from __future__ import annotations

import email.utils
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.signatures.keys import (
    KeyFormatError,
    PrivateKey,
    PublicKey,
    load_private_key,
    load_public_key,
)

#: Peers' clocks may be this far off (Mastodon's CLOCK_SKEW_MARGIN).
CLOCK_SKEW = timedelta(hours=1)
#: Validity of a signature without ``expires`` (Mastodon: 5 minutes).
DEFAULT_VALIDITY = timedelta(minutes=5)
#: ``expires`` is capped at ``created`` plus this (Mastodon's EXPIRATION_WINDOW_LIMIT).
MAX_VALIDITY = timedelta(hours=12)

ACTIVITY_JSON = "application/activity+json"
AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class SignatureError(Exception):
    """Base class: the request's signature is refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSigned(SignatureError):
    """No signature header at all."""


class MalformedSignature(SignatureError):
    """The signature headers cannot be parsed."""


class UnsupportedAlgorithm(SignatureError):
    """The algorithm is unknown or does not fit the key."""


class InsufficientCoverage(SignatureError):
    """A component the policy requires is not signed, or a signed header is absent."""


class SignatureExpired(SignatureError):
    """``Date``/``created``/``expires`` outside the accepted window."""


class DigestInvalid(SignatureError):
    """The body digest header is missing, malformed or does not match the body."""


class KeyUnavailable(SignatureError):
    """No usable public key for the keyId (lookup failed or the key is unreadable)."""


class VerificationFailed(SignatureError):
    """The cryptographic check failed: wrong key, tampered request, or a rotated key."""


class HeaderSource(Protocol):
    """Anything with ``items()`` of ``(name, value)``: dict, httpx.Headers, starlette Headers."""

    def items(self) -> Iterable[tuple[str, str]]: ...


Headers = Mapping[str, str] | HeaderSource


def header_values(headers: Headers, name: str) -> list[str]:
    """All values of ``name`` (case-insensitive), in order."""
    wanted = name.lower()
    return [str(v) for k, v in headers.items() if str(k).lower() == wanted]


def get_header(headers: Headers, name: str) -> str | None:
    """The value of ``name``, several field lines joined with ``", "``; ``None`` if absent."""
    values = header_values(headers, name)
    if not values:
        return None
    return ", ".join(v.strip() for v in values)


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_http_date(when: datetime) -> str:
    """IMF-fixdate, e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return email.utils.format_datetime(when.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def from_timestamp(value: int) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedSignature(f"timestamp {value} out of range") from exc


def check_time_window(created: datetime | None, expires: datetime | None, now: datetime) -> None:
    """Mastodon's window: refuse ``created > now + 1h`` and ``now > expires + 1h``.

    ``expires`` defaults to ``created + 5 min`` and is capped at ``created + 12 h``.
    """
    if created is not None:
        cap = created + MAX_VALIDITY
        expires = min(expires, cap) if expires is not None else created + DEFAULT_VALIDITY
    if created is not None and created > now + CLOCK_SKEW:
        raise SignatureExpired("Signed request date outside acceptable time window")
    if expires is not None and now > expires + CLOCK_SKEW:
        raise SignatureExpired("Signed request date outside acceptable time window")


def host_of(url: str) -> str:
    """``host[:port]`` as sent in the Host header (default ports dropped, host lowercased)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if port is not None and port != default:
        return f"{host}:{port}"
    return host


def path_with_query(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


@functools.lru_cache(maxsize=256)
def cached_private_key(pem: str) -> PrivateKey:
    """Load (and remember) a private key: PEM parsing and RSA checks cost milliseconds."""
    return load_private_key(pem)


@functools.lru_cache(maxsize=1024)
def _cached_public_key(text: str) -> PublicKey:
    return load_public_key(text)


def coerce_public_key(key: str | PublicKey) -> PublicKey:
    """Accept a PEM/multibase string or a loaded key; raise ``KeyUnavailable`` if unreadable."""
    if isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, str):
        try:
            return _cached_public_key(key)
        except KeyFormatError as exc:
            raise KeyUnavailable(f"Public key is unreadable: {exc.reason}") from exc
    raise KeyUnavailable("Public key has an unsupported type")

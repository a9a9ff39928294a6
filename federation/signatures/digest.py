"""Body digests: ``Digest`` (RFC 3230, draft-cavage) and ``Content-Digest`` (RFC 9530).

``Digest: SHA-256=<base64>`` may be a comma list with any algorithm-name case.
``Content-Digest: sha-256=:<base64>:`` is a structured-field dictionary.
Both verifiers check every offered SHA-256/SHA-512 value and ignore other algorithms,
but refuse a header that offers none of the two.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

import http_sf

__all__ = [
    "DigestError",
    "DigestMismatch",
    "InvalidDigest",
    "UnsupportedDigestAlgorithm",
    "build_content_digest",
    "build_digest",
    "parse_content_digest",
    "parse_digest",
    "verify_content_digest",
    "verify_digest",
]

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}
_SIZES = {"sha-256": 32, "sha-512": 64}
_MAX_HEADER = 8192


class DigestError(Exception):
    """Base class for digest errors; ``reason`` is a human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidDigest(DigestError):
    """The header is malformed (bad base64, wrong length, not a structured dictionary)."""


class UnsupportedDigestAlgorithm(DigestError):
    """The header offers neither SHA-256 nor SHA-512."""


class DigestMismatch(DigestError):
    """The digest does not match the body."""


def _digest(algorithm: str, body: bytes) -> bytes:
    try:
        return _HASHES[algorithm](body).digest()
    except KeyError as exc:
        raise UnsupportedDigestAlgorithm(f"unsupported digest algorithm {algorithm!r}") from exc


def build_digest(body: bytes, algorithm: str = "SHA-256") -> str:
    """``SHA-256=<base64>`` for the exact body bytes (``SHA-512`` also allowed)."""
    raw = _digest(algorithm.lower(), body)
    return f"{algorithm.upper()}={base64.b64encode(raw).decode('ascii')}"


def build_content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """``sha-256=:<base64>:`` for the exact body bytes (``sha-512`` also allowed)."""
    raw = _digest(algorithm.lower(), body)
    return f"{algorithm.lower()}=:{base64.b64encode(raw).decode('ascii')}:"


def parse_digest(value: str) -> dict[str, str]:
    """Parse an RFC 3230 ``Digest`` header into ``{lowercase algorithm: base64 value}``."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER:
        raise InvalidDigest("Invalid Digest header")
    result: dict[str, str] = {}
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        algorithm, sep, encoded = part.partition("=")
        if not sep or not algorithm.strip():
            raise InvalidDigest(f"Invalid Digest value {part!r}")
        result.setdefault(algorithm.strip().lower(), encoded.strip())
    if not result:
        raise InvalidDigest("Empty Digest header")
    return result


def verify_digest(value: str, body: bytes | None) -> str:
    """Check a ``Digest`` header against the body; return the algorithm that matched.

    Raises ``UnsupportedDigestAlgorithm``, ``InvalidDigest`` or ``DigestMismatch``.
    """
    offered = parse_digest(value)
    known = [alg for alg in ("sha-256", "sha-512") if alg in offered]
    if not known:
        names = ", ".join(sorted(offered))
        raise UnsupportedDigestAlgorithm(
            f"Only SHA-256 and SHA-512 are supported in the Digest header. "
            f"Offered algorithms: {names}"
        )
    payload = body or b""
    for alg in known:
        given = offered[alg]
        try:
            decoded = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidDigest(f"Invalid Digest value. {given!r} is not valid base64") from exc
        if len(decoded) != _SIZES[alg]:
            raise InvalidDigest(
                f"Invalid Digest value. The provided {alg.upper()} digest is "
                f"{len(decoded)} bytes long, expected {_SIZES[alg]}"
            )
        computed = _digest(alg, payload)
        if decoded != computed:
            raise DigestMismatch(
                f"Invalid Digest value. Computed {alg.upper()} digest: "
                f"{base64.b64encode(computed).decode('ascii')}; given: {given}"
            )
    return known[0]


def parse_content_digest(value: str) -> dict[str, bytes]:
    """Parse an RFC 9530 ``Content-Digest`` dictionary into ``{algorithm: raw bytes}``."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER:
        raise InvalidDigest("Invalid Content-Digest header")
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidDigest(f"Invalid Content-Digest header: {exc}") from exc
    result: dict[str, bytes] = {}
    if not isinstance(parsed, dict):
        raise InvalidDigest("Invalid Content-Digest header")
    for algorithm, member in parsed.items():
        item = member[0] if isinstance(member, tuple) else member
        if not isinstance(item, bytes):
            raise InvalidDigest(f"Content-Digest value for {algorithm!r} is not a byte sequence")
        result[str(algorithm).lower()] = item
    if not result:
        raise InvalidDigest("Empty Content-Digest header")
    return result


def verify_content_digest(value: str, body: bytes | None) -> str:
    """Check a ``Content-Digest`` header against the body; return the algorithm matched."""
    offered = parse_content_digest(value)
    known = [alg for alg in ("sha-256", "sha-512") if alg in offered]
    if not known:
        names = ", ".join(sorted(offered))
        raise UnsupportedDigestAlgorithm(
            f"Only sha-256 and sha-512 are supported in Content-Digest. Offered algorithms: {names}"
        )
    payload = body or b""
    for alg in known:
        computed = _digest(alg, payload)
        if offered[alg] != computed:
            raise DigestMismatch(
                f"Invalid Content-Digest value. Computed {alg} digest: "
                f"{base64.b64encode(computed).decode('ascii')}; given: "
                f"{base64.b64encode(offered[alg]).decode('ascii')}"
            )
    return known[0]

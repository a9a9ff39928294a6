"""HTTP signatures façade: sign with either scheme, verify whatever arrives.

``verify_incoming`` picks RFC 9421 iff ``Signature-Input`` is present (as Mastodon does),
else draft-cavage, and runs "cached key -> verify -> on a crypto failure refetch the key
once -> verify again" through the caller's ``key_lookup(key_id, refresh)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from federation.signatures import cavage, rfc9421
from federation.signatures._common import (
    DigestInvalid,
    Headers,
    InsufficientCoverage,
    KeyUnavailable,
    MalformedSignature,
    NotSigned,
    SignatureError,
    SignatureExpired,
    UnsupportedAlgorithm,
    VerificationFailed,
    get_header,
    path_with_query,
)
from federation.signatures.keys import PublicKey

__all__ = [
    "DigestInvalid",
    "InsufficientCoverage",
    "KeyLookup",
    "KeyUnavailable",
    "MalformedSignature",
    "NotSigned",
    "Scheme",
    "SignatureError",
    "SignatureExpired",
    "UnsupportedAlgorithm",
    "VerificationFailed",
    "VerifiedRequest",
    "actor_uri_from_key_id",
    "detect_scheme",
    "path_with_query",
    "sign",
    "verify_incoming",
]

Scheme = Literal["cavage", "rfc9421"]
#: ``await key_lookup(key_id, refresh)`` -> PEM / multibase / loaded key, or ``None``.
#: ``refresh=False`` may answer from a cache; ``refresh=True`` must refetch the key.
KeyLookup = Callable[[str, bool], Awaitable["str | PublicKey | None"]]

_KEY_SUFFIXES = ("/main-key", "/publickey", "/public-key", "/key")


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request whose signature verified."""

    scheme: Scheme
    key_id: str
    actor_uri: str  # derived from key_id; the caller still checks the key's owner
    algorithm: str
    covered: tuple[str, ...]
    created: datetime | None
    key_refreshed: bool  # True when the cached key failed and a refetched one verified


def sign(
    scheme: Scheme,
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers to add to sign a request with ``"cavage"`` or ``"rfc9421"``."""
    if scheme == "cavage":
        return cavage.sign_request(method, url, headers, body, key_id, private_key_pem, now=now)
    if scheme == "rfc9421":
        return rfc9421.sign_request(method, url, headers, body, key_id, private_key_pem, now=now)
    raise ValueError(f"unknown signature scheme {scheme!r}")


def detect_scheme(headers: Headers) -> Scheme | None:
    """``"rfc9421"`` iff ``Signature-Input`` is present, ``"cavage"`` if ``Signature`` is."""
    if get_header(headers, "signature-input") is not None:
        return "rfc9421"
    if get_header(headers, "signature") is not None:
        return "cavage"
    return None


def actor_uri_from_key_id(key_id: str) -> str:
    """Guess the actor URI from a keyId: drop the fragment, then a trailing key segment.

    ``https://a/users/x#main-key``, ``https://a/users/x/main-key`` (GoToSocial) and
    ``https://a/users/x/publickey`` all give ``https://a/users/x``. Other forms (including
    ``acct:`` keyIds) are returned without their fragment. Always dereference the key and
    check its ``owner`` before trusting this.
    """
    parts = urlsplit(key_id.strip())
    path = parts.path
    lowered = path.lower()
    for suffix in _KEY_SUFFIXES:
        if lowered.endswith(suffix) and len(path) > len(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


async def verify_incoming(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    key_lookup: KeyLookup,
    *,
    now: datetime | None = None,
    check_time: bool = True,
) -> VerifiedRequest:
    """Verify an incoming request's signature, or raise ``SignatureError(reason)``.

    ``url`` is the absolute public URL of the request (``https://host/inbox?x``); draft
    cavage uses its path and query, RFC 9421 its whole form for ``@target-uri``.
    Policy failures (clock, coverage, digest) raise at once; a cryptographic failure with
    the cached key triggers one ``key_lookup(key_id, True)`` and a second attempt.
    """
    scheme = detect_scheme(headers)
    if scheme is None:
        raise NotSigned("Request not signed")
    if scheme == "rfc9421":
        sig9421 = rfc9421.parse_signature(headers)
        created: datetime | None = rfc9421.check_request(
            sig9421, method, headers, body, now=now, check_time=check_time
        )
        key_id = sig9421.key_id or ""

        def attempt(key: str | PublicKey) -> tuple[str, tuple[str, ...]]:
            alg = rfc9421.verify_signature(sig9421, method, url, headers, key)
            return alg, sig9421.covered

    else:
        sig_cavage = cavage.parse_signature_header(get_header(headers, "signature"))
        created = cavage.check_request(
            sig_cavage, method, headers, body, now=now, check_time=check_time
        )
        key_id = sig_cavage.key_id
        target = path_with_query(url) if "://" in url else url

        def attempt(key: str | PublicKey) -> tuple[str, tuple[str, ...]]:
            cavage.verify_signature(sig_cavage, method, target, headers, key)
            return sig_cavage.algorithm, sig_cavage.headers

    refreshed = False
    key = await key_lookup(key_id, False)
    if key is None:
        refreshed = True
        key = await key_lookup(key_id, True)
        if key is None:
            raise KeyUnavailable(f"Unable to fetch key {key_id}")
    try:
        algorithm, covered = attempt(key)
    except (VerificationFailed, KeyUnavailable):
        if refreshed:
            raise
        fresh = await key_lookup(key_id, True)
        if fresh is None:
            raise
        refreshed = True
        algorithm, covered = attempt(fresh)
    return VerifiedRequest(
        scheme=scheme,
        key_id=key_id,
        actor_uri=actor_uri_from_key_id(key_id),
        algorithm=algorithm,
        covered=covered,
        created=created,
        key_refreshed=refreshed,
    )

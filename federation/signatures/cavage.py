"""draft-cavage-http-signatures-12 as the fediverse uses it (Mastodon's rules).

Signing (as Mastodon 4.x): ``rsa-sha256`` over ``(request-target) host date digest
content-type`` on POST and ``(request-target) host date accept`` on GET.

Verifying is split so the caller can retry with a refetched key::

    sig = parse_signature_header(headers["Signature"])
    created = check_request(sig, method, headers, body, now=now)   # policy, digest, clock
    verify_signature(sig, method, path_with_query, headers, key)    # crypto only

``verify_request`` chains the three for one key.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.signatures import _common
from federation.signatures._common import (
    ACTIVITY_JSON,
    AP_ACCEPT,
    DigestInvalid,
    Headers,
    InsufficientCoverage,
    MalformedSignature,
    NotSigned,
    SignatureExpired,
    UnsupportedAlgorithm,
    VerificationFailed,
    cached_private_key,
    check_time_window,
    coerce_public_key,
    format_http_date,
    from_timestamp,
    get_header,
    host_of,
    parse_http_date,
    utcnow,
)
from federation.signatures.digest import DigestError, build_digest, verify_digest
from federation.signatures.keys import PublicKey

__all__ = [
    "CavageSignature",
    "CavageVerified",
    "build_signing_string",
    "check_request",
    "parse_signature_header",
    "sign_request",
    "verify_request",
    "verify_signature",
]

SUPPORTED_ALGORITHMS = ("rsa-sha256", "hs2019")
_PARAM_RE = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^\s,"]*))\s*(?:,|$)')
_MAX_HEADER = 16_384

KeyResolver = Callable[[str], "str | PublicKey"]


@dataclass(frozen=True, slots=True)
class CavageSignature:
    """A parsed ``Signature`` header."""

    key_id: str
    algorithm: str  # lowercased; "hs2019" when absent
    headers: tuple[str, ...]  # lowercased, in signed order
    signature: bytes
    created: int | None = None
    expires: int | None = None
    algorithm_given: bool = False
    headers_given: bool = False


@dataclass(frozen=True, slots=True)
class CavageVerified:
    """A verified draft-cavage signature."""

    key_id: str
    algorithm: str
    covered: tuple[str, ...]
    created: datetime | None
    target_with_query: bool  # False when only the path-only (Misskey) form matched


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign a request; return the headers to add (``Host``, ``Date``, ``Signature``, ...).

    POST (any method but GET/HEAD) signs ``(request-target) host date digest content-type``
    and creates ``Digest`` (SHA-256 of ``body``) and ``Content-Type`` if absent. GET signs
    ``(request-target) host date accept``, defaulting ``Accept`` to the ActivityPub type.
    ``host`` is ``host[:port]`` exactly as httpx sends it; the target keeps the query.
    """
    given: Mapping[str, str] = headers or {}
    key = cached_private_key(private_key_pem)
    out: dict[str, str] = {}
    values: dict[str, str] = {}
    values["host"] = get_header(given, "host") or host_of(url)
    out["Host"] = values["host"]
    values["date"] = get_header(given, "date") or format_http_date(now or utcnow())
    out["Date"] = values["date"]
    upper = method.upper()
    if upper in ("GET", "HEAD"):
        names = ["(request-target)", "host", "date", "accept"]
        values["accept"] = get_header(given, "accept") or AP_ACCEPT
        out["Accept"] = values["accept"]
    else:
        names = ["(request-target)", "host", "date", "digest", "content-type"]
        values["digest"] = get_header(given, "digest") or build_digest(body or b"")
        out["Digest"] = values["digest"]
        values["content-type"] = get_header(given, "content-type") or ACTIVITY_JSON
        out["Content-Type"] = values["content-type"]
    values["(request-target)"] = f"{method.lower()} {_common.path_with_query(url)}"
    signing_string = "\n".join(f"{name}: {values[name]}" for name in names).encode("utf-8")
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm = "rsa-sha256"
        raw = key.sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    else:
        algorithm = "hs2019"
        raw = key.sign(signing_string)
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(raw).decode("ascii")}"'
    )
    return out


def parse_signature_header(value: str | None) -> CavageSignature:
    """Parse ``keyId="…",algorithm="…",headers="…",signature="…"``.

    A stray leading ``Signature `` (the ``Authorization`` form) is tolerated. ``keyId``
    and ``signature`` are required; ``algorithm`` defaults to ``hs2019``; ``headers``
    defaults to ``(created)`` for hs2019 and ``date`` otherwise.
    """
    if value is None or not value.strip():
        raise NotSigned("Request not signed")
    if len(value) > _MAX_HEADER:
        raise MalformedSignature("Signature header is too long")
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:].lstrip()
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise MalformedSignature("Error parsing signature parameters")
        name = match.group(1)
        params.setdefault(name, match.group(2) if match.group(2) is not None else match.group(3))
        pos = match.end()
    key_id = params.get("keyId")
    signature_b64 = params.get("signature")
    if not key_id:
        raise MalformedSignature("Incompatible request signature. keyId is missing")
    if not signature_b64:
        raise MalformedSignature("Incompatible request signature. signature is missing")
    try:
        signature = base64.b64decode("".join(signature_b64.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedSignature("Signature is not valid base64") from exc
    algorithm = params.get("algorithm", "hs2019").lower()
    raw_headers = params.get("headers")
    if raw_headers is None:
        covered: tuple[str, ...] = ("(created)",) if algorithm == "hs2019" else ("date",)
    else:
        covered = tuple(h.lower() for h in raw_headers.split())
    if not covered:
        raise MalformedSignature("Signature covers no headers")
    return CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=covered,
        signature=signature,
        created=_int_param(params, "created"),
        expires=_int_param(params, "expires"),
        algorithm_given="algorithm" in params,
        headers_given=raw_headers is not None,
    )


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw.split(".")[0])
    except ValueError as exc:
        raise MalformedSignature(f"Invalid {name} parameter") from exc


def build_signing_string(
    sig: CavageSignature,
    method: str,
    path_with_query: str,
    headers: Headers,
    *,
    include_query: bool = True,
) -> str:
    """The string that was signed; ``include_query=False`` drops ``?query`` (Misskey)."""
    lines = []
    for name in sig.headers:
        if name == "(request-target)":
            target = path_with_query if include_query else path_with_query.split("?", 1)[0]
            value = f"{method.lower()} {target}"
        elif name == "(created)":
            if sig.created is None:
                raise MalformedSignature("(created) is signed but the created parameter is missing")
            value = str(sig.created)
        elif name == "(expires)":
            if sig.expires is None:
                raise MalformedSignature("(expires) is signed but the expires parameter is missing")
            value = str(sig.expires)
        else:
            found = get_header(headers, name)
            if found is None:
                raise InsufficientCoverage(f"Missing header: {name}")
            value = found
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def check_request(
    sig: CavageSignature,
    method: str,
    headers: Headers,
    body: bytes | None,
    *,
    now: datetime | None = None,
    check_time: bool = True,
) -> datetime | None:
    """Apply Mastodon's policy (algorithm, coverage, digest, time window).

    Returns the signature's creation time (``(created)`` or ``Date``). Independent of the
    key, so it runs once even when the key is refetched.
    """
    if sig.algorithm not in SUPPORTED_ALGORITHMS:
        raise UnsupportedAlgorithm(
            f"Unsupported signature algorithm {sig.algorithm!r} "
            "(only rsa-sha256 and hs2019 are supported)"
        )
    covered = set(sig.headers)
    if sig.algorithm != "hs2019":
        for pseudo in ("(created)", "(expires)"):
            if pseudo in covered:
                raise MalformedSignature(f"Invalid pseudo-header {pseudo} for {sig.algorithm}")
    if "date" not in covered and "(created)" not in covered:
        raise InsufficientCoverage("The signature must cover the Date header or (created)")
    if "digest" not in covered and "(request-target)" not in covered:
        raise InsufficientCoverage("The signature must cover the Digest header or (request-target)")
    upper = method.upper()
    if upper == "GET" and "host" not in covered:
        raise InsufficientCoverage("The signature must cover the Host header on GET requests")
    if upper == "POST" and "digest" not in covered:
        raise InsufficientCoverage("The signature must cover the Digest header on POST requests")
    digest_value = get_header(headers, "digest")
    if digest_value is not None:
        try:
            verify_digest(digest_value, body)
        except DigestError as exc:
            raise DigestInvalid(exc.reason) from exc
    elif "digest" in covered:
        raise DigestInvalid("Digest header is signed but missing")
    created = _created_time(sig, headers)
    if check_time:
        expires = from_timestamp(sig.expires) if sig.expires is not None else None
        if created is None and expires is None:
            raise SignatureExpired("Signed request date outside acceptable time window")
        check_time_window(created, expires, now or utcnow())
    return created


def _created_time(sig: CavageSignature, headers: Headers) -> datetime | None:
    if sig.algorithm == "hs2019" and sig.created is not None:
        return from_timestamp(sig.created)
    date = get_header(headers, "date")
    if date is None:
        return None
    parsed = parse_http_date(date)
    if parsed is None:
        raise SignatureExpired(f"Invalid Date header: {date!r}")
    return parsed


def _verify_raw(key: PublicKey, algorithm: str, data: bytes, signature: bytes) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "hs2019":
            key.verify(signature, data)
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def verify_signature(
    sig: CavageSignature,
    method: str,
    path_with_query: str,
    headers: Headers,
    key: str | PublicKey,
) -> bool:
    """Check the signature bytes with ``key``; try the target with, then without, the query.

    Returns ``True`` when the form with the query matched, ``False`` when only the path
    form matched (Misskey); raises ``VerificationFailed`` otherwise. ``rsa-sha256`` and
    ``hs2019`` use RSASSA-PKCS1-v1_5/SHA-256 for RSA keys; hs2019 with an Ed25519 key
    uses Ed25519.
    """
    public_key = coerce_public_key(key)
    if isinstance(public_key, ed25519.Ed25519PublicKey) and sig.algorithm != "hs2019":
        raise VerificationFailed(
            f"Verification failed for {sig.key_id}: an Ed25519 key cannot verify {sig.algorithm}"
        )
    variants = [True]
    if "(request-target)" in sig.headers and "?" in path_with_query:
        variants.append(False)
    for include_query in variants:
        data = build_signing_string(
            sig, method, path_with_query, headers, include_query=include_query
        ).encode("utf-8")
        if _verify_raw(public_key, sig.algorithm, data, sig.signature):
            return include_query
    label = (
        "rsa-sha256 (RSASSA-PKCS1-v1_5 with SHA-256)"
        if isinstance(public_key, rsa.RSAPublicKey)
        else "hs2019 (Ed25519)"
    )
    raise VerificationFailed(f"Verification failed for {sig.key_id} using {label}")


def verify_request(
    method: str,
    path_with_query: str,
    headers: Headers,
    body: bytes | None,
    key: str | PublicKey | KeyResolver,
    *,
    now: datetime | None = None,
    check_time: bool = True,
) -> CavageVerified:
    """Parse, check and verify in one go. ``key`` is a PEM/key or ``keyId -> key`` callable.

    ``path_with_query`` may also be an absolute URL; only its path and query are used.
    """
    if path_with_query.startswith(("http://", "https://")):
        path_with_query = _common.path_with_query(path_with_query)
    sig = parse_signature_header(get_header(headers, "signature"))
    created = check_request(sig, method, headers, body, now=now, check_time=check_time)
    resolved = key(sig.key_id) if callable(key) else key
    with_query = verify_signature(sig, method, path_with_query, headers, resolved)
    return CavageVerified(
        key_id=sig.key_id,
        algorithm=sig.algorithm,
        covered=sig.headers,
        created=created,
        target_with_query=with_query,
    )

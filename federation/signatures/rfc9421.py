"""RFC 9421 HTTP Message Signatures, as Mastodon 4.5+ verifies and 4.7 signs them.

Outgoing (the double-knock fallback): ``rsa-v1_5-sha256`` over
``("@method" "@target-uri" "content-digest")`` on POST and ``("@method" "@target-uri")``
on GET, with ``created``, ``keyid`` and ``alg``.

Incoming: one signature (any label) with ``keyid`` and ``created``; ``@method`` and
``@target-uri`` covered (``@authority`` + ``@path`` accepted in place of the latter);
``content-digest`` covered on POST and matching the body; ``rsa-v1_5-sha256``,
``rsa-pss-sha512`` or ``ed25519``; the same one-hour clock window as draft-cavage.

The signature base is built here on top of ``http_sf`` (structured fields) and
``cryptography``; the steps are separate so a caller can retry with a refetched key::

    sig = parse_signature(headers)
    created = check_request(sig, method, headers, body, now=now)
    verify_signature(sig, method, url, headers, key)
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_sf.innerlist import ser_innerlist

from federation.signatures._common import (
    ACTIVITY_JSON,
    DigestInvalid,
    Headers,
    InsufficientCoverage,
    MalformedSignature,
    NotSigned,
    UnsupportedAlgorithm,
    VerificationFailed,
    cached_private_key,
    check_time_window,
    coerce_public_key,
    format_http_date,
    from_timestamp,
    get_header,
    host_of,
    path_with_query,
    utcnow,
)
from federation.signatures.digest import DigestError, build_content_digest, verify_content_digest
from federation.signatures.keys import PrivateKey, PublicKey

__all__ = [
    "ALGORITHMS",
    "Component",
    "RFC9421Signature",
    "RFC9421Verified",
    "check_request",
    "component_value",
    "parse_signature",
    "serialize_signature_params",
    "sign_request",
    "signature_base",
    "verify_request",
    "verify_signature",
]

ALGORITHMS = ("rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519")
POST_COMPONENTS = ("@method", "@target-uri", "content-digest")
GET_COMPONENTS = ("@method", "@target-uri")
_MAX_HEADER = 16_384

KeyResolver = Callable[[str], "str | PublicKey"]


@dataclass(frozen=True, slots=True)
class Component:
    """A covered component: ``"@method"``, ``"content-digest"``, ``"@query-param";name="x"``."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def identifier(self) -> str:
        """The component identifier as it appears in the signature base."""
        return ser_innerlist(([(self.name, dict(self.params))], {}))[1:-1]

    @classmethod
    def of(cls, value: str | Component) -> Component:
        if isinstance(value, Component):
            return value
        return cls(value.lower())


@dataclass(frozen=True, slots=True)
class RFC9421Signature:
    """One parsed signature: label, covered components, parameters, raw signature bytes."""

    label: str
    components: tuple[Component, ...]
    params: tuple[tuple[str, Any], ...]
    signature: bytes

    def param(self, name: str) -> Any:
        return dict(self.params).get(name)

    @property
    def key_id(self) -> str | None:
        value = self.param("keyid")
        return value if isinstance(value, str) else None

    @property
    def created(self) -> int | None:
        value = self.param("created")
        return value if type(value) is int else None

    @property
    def expires(self) -> int | None:
        value = self.param("expires")
        return value if type(value) is int else None

    @property
    def alg(self) -> str | None:
        value = self.param("alg")
        return value if isinstance(value, str) else None

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)

    @property
    def signature_params(self) -> str:
        return serialize_signature_params(self.components, self.params)


@dataclass(frozen=True, slots=True)
class RFC9421Verified:
    """A verified RFC 9421 signature."""

    key_id: str
    algorithm: str
    covered: tuple[str, ...]
    created: datetime
    label: str


def serialize_signature_params(
    components: Sequence[Component], params: Sequence[tuple[str, Any]]
) -> str:
    """The ``@signature-params`` value: ``("@method" ...);created=…;keyid="…"``."""
    return ser_innerlist(([(c.name, dict(c.params)) for c in components], dict(params)))


def _sf_dictionary(value: str, what: str) -> dict[str, Any]:
    if len(value) > _MAX_HEADER:
        raise MalformedSignature(f"{what} header is too long")
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, TypeError, UnicodeError) as exc:
        raise MalformedSignature(f"Error parsing {what} header: {exc}") from exc
    if not isinstance(parsed, dict):
        raise MalformedSignature(f"Error parsing {what} header")
    return parsed


def parse_signature(headers: Headers, *, label: str | None = None) -> RFC9421Signature:
    """Read ``Signature-Input`` and ``Signature``; exactly one signature unless ``label``."""
    raw_input = get_header(headers, "signature-input")
    raw_signature = get_header(headers, "signature")
    if raw_input is None:
        raise NotSigned("Request not signed")
    if raw_signature is None:
        raise MalformedSignature("Signature-Input is present but Signature is missing")
    inputs = _sf_dictionary(raw_input, "Signature-Input")
    signatures = _sf_dictionary(raw_signature, "Signature")
    if label is None:
        if len(inputs) != 1:
            raise MalformedSignature(
                "Only one signature is supported, got " + str(len(inputs)) + " in Signature-Input"
            )
        label = next(iter(inputs))
    if label not in inputs:
        raise MalformedSignature(f"No signature labelled {label!r} in Signature-Input")
    if label not in signatures:
        raise MalformedSignature(f"No signature labelled {label!r} in Signature")
    member = inputs[label]
    if not (isinstance(member, tuple) and isinstance(member[0], list)):
        raise MalformedSignature(f"Signature-Input {label!r} is not an inner list")
    items, params = member
    components: list[Component] = []
    seen: set[str] = set()
    for item in items:
        name, item_params = item
        if not isinstance(name, str) or name != name.lower():
            raise MalformedSignature("Component names must be lowercase strings")
        component = Component(name, tuple(item_params.items()))
        if component.identifier in seen:
            raise MalformedSignature(f"Component {component.identifier} is listed twice")
        seen.add(component.identifier)
        components.append(component)
    sig_member = signatures[label]
    sig_value = sig_member[0] if isinstance(sig_member, tuple) else sig_member
    if not isinstance(sig_value, bytes) or not sig_value:
        raise MalformedSignature(f"Signature {label!r} is not a byte sequence")
    return RFC9421Signature(
        label=str(label),
        components=tuple(components),
        params=tuple(params.items()),
        signature=sig_value,
    )


def component_value(component: Component, method: str, url: str, headers: Headers) -> list[str]:
    """The value(s) of one component for a request (several for a repeated query param)."""
    parts = urlsplit(url)
    name = component.name
    params = dict(component.params)
    if name.startswith("@"):
        if name == "@query-param":
            wanted = params.get("name")
            if not isinstance(wanted, str):
                raise MalformedSignature('"@query-param" needs a name parameter')
            wanted = unquote_plus(wanted)
            found = [
                quote(v, safe="*-._")
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k == wanted
            ]
            if not found:
                raise InsufficientCoverage(f"Query parameter {wanted!r} is signed but absent")
            return found
        if params:
            raise MalformedSignature(f"Unsupported parameters on {name}")
        if name == "@method":
            return [method.upper()]
        if name == "@target-uri":
            return [url]
        if name == "@authority":
            return [host_of(url)]
        if name == "@scheme":
            return [parts.scheme.lower()]
        if name == "@path":
            return [parts.path or "/"]
        if name == "@query":
            return [f"?{parts.query}"]
        if name == "@request-target":
            return [path_with_query(url)]
        raise MalformedSignature(f"Unsupported derived component {name}")
    if params:
        raise MalformedSignature(f"Unsupported parameters on field {name}")
    value = get_header(headers, name)
    if value is None:
        raise InsufficientCoverage(f"Signed header {name} is missing")
    return [value]


def signature_base(
    components: Sequence[Component],
    params: Sequence[tuple[str, Any]],
    method: str,
    url: str,
    headers: Headers,
) -> str:
    """The RFC 9421 §2.5 signature base (lines joined with ``\\n``, no trailing newline)."""
    lines = []
    for component in components:
        for value in component_value(component, method, url, headers):
            if "\n" in value or "\r" in value:
                raise MalformedSignature(f"Component {component.name} contains a newline")
            lines.append(f"{component.identifier}: {value}")
    lines.append(f'"@signature-params": {serialize_signature_params(components, params)}')
    base = "\n".join(lines)
    if not base.isascii():
        raise MalformedSignature("Signature base contains non-ASCII characters")
    return base


def _sign_bytes(key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    if algorithm == "ed25519" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm == "rsa-v1_5-sha256":
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if algorithm == "rsa-pss-sha512":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
            return key.sign(data, pss, hashes.SHA512())
    raise UnsupportedAlgorithm(f"Cannot sign {algorithm} with this key")


def _verify_bytes(key: PublicKey, algorithm: str, data: bytes, signature: bytes) -> bool:
    try:
        if algorithm == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
            return True
        if isinstance(key, rsa.RSAPublicKey):
            if algorithm == "rsa-v1_5-sha256":
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
                return True
            if algorithm == "rsa-pss-sha512":
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
                key.verify(signature, data, pss, hashes.SHA512())
                return True
    except (InvalidSignature, ValueError):
        return False
    return False


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    components: Sequence[str | Component] | None = None,
    created: int | None = None,
    expires: int | None = None,
    algorithm: str | None = None,
    include_alg: bool = True,
    label: str = "sig1",
    nonce: str | None = None,
    tag: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign a request; return the headers to add (``Signature-Input``, ``Signature``, ...).

    Defaults follow Mastodon 4.7: ``("@method" "@target-uri" "content-digest")`` on POST
    (``Content-Digest: sha-256`` of ``body`` is created when absent) and
    ``("@method" "@target-uri")`` on GET; ``created`` is now; the algorithm is
    ``rsa-v1_5-sha256`` for RSA keys and ``ed25519`` for Ed25519 keys.
    """
    given: Mapping[str, str] = headers or {}
    key = cached_private_key(private_key_pem)
    if algorithm is None:
        algorithm = "rsa-v1_5-sha256" if isinstance(key, rsa.RSAPrivateKey) else "ed25519"
    upper = method.upper()
    if components is None:
        components = GET_COMPONENTS if upper in ("GET", "HEAD") else POST_COMPONENTS
    covered = tuple(Component.of(c) for c in components)
    out: dict[str, str] = {}
    if get_header(given, "date") is None:
        out["Date"] = format_http_date(now or utcnow())
    if upper not in ("GET", "HEAD") and get_header(given, "content-type") is None:
        out["Content-Type"] = ACTIVITY_JSON
    wants_digest = any(c.name == "content-digest" for c in covered)
    if wants_digest and get_header(given, "content-digest") is None:
        out["Content-Digest"] = build_content_digest(body or b"")
    merged = [*given.items(), *out.items()]
    params: list[tuple[str, Any]] = [
        ("created", created if created is not None else int((now or utcnow()).timestamp())),
        ("keyid", key_id),
    ]
    if include_alg:
        params.append(("alg", algorithm))
    if expires is not None:
        params.append(("expires", expires))
    if nonce is not None:
        params.append(("nonce", nonce))
    if tag is not None:
        params.append(("tag", tag))
    base = signature_base(covered, params, method, url, _Pairs(merged))
    raw = _sign_bytes(key, algorithm, base.encode("ascii"))
    out["Signature-Input"] = f"{label}={serialize_signature_params(covered, params)}"
    out["Signature"] = f"{label}=:{base64.b64encode(raw).decode('ascii')}:"
    return out


class _Pairs:
    """Header view over a list of pairs (keeps duplicates, for ``get_header``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return self._pairs


def check_request(
    sig: RFC9421Signature,
    method: str,
    headers: Headers,
    body: bytes | None,
    *,
    now: datetime | None = None,
    check_time: bool = True,
) -> datetime:
    """Apply the acceptance policy (params, coverage, Content-Digest, clock); return created."""
    if sig.key_id is None:
        raise MalformedSignature("The keyid parameter is missing")
    if sig.created is None:
        raise MalformedSignature("The created parameter is missing")
    alg = sig.alg
    if alg is not None and alg not in ALGORITHMS:
        raise UnsupportedAlgorithm(
            f"Unsupported signature algorithm {alg!r} "
            "(rsa-v1_5-sha256, rsa-pss-sha512 and ed25519 are supported)"
        )
    covered = set(sig.covered)
    if "@method" not in covered:
        raise InsufficientCoverage('The signature must cover "@method"')
    if "@target-uri" not in covered and not (
        "@authority" in covered and covered & {"@path", "@request-target"}
    ):
        raise InsufficientCoverage('The signature must cover "@target-uri"')
    content_digest = get_header(headers, "content-digest")
    if method.upper() == "POST" and "content-digest" not in covered:
        raise InsufficientCoverage('The signature must cover "content-digest" on POST requests')
    if content_digest is not None:
        try:
            verify_content_digest(content_digest, body)
        except DigestError as exc:
            raise DigestInvalid(exc.reason) from exc
    elif "content-digest" in covered:
        raise DigestInvalid("Content-Digest header is signed but missing")
    created = from_timestamp(sig.created)
    if check_time:
        expires = from_timestamp(sig.expires) if sig.expires is not None else None
        check_time_window(created, expires, now or utcnow())
    return created


def verify_signature(
    sig: RFC9421Signature,
    method: str,
    url: str,
    headers: Headers,
    key: str | PublicKey,
) -> str:
    """Check the signature bytes with ``key``; return the algorithm that verified.

    ``url`` is the absolute URL the request was sent to (``@target-uri``). The algorithm
    comes from ``alg`` or, when absent, from the key type (RSA: v1.5/SHA-256, then
    PSS/SHA-512). Raises ``VerificationFailed``.
    """
    public_key = coerce_public_key(key)
    data = signature_base(sig.components, sig.params, method, url, headers).encode("ascii")
    if sig.alg is not None:
        candidates: tuple[str, ...] = (sig.alg,)
    elif isinstance(public_key, rsa.RSAPublicKey):
        candidates = ("rsa-v1_5-sha256", "rsa-pss-sha512")
    else:
        candidates = ("ed25519",)
    for algorithm in candidates:
        if algorithm not in ALGORITHMS:
            raise UnsupportedAlgorithm(f"Unsupported signature algorithm {algorithm!r}")
        if _verify_bytes(public_key, algorithm, data, sig.signature):
            return algorithm
    raise VerificationFailed(f"Verification failed for {sig.key_id} using {candidates[0]}")


def verify_request(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    key: str | PublicKey | KeyResolver,
    *,
    now: datetime | None = None,
    check_time: bool = True,
) -> RFC9421Verified:
    """Parse, check and verify in one go. ``key`` is a PEM/key or ``keyid -> key`` callable."""
    sig = parse_signature(headers)
    created = check_request(sig, method, headers, body, now=now, check_time=check_time)
    key_id = sig.key_id or ""
    resolved = key(key_id) if callable(key) else key
    algorithm = verify_signature(sig, method, url, headers, resolved)
    return RFC9421Verified(
        key_id=key_id,
        algorithm=algorithm,
        covered=sig.covered,
        created=created,
        label=sig.label,
    )

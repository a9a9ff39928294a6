"""Outgoing federation HTTP: signed fetches and deliveries over one pooled httpx client.

- timeouts (connect 5 s, read 10 s), a per-host concurrency limit, a response size cap
  enforced while streaming;
- redirects followed here (at most 3), with the SSRF guard run on every hop;
- ``Accept`` for ActivityPub on fetches and a content-type check on the answer;
- double-knock: sign with draft-cavage first, on a 401 re-sign with RFC 9421 (or the
  other way round for a host known to want RFC 9421), and remember per host what worked;
- httpx errors mapped to the ``FetchError`` tree below.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from federation import addresses
from federation.signatures import Scheme, sign
from federation.signatures._common import ACTIVITY_JSON, AP_ACCEPT, host_of

__all__ = [
    "ACTIVITY_JSON",
    "AP_ACCEPT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "AddressCheck",
    "BlockedAddressError",
    "ConnectionFailed",
    "DeliveryResult",
    "FederationClient",
    "FetchError",
    "FetchedBytes",
    "FetchedJSON",
    "HTTPStatusError",
    "NotActivityJSON",
    "ResponseTooLarge",
    "Signer",
    "Timeout",
    "TooManyRedirects",
    "map_http_errors",
    "user_agent",
]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, read=10.0)
DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_PER_HOST = 8
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_AP_CONTENT_TYPES = frozenset({"application/activity+json", "application/ld+json"})
_JSON_CONTENT_TYPES = _AP_CONTENT_TYPES | {"application/json", "application/jrd+json"}

#: ``await check(host, port)``; raises ``addresses.AddressError`` to refuse the host.
AddressCheck = Callable[[str, int], Awaitable[Any]]


# --------------------------------------------------------------------------- errors


class FetchError(Exception):
    """Base class of outgoing HTTP failures; ``reason`` says why, ``url`` where."""

    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url


class Timeout(FetchError):
    """Connect, read, write or pool timeout."""


class ConnectionFailed(FetchError):
    """DNS, TCP, TLS or protocol failure."""


class HTTPStatusError(FetchError):
    """The final response had a non-2xx status."""

    def __init__(self, reason: str, url: str | None = None, *, status: int) -> None:
        super().__init__(reason, url)
        self.status = status


class ResponseTooLarge(FetchError):
    """The body exceeded the size cap (the transfer was aborted)."""


class TooManyRedirects(FetchError):
    """More redirects than allowed, or a redirect to a non-http(s) URL."""


class BlockedAddressError(FetchError, addresses.BlockedAddressError):
    """The SSRF guard refused the host (also an ``addresses.BlockedAddressError``)."""

    def __init__(self, reason: str, url: str | None = None) -> None:
        FetchError.__init__(self, reason, url)


class NotActivityJSON(FetchError):
    """The answer is not (ActivityPub) JSON."""


@contextlib.contextmanager
def map_address_errors(url: str) -> Iterator[None]:
    """The SSRF guard's refusals as this module's errors."""
    try:
        yield
    except addresses.BlockedAddressError as exc:
        raise BlockedAddressError(exc.reason, url) from exc
    except addresses.AddressError as exc:
        raise ConnectionFailed(exc.reason, url) from exc


@contextlib.contextmanager
def map_http_errors(url: str) -> Iterator[None]:
    """Translate httpx (and stray OS) exceptions into the ``FetchError`` tree."""
    try:
        yield
    except FetchError:
        raise
    except httpx.TimeoutException as exc:
        raise Timeout(f"timed out ({type(exc).__name__}) for {url}", url) from exc
    except httpx.TooManyRedirects as exc:
        raise TooManyRedirects(f"too many redirects for {url}", url) from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise ConnectionFailed(f"connection failed ({type(exc).__name__}) for {url}", url) from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL {url!r}", url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"HTTP error ({type(exc).__name__}) for {url}", url) from exc
    except OSError as exc:
        raise ConnectionFailed(f"connection failed ({type(exc).__name__}) for {url}", url) from exc


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs a request: the key's id and its private key PEM."""

    key_id: str
    private_key_pem: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of ``post_activity``: final status and the signature scheme used."""

    url: str
    status_code: int
    scheme: Scheme
    attempts: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Worth retrying later (5xx, 408, 429)."""
        return self.status_code >= 500 or self.status_code in (408, 429)


@dataclass(frozen=True, slots=True)
class FetchedJSON:
    """A fetched JSON document and the URL it finally came from (after redirects)."""

    url: str
    data: Any
    content_type: str
    status_code: int
    scheme: Scheme | None  # signature scheme used, None if unsigned


@dataclass(frozen=True, slots=True)
class FetchedBytes:
    """A fetched document of any type, as bytes, with its final URL and headers."""

    url: str
    status_code: int
    headers: httpx.Headers
    body: bytes


@dataclass(frozen=True, slots=True)
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes


def user_agent(version: str, domain: str, *, scheme: str = "https") -> str:
    """``fedianon/<version> (+https://<domain>/)``."""
    return f"fedianon/{version} (+{scheme}://{domain}/)"


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _other(scheme: Scheme) -> Scheme:
    return "rfc9421" if scheme == "cavage" else "cavage"


# --------------------------------------------------------------------------- client


class FederationClient:
    """Signed ActivityPub HTTP over one injected, pooled ``httpx.AsyncClient``.

    ``allow_private=False`` runs ``addresses.check_host`` (with ``resolver`` if given) on
    every host and redirect hop; ``address_check`` replaces that check entirely.
    ``known_schemes`` seeds the per-host signature scheme memory (e.g. from a database).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        user_agent: str,
        allow_private: bool = False,
        resolver: addresses.Resolver | None = None,
        address_check: AddressCheck | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        per_host_limit: int = DEFAULT_PER_HOST,
        known_schemes: Mapping[str, Scheme] | None = None,
    ) -> None:
        self.http = http
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host_limit = per_host_limit
        if address_check is not None:
            self._address_check: AddressCheck | None = address_check
        elif allow_private:
            self._address_check = None
        else:

            async def guard(host: str, port: int) -> Any:
                return await addresses.check_host(
                    host, allow_private=False, port=port, resolver=resolver
                )

            self._address_check = guard
        self._schemes: dict[str, Scheme] = dict(known_schemes or {})
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    # --- scheme memory ---

    def known_scheme(self, host: str) -> Scheme | None:
        """The signature scheme that last worked for ``host`` (``host[:port]``)."""
        return self._schemes.get(host.lower())

    def remember_scheme(self, host: str, scheme: Scheme) -> None:
        self._schemes[host.lower()] = scheme

    # --- public API ---

    async def fetch_json(
        self,
        url: str,
        *,
        signer: Signer | None = None,
        accept: str = AP_ACCEPT,
        require_activity_json: bool = True,
        max_bytes: int | None = None,
    ) -> FetchedJSON:
        """GET ``url`` (signed when ``signer`` is given), following at most
        ``max_redirects`` redirects, and decode the JSON body.

        Raises ``HTTPStatusError`` for a non-2xx answer and ``NotActivityJSON`` when the
        content type is not ActivityPub JSON (any JSON when ``require_activity_json`` is
        False) or the body does not decode.
        """
        current = url
        redirects = 0
        while True:
            response, scheme, _ = await self._knock(
                "GET", current, None, signer, accept=accept, max_bytes=max_bytes
            )
            if response.status not in _REDIRECTS:
                break
            location = response.headers.get("location")
            if not location:
                raise HTTPStatusError(
                    f"HTTP {response.status} without Location from {current}",
                    current,
                    status=response.status,
                )
            if redirects >= self.max_redirects:
                raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}", url)
            redirects += 1
            with map_http_errors(current):
                current = str(httpx.URL(current).join(location))
        if not 200 <= response.status < 300:
            raise HTTPStatusError(
                f"HTTP {response.status} from {current}", current, status=response.status
            )
        media_type = _media_type(response.headers)
        allowed = _AP_CONTENT_TYPES if require_activity_json else _JSON_CONTENT_TYPES
        if media_type not in allowed and not (
            not require_activity_json and media_type.endswith("+json")
        ):
            raise NotActivityJSON(f"unexpected content type {media_type!r} from {current}", current)
        try:
            data = json.loads(response.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise NotActivityJSON(f"response from {current} is not valid JSON", current) from exc
        return FetchedJSON(
            url=current,
            data=data,
            content_type=media_type,
            status_code=response.status,
            scheme=scheme,
        )

    async def post_activity(
        self,
        inbox_url: str,
        body: bytes,
        *,
        signer: Signer,
        content_type: str = ACTIVITY_JSON,
    ) -> DeliveryResult:
        """POST an activity with double-knock signing; redirects are not followed.

        Any HTTP status is returned in the result (check ``ok``/``retryable``); network
        failures, timeouts and refused addresses raise ``FetchError`` subclasses.
        """
        response, scheme, attempts = await self._knock(
            "POST", inbox_url, body, signer, content_type=content_type, max_bytes=64 * 1024
        )
        assert scheme is not None
        return DeliveryResult(
            url=inbox_url, status_code=response.status, scheme=scheme, attempts=attempts
        )

    async def fetch_bytes(
        self,
        url: str,
        *,
        accept: str = "*/*",
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchedBytes:
        """An unsigned GET of any document (a blocklist file, say): redirects followed with
        the SSRF guard on every hop, size capped. Any status is returned (304 included)."""
        current = url
        for _ in range(self.max_redirects + 1):
            response = await self._send(
                "GET",
                current,
                None,
                None,
                None,
                accept=accept,
                content_type=None,
                max_bytes=max_bytes,
                extra_headers=headers,
            )
            if response.status not in _REDIRECTS:
                return FetchedBytes(
                    url=current,
                    status_code=response.status,
                    headers=response.headers,
                    body=response.body,
                )
            location = response.headers.get("location")
            if not location:
                raise HTTPStatusError(
                    f"HTTP {response.status} without Location from {current}",
                    current,
                    status=response.status,
                )
            with map_http_errors(current):
                current = str(httpx.URL(current).join(location))
        raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}", url)

    # --- internals ---

    async def _knock(
        self,
        method: str,
        url: str,
        body: bytes | None,
        signer: Signer | None,
        *,
        accept: str | None = None,
        content_type: str | None = None,
        max_bytes: int | None = None,
    ) -> tuple[_Response, Scheme | None, int]:
        """One request; when signed and answered 401, re-sign with the other scheme.

        Returns the final response, the scheme it was signed with and the attempt count.
        """
        if signer is None:
            response = await self._send(
                method,
                url,
                body,
                None,
                None,
                accept=accept,
                content_type=content_type,
                max_bytes=max_bytes,
            )
            return response, None, 1
        host = host_of(url)
        first: Scheme = self.known_scheme(host) or "cavage"
        response = await self._send(
            method,
            url,
            body,
            signer,
            first,
            accept=accept,
            content_type=content_type,
            max_bytes=max_bytes,
        )
        if response.status != 401:
            if 200 <= response.status < 300 and self.known_scheme(host) is None:
                self.remember_scheme(host, first)
            return response, first, 1
        second = _other(first)
        retry = await self._send(
            method,
            url,
            body,
            signer,
            second,
            accept=accept,
            content_type=content_type,
            max_bytes=max_bytes,
        )
        if 200 <= retry.status < 300:
            self.remember_scheme(host, second)
        return retry, second, 2

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        semaphore = self._semaphores.get(host)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.per_host_limit)
            self._semaphores[host] = semaphore
        return semaphore

    async def _check(self, url: str, target: httpx.URL) -> None:
        if self._address_check is None:
            return
        with map_address_errors(url):
            await self._address_check(target.host, target.port or _default_port(target.scheme))

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        signer: Signer | None,
        scheme: Scheme | None,
        *,
        accept: str | None,
        content_type: str | None,
        max_bytes: int | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _Response:
        with map_http_errors(url):
            target = httpx.URL(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchError(f"unsupported URL {url!r}", url)
        await self._check(url, target)
        headers: dict[str, str] = {"User-Agent": self.user_agent, **(extra_headers or {})}
        if accept:
            headers["Accept"] = accept
        if content_type and body is not None:
            headers["Content-Type"] = content_type
        if signer is not None and scheme is not None:
            headers.update(
                sign(scheme, method, url, headers, body, signer.key_id, signer.private_key_pem)
            )
        limit = self.max_bytes if max_bytes is None else max_bytes
        async with self._semaphore(host_of(url)):
            # a guarded transport (federation.guarded_transport) re-checks at connect time
            with map_address_errors(url), map_http_errors(url):
                request = self.http.build_request(
                    method, target, headers=headers, content=body, timeout=self.timeout
                )
                response = await self.http.send(request, stream=True, follow_redirects=False)
                try:
                    if response.status_code in _REDIRECTS:
                        data = b""
                    else:
                        data = await _read_capped(response, limit, url)
                finally:
                    await response.aclose()
        return _Response(url=url, status=response.status_code, headers=response.headers, body=data)


def _default_port(scheme: str) -> int:
    return 80 if scheme == "http" else 443


async def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"response from {url} declares {declared} bytes (cap {limit})", url)
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) > limit:
            raise ResponseTooLarge(f"response from {url} exceeds {limit} bytes", url)
    return bytes(buffer)

"""WebFinger (RFC 7033): resource parsing, JRD building for local accounts, JRD reading
and the remote lookup ``acct:user@host`` -> ActivityPub actor URL."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import httpx

from federation.client import FederationClient, FetchError

__all__ = [
    "ACTIVITY_JSON",
    "JRD",
    "JRD_CONTENT_TYPE",
    "PROFILE_PAGE_REL",
    "SUBSCRIBE_REL",
    "Acct",
    "InvalidJRD",
    "InvalidResource",
    "JRDLink",
    "LookupFailed",
    "Resource",
    "UrlResource",
    "WebFingerError",
    "WebFingerResult",
    "build_jrd",
    "default_scheme_for_host",
    "lookup",
    "parse_acct",
    "parse_jrd",
    "parse_resource",
    "webfinger_url",
]

JRD_CONTENT_TYPE = "application/jrd+json"
ACTIVITY_JSON = "application/activity+json"
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
_AP_TYPES = {
    "application/activity+json",
    'application/ld+json;profile="https://www.w3.org/ns/activitystreams"',
}
_USER_RE = re.compile(r"^[^\s@/?#:]+$")
_HOST_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
MAX_JRD_BYTES = 256 * 1024


class WebFingerError(Exception):
    """Base class; ``reason`` is a human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidResource(WebFingerError):
    """The ``resource`` is not an acct: URI, a user@host handle or an http(s) URL."""


class InvalidJRD(WebFingerError):
    """The JRD is malformed or has no ActivityPub ``self`` link."""


class LookupFailed(WebFingerError):
    """The remote WebFinger request failed (network, status, size, content)."""


@dataclass(frozen=True, slots=True)
class Acct:
    """``user@host`` where ``host`` is lowercased and may carry ``:port``."""

    user: str
    host: str

    @property
    def resource(self) -> str:
        return f"acct:{self.user}@{self.host}"

    @property
    def domain(self) -> str:
        """The host without its port."""
        return _split_port(self.host)[0]

    @property
    def port(self) -> int | None:
        return _split_port(self.host)[1]

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"


@dataclass(frozen=True, slots=True)
class UrlResource:
    """An http(s) URL given as ``resource`` (an actor or profile URL)."""

    url: str

    @property
    def host(self) -> str:
        parts = urlsplit(self.url)
        return parts.netloc.lower()


Resource = Acct | UrlResource


def _split_port(host: str) -> tuple[str, int | None]:
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :]
        return host[: end + 1], int(rest[1:]) if rest.startswith(":") else None
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        return name, int(port)
    return host, None


def _valid_host(host: str) -> str:
    """Validate ``host[:port]`` and return it lowercased."""
    host = host.strip().lower()
    if not host or len(host) > 261:
        raise InvalidResource("empty or overlong host")
    name, port_text = host, None
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise InvalidResource(f"invalid host {host!r}")
        name, rest = host[1:end], host[end + 1 :]
        try:
            ipaddress.IPv6Address(name)
        except ValueError as exc:
            raise InvalidResource(f"invalid IPv6 address {name!r}") from exc
        if rest:
            if not rest.startswith(":"):
                raise InvalidResource(f"invalid host {host!r}")
            port_text = rest[1:]
    else:
        if host.count(":") > 1:
            raise InvalidResource(f"invalid host {host!r} (IPv6 needs brackets)")
        if ":" in host:
            name, port_text = host.split(":", 1)
        labels = name.rstrip(".").split(".")
        if not all(_HOST_LABEL_RE.match(label) for label in labels):
            raise InvalidResource(f"invalid host {name!r}")
    valid_port = port_text is None or (
        port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536
    )
    if not valid_port:
        raise InvalidResource(f"invalid port in {host!r}")
    return host


def parse_acct(value: str) -> Acct:
    """``acct:user@host[:port]``, ``user@host`` or ``@user@host`` -> ``Acct``."""
    if not isinstance(value, str):
        raise InvalidResource("resource must be a string")
    text = value.strip()
    if text.lower().startswith("acct:"):
        text = unquote(text[5:])
    text = text.removeprefix("@")
    user, sep, host = text.rpartition("@")
    if not sep or not user or not host:
        raise InvalidResource(f"{value!r} is not of the form user@host")
    if not _USER_RE.match(user):
        raise InvalidResource(f"invalid user name {user!r}")
    return Acct(user=user, host=_valid_host(host))


def parse_resource(value: str) -> Resource:
    """Parse a WebFinger ``resource``: an acct form (see ``parse_acct``) or an http(s) URL."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidResource("missing resource")
    if len(value) > 2048:
        raise InvalidResource("resource is too long")
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")):
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise InvalidResource(f"invalid URL {text!r}") from exc
        if not parts.hostname:
            raise InvalidResource(f"URL {text!r} has no host")
        return UrlResource(url=text)
    if ":" in text.split("@", 1)[0] and not lowered.startswith("acct:"):
        raise InvalidResource(f"unsupported resource scheme in {text!r}")
    return parse_acct(text)


def build_jrd(
    acct: Acct,
    actor_url: str,
    *,
    profile_url: str | None = None,
    subscribe_template: str | None = None,
    aliases: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The JRD for a local account (serve it as ``application/jrd+json``).

    ``subscribe_template`` is e.g. ``https://host/authorize_interaction?uri={uri}``.
    """
    links: list[dict[str, str]] = [
        {"rel": "self", "type": ACTIVITY_JSON, "href": actor_url},
    ]
    if profile_url:
        links.insert(0, {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url})
    if subscribe_template:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe_template})
    if aliases is None:
        aliases = [u for u in (profile_url, actor_url) if u]
    return {"subject": acct.resource, "aliases": list(aliases), "links": links}


@dataclass(frozen=True, slots=True)
class JRDLink:
    rel: str
    type: str | None = None
    href: str | None = None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class JRD:
    subject: str | None
    aliases: tuple[str, ...]
    links: tuple[JRDLink, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def actor_url(self) -> str | None:
        """The ``self`` link of an ActivityPub type (activity+json or AS2 ld+json)."""
        for link in self.links:
            if link.rel == "self" and link.href and _is_ap_type(link.type):
                return link.href
        return None

    @property
    def profile_page(self) -> str | None:
        for link in self.links:
            if link.rel == PROFILE_PAGE_REL and link.href:
                return link.href
        return None

    @property
    def subscribe_template(self) -> str | None:
        for link in self.links:
            if link.rel == SUBSCRIBE_REL and link.template:
                return link.template
        return None


def _is_ap_type(value: str | None) -> bool:
    if not value:
        return False
    compact = "".join(value.split()).lower().replace("'", '"')
    return compact in _AP_TYPES


def parse_jrd(document: Any) -> JRD:
    """Read a JRD tolerantly; links without ``rel`` and non-string fields are skipped."""
    if not isinstance(document, dict):
        raise InvalidJRD("JRD is not a JSON object")
    subject = document.get("subject")
    aliases_raw = document.get("aliases")
    aliases = (
        tuple(a for a in aliases_raw[:100] if isinstance(a, str))
        if isinstance(aliases_raw, list)
        else ()
    )
    links: list[JRDLink] = []
    raw_links = document.get("links")
    for item in raw_links[:200] if isinstance(raw_links, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("rel"), str):
            continue
        links.append(
            JRDLink(
                rel=item["rel"],
                type=item.get("type") if isinstance(item.get("type"), str) else None,
                href=item.get("href") if isinstance(item.get("href"), str) else None,
                template=item.get("template") if isinstance(item.get("template"), str) else None,
            )
        )
    return JRD(
        subject=subject if isinstance(subject, str) else None,
        aliases=aliases,
        links=tuple(links),
        raw=document,
    )


def default_scheme_for_host(host: str) -> str:
    """``http`` for a loopback host with an explicit port (local labs), else ``https``."""
    try:
        name, port = _split_port(host.lower())
    except ValueError:
        return "https"
    if port is None:
        return "https"
    name = name.strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return "http"
    try:
        return "http" if ipaddress.ip_address(name).is_loopback else "https"
    except ValueError:
        return "https"


def webfinger_url(acct: Acct, *, scheme: str = "https") -> str:
    query = urlencode({"resource": acct.resource})
    return f"{scheme}://{acct.host}/.well-known/webfinger?{query}"


@dataclass(frozen=True, slots=True)
class WebFingerResult:
    acct: Acct
    actor_url: str
    jrd: JRD


async def lookup(
    client: httpx.AsyncClient | FederationClient,
    acct: Acct | str,
    *,
    scheme_for_host: Callable[[str], str] = default_scheme_for_host,
    user_agent: str | None = None,
    max_bytes: int = MAX_JRD_BYTES,
) -> WebFingerResult:
    """GET ``/.well-known/webfinger?resource=acct:…`` and return the actor URL.

    With a ``FederationClient`` the request goes through its SSRF guard, redirect limit
    and timeouts (use this for untrusted hosts); with a bare ``httpx.AsyncClient`` it
    follows the client's redirect policy. The body is capped at ``max_bytes``. Raises
    ``LookupFailed`` or ``InvalidJRD``.
    """
    target = parse_acct(acct) if isinstance(acct, str) else acct
    url = webfinger_url(target, scheme=scheme_for_host(target.host))
    accept = f"{JRD_CONTENT_TYPE}, application/json"
    if isinstance(client, FederationClient):
        try:
            fetched = await client.fetch_json(
                url, accept=accept, require_activity_json=False, max_bytes=max_bytes
            )
        except FetchError as exc:
            raise LookupFailed(f"WebFinger for {target} failed: {exc.reason}") from exc
        return _result(target, fetched.data)
    headers = {"Accept": accept}
    if user_agent:
        headers["User-Agent"] = user_agent
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code != 200:
                raise LookupFailed(f"WebFinger for {target} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise LookupFailed(f"WebFinger response for {target} is too large")
    except httpx.HTTPError as exc:
        raise LookupFailed(f"WebFinger for {target} failed: {type(exc).__name__}") from exc
    try:
        document = json.loads(bytes(body))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidJRD(f"WebFinger response for {target} is not JSON") from exc
    return _result(target, document)


def _result(target: Acct, document: Any) -> WebFingerResult:
    jrd = parse_jrd(document)
    actor_url = jrd.actor_url
    if actor_url is None:
        raise InvalidJRD(f"WebFinger response for {target} has no ActivityPub self link")
    return WebFingerResult(acct=target, actor_url=actor_url, jrd=jrd)

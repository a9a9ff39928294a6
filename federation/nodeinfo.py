"""NodeInfo: the ``/.well-known/nodeinfo`` discovery document, NodeInfo 2.0/2.1
documents for this server, and tolerant reading of other servers' ones."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "NODEINFO_20",
    "NODEINFO_21",
    "NodeInfo",
    "NodeInfoError",
    "NodeInfoLink",
    "Usage",
    "build_discovery",
    "build_nodeinfo",
    "parse_discovery",
    "parse_nodeinfo",
    "pick_nodeinfo_url",
]

NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
_SCHEMA_RE = re.compile(r"^https?://nodeinfo\.diaspora\.software/ns/schema/(\d+)\.(\d+)/?$")
_SOFTWARE_NAME_RE = re.compile(r"^[a-z0-9-]+$")
CONTENT_TYPE_20 = f'application/json; profile="{NODEINFO_20}#"'
CONTENT_TYPE_21 = f'application/json; profile="{NODEINFO_21}#"'


class NodeInfoError(Exception):
    """A NodeInfo document is unusable (or one we build would be invalid)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Usage:
    users_total: int
    active_month: int
    active_halfyear: int
    local_posts: int


def build_discovery(base_url: str) -> dict[str, Any]:
    """``/.well-known/nodeinfo``: links to ``{base_url}/nodeinfo/2.0`` and ``/2.1``."""
    base = base_url.rstrip("/")
    return {
        "links": [
            {"rel": NODEINFO_20, "href": f"{base}/nodeinfo/2.0"},
            {"rel": NODEINFO_21, "href": f"{base}/nodeinfo/2.1"},
        ]
    }


def build_nodeinfo(
    version: Literal["2.0", "2.1"],
    *,
    software_name: str,
    software_version: str,
    usage: Usage,
    open_registrations: bool,
    repository: str | None = None,
    homepage: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    protocols: Sequence[str] = ("activitypub",),
    inbound_services: Sequence[str] = (),
    outbound_services: Sequence[str] = (),
) -> dict[str, Any]:
    """A NodeInfo 2.0 or 2.1 document (2.0 has no ``repository``/``homepage``)."""
    if version not in ("2.0", "2.1"):
        raise NodeInfoError(f"unsupported NodeInfo version {version!r}")
    if not _SOFTWARE_NAME_RE.match(software_name):
        raise NodeInfoError("software name must match ^[a-z0-9-]+$")
    software: dict[str, Any] = {"name": software_name, "version": software_version}
    if version == "2.1":
        if repository:
            software["repository"] = repository
        if homepage:
            software["homepage"] = homepage
    return {
        "version": version,
        "software": software,
        "protocols": list(protocols),
        "services": {"inbound": list(inbound_services), "outbound": list(outbound_services)},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": dict(metadata or {}),
    }


@dataclass(frozen=True, slots=True)
class NodeInfoLink:
    rel: str
    href: str
    version: tuple[int, int] | None  # parsed from the schema rel, e.g. (2, 1)


def parse_discovery(document: Any) -> tuple[NodeInfoLink, ...]:
    """The links of a ``/.well-known/nodeinfo`` document (unknown rels kept, version None)."""
    if not isinstance(document, dict):
        raise NodeInfoError("NodeInfo discovery document is not a JSON object")
    out = []
    links = document.get("links")
    for item in links[:50] if isinstance(links, list) else []:
        if not isinstance(item, dict):
            continue
        rel, href = item.get("rel"), item.get("href")
        if not isinstance(rel, str) or not isinstance(href, str):
            continue
        match = _SCHEMA_RE.match(rel.strip())
        version = (int(match.group(1)), int(match.group(2))) if match else None
        out.append(NodeInfoLink(rel=rel, href=href, version=version))
    return tuple(out)


def pick_nodeinfo_url(document: Any) -> str | None:
    """The href of the highest NodeInfo schema version listed, or ``None``."""
    links = [link for link in parse_discovery(document) if link.version is not None]
    if not links:
        return None
    return max(links, key=lambda link: link.version or (0, 0)).href


@dataclass(frozen=True, slots=True)
class NodeInfo:
    version: str | None
    software_name: str
    software_version: str | None
    protocols: tuple[str, ...]
    open_registrations: bool | None
    users_total: int | None
    active_month: int | None
    local_posts: int | None
    metadata: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False, compare=False)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_nodeinfo(document: Any) -> NodeInfo:
    """Read a NodeInfo 1.x/2.x document; only ``software.name`` is required.

    The name is lowercased and stripped (``Mobilizon`` -> ``mobilizon``).
    """
    if not isinstance(document, dict):
        raise NodeInfoError("NodeInfo document is not a JSON object")
    software = document.get("software")
    if not isinstance(software, dict):
        raise NodeInfoError("NodeInfo document has no software object")
    name = software.get("name")
    if not isinstance(name, str) or not name.strip():
        raise NodeInfoError("NodeInfo document has no software.name")
    version = software.get("version")
    protocols_raw = document.get("protocols")
    if isinstance(protocols_raw, dict):  # NodeInfo 1.x: {"inbound": [...], "outbound": [...]}
        merged: list[Any] = []
        for direction in ("inbound", "outbound"):
            entries = protocols_raw.get(direction)
            if isinstance(entries, list):
                merged += entries[:50]
        protocols_raw = merged
    protocols = (
        tuple(dict.fromkeys(p for p in protocols_raw[:50] if isinstance(p, str)))
        if isinstance(protocols_raw, list)
        else ()
    )
    usage_raw = document.get("usage")
    usage: dict[str, Any] = usage_raw if isinstance(usage_raw, dict) else {}
    users_raw = usage.get("users")
    users: dict[str, Any] = users_raw if isinstance(users_raw, dict) else {}
    registrations = document.get("openRegistrations")
    metadata = document.get("metadata")
    doc_version = document.get("version")
    return NodeInfo(
        version=doc_version if isinstance(doc_version, str) else None,
        software_name=name.strip().lower(),
        software_version=version if isinstance(version, str) else None,
        protocols=protocols,
        open_registrations=registrations if isinstance(registrations, bool) else None,
        users_total=_count(users.get("total")),
        active_month=_count(users.get("activeMonth")),
        local_posts=_count(usage.get("localPosts")),
        metadata=metadata if isinstance(metadata, dict) else {},
        raw=document,
    )

"""Mastodon entities: one serializer per entity, fields and types as clients rely on them
(ids as strings, `YYYY-MM-DDTHH:MM:SS.sssZ` datetimes, `last_status_at` as a date)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fedianon.models.accounts import ROLE_ADMIN, ROLE_MODERATOR, Account
from fedianon.models.moderation import AccountWarning, Report
from fedianon.models.oauth import Application
from fedianon.timeutil import date_only, iso
from fedianon.urls import LocalUrls

DEFAULT_AVATAR = "/static/avatar-missing.png"
DEFAULT_HEADER = "/static/header-missing.png"

ROLE_ENTITIES = {
    ROLE_ADMIN: {"id": "3", "name": "Admin", "permissions": "1", "color": "", "highlighted": True},
    ROLE_MODERATOR: {
        "id": "2",
        "name": "Moderator",
        "permissions": "1308",
        "color": "",
        "highlighted": True,
    },
}
USER_ROLE = {"id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": False}


def _day(value: datetime) -> str | None:
    """Mastodon shows only the day an account was created (midnight UTC)."""
    day = value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return iso(day)


def _image(urls: LocalUrls, path: str | None, remote: str | None, default: str) -> str:
    if path:
        return urls.media(path)
    if remote:
        return remote
    return urls.base + default


def account(acc: Account, urls: LocalUrls) -> dict[str, Any]:
    avatar = _image(urls, acc.avatar_path, acc.avatar_remote_url, DEFAULT_AVATAR)
    header = _image(urls, acc.header_path, acc.header_remote_url, DEFAULT_HEADER)
    entity: dict[str, Any] = {
        "id": str(acc.id),
        "username": acc.username,
        "acct": acc.acct,
        "display_name": acc.display_name,
        "locked": acc.locked,
        "bot": acc.bot,
        "discoverable": acc.discoverable,
        "indexable": acc.indexable,
        "group": acc.group,
        "created_at": _day(acc.created_at),
        "note": acc.note,
        "url": acc.url or acc.uri,
        "uri": acc.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": max(0, acc.followers_count),
        "following_count": max(0, acc.following_count),
        "statuses_count": max(0, acc.statuses_count),
        "last_status_at": date_only(acc.last_status_at),
        "hide_collections": acc.hide_collections,
        "noindex": not acc.indexable,
        "emojis": acc.emojis or [],
        "roles": [],
        "fields": [
            {
                "name": f.get("name", ""),
                "value": f.get("value", ""),
                "verified_at": f.get("verified_at"),
            }
            for f in (acc.fields_json or [])
            if isinstance(f, dict)
        ],
    }
    if acc.moved_to is not None:
        entity["moved"] = account(acc.moved_to, urls)
    if acc.suspended_at is not None:
        entity["suspended"] = True
    if acc.silenced_at is not None:
        entity["limited"] = True
    return entity


def role(acc: Account) -> dict[str, Any]:
    return dict(ROLE_ENTITIES.get(acc.role, USER_ROLE))


def credential_account(
    acc: Account, urls: LocalUrls, *, follow_requests_count: int = 0
) -> dict[str, Any]:
    entity = account(acc, urls)
    entity["source"] = {
        "privacy": acc.default_visibility,
        "sensitive": acc.default_sensitive,
        "language": acc.default_language or "",
        "note": acc.note_source,
        "fields": [
            {"name": f["name"], "value": f["value"], "verified_at": None} for f in entity["fields"]
        ],
        "follow_requests_count": follow_requests_count,
        "discoverable": acc.discoverable,
        "hide_collections": acc.hide_collections,
        "indexable": acc.indexable,
        "attribution_domains": [],
        "quote_policy": "public",
    }
    entity["role"] = role(acc)
    return entity


def application(app: Application, *, with_secret: bool = False) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(app.redirect_uri_list),
        "redirect_uris": app.redirect_uri_list,
        "vapid_key": "",
    }
    if with_secret:
        entity["client_id"] = app.client_id
        entity["client_secret"] = app.client_secret
        entity["client_secret_expires_at"] = 0
    return entity


def admin_account(acc: Account, urls: LocalUrls) -> dict[str, Any]:
    """Mastodon's Admin::Account. fedianon keeps no e-mail or IP address, so there is none to
    show: `email` is empty (null for remote accounts, as Mastodon), `ip` null, `ips` empty."""
    local = acc.domain is None
    return {
        "id": str(acc.id),
        "username": acc.username,
        "domain": acc.domain,
        "created_at": iso(acc.created_at),
        "email": "" if local else None,
        "ip": None,
        "ips": [],
        "locale": (acc.default_language or "") if local else None,
        "invite_request": None,
        "role": role(acc) if local else None,
        "confirmed": local,
        "approved": local,
        "disabled": acc.disabled_at is not None,
        "silenced": acc.silenced_at is not None,
        "suspended": acc.suspended_at is not None,
        "sensitized": acc.sensitized_at is not None,
        "account": account(acc, urls),
    }


def moderation_warning(warning: AccountWarning, target: Account, urls: LocalUrls) -> dict[str, Any]:
    """Mastodon's AccountWarning (the `moderation_warning` of its notification); appeals are
    not offered, so `appeal` is always null."""
    return {
        "id": str(warning.id),
        "action": warning.action,
        "text": warning.text,
        "status_ids": [str(i) for i in warning.status_ids or []],
        "target_account": account(target, urls),
        "appeal": None,
        "created_at": iso(warning.created_at),
    }


def report(rep: Report, target: Account, urls: LocalUrls) -> dict[str, Any]:
    """Mastodon's user-facing Report (also the `report` of `admin.report` notifications)."""
    return {
        "id": str(rep.id),
        "action_taken": rep.action_taken_at is not None,
        "action_taken_at": iso(rep.action_taken_at),
        "category": rep.category,
        "comment": rep.comment,
        "forwarded": rep.forwarded,
        "created_at": iso(rep.created_at),
        "status_ids": [str(i) for i in rep.status_ids or []],
        "rule_ids": [str(i) for i in rep.rule_ids] if rep.rule_ids else None,
        "target_account": account(target, urls),
    }

"""Model -> ActivityStreams 2.0 documents, as Mastodon renders them (so every peer that talks
to Mastodon understands us). Pure functions over loaded models; no queries here."""

from __future__ import annotations

from typing import Any

from federation.activitystreams import PUBLIC
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.statuses import Status, Tag
from fedianon.timeutil import iso_seconds
from fedianon.urls import LocalUrls

CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "suspended": "toot:suspended",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "votersCount": "toot:votersCount",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "fedianon": "https://fedianon.invalid/ns#",
        "blocklist": {"@id": "fedianon:blocklist", "@type": "@id"},
        "severity": "fedianon:severity",
    },
]


def followers_url(account: Account) -> str:
    return account.followers_url or f"{account.uri}/followers"


def addressing(
    status: Status, author: Account, mentioned: list[Account]
) -> tuple[list[str], list[str]]:
    mentions = [a.uri for a in mentioned]
    followers = followers_url(author)
    if status.visibility == "public":
        return [PUBLIC], [followers, *mentions]
    if status.visibility == "unlisted":
        return [followers], [PUBLIC, *mentions]
    if status.visibility == "private":
        return [followers], mentions
    return mentions, []


def media_document(media: MediaAttachment, urls: LocalUrls) -> dict[str, Any]:
    url = urls.media(media.file_path) if media.file_path else media.remote_url
    document: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.content_type or "image/jpeg",
        "url": url,
        "name": media.description,
        "blurhash": media.blurhash,
        "focalPoint": [media.focus_x, media.focus_y],
    }
    original = (media.meta or {}).get("original") or {}
    if original.get("width"):
        document["width"], document["height"] = original["width"], original["height"]
    return document


def note(
    status: Status,
    author: Account,
    *,
    mentioned: list[Account],
    tags: list[Tag],
    media: list[MediaAttachment],
    urls: LocalUrls,
    in_reply_to_uri: str | None,
    conversation_uri: str | None,
    poll: dict[str, Any] | None = None,
) -> dict[str, Any]:
    to, cc = addressing(status, author, mentioned)
    document: dict[str, Any] = {
        "id": status.uri,
        "type": "Question" if poll else "Note",
        "summary": status.spoiler_text or None,
        "inReplyTo": in_reply_to_uri,
        "published": iso_seconds(status.created_at),
        "url": status.url or status.uri,
        "attributedTo": author.uri,
        "to": to,
        "cc": cc,
        "sensitive": status.sensitive or author.sensitized_at is not None,
        "conversation": conversation_uri,
        "content": status.content,
        "attachment": [media_document(m, urls) for m in media],
        "tag": [
            *(
                {
                    "type": "Mention",
                    "href": a.uri,
                    "name": f"@{a.acct if a.domain else a.username + '@' + urls.base.split('://', 1)[1]}",
                }
                for a in mentioned
            ),
            *(
                {"type": "Hashtag", "href": urls.tag(t.name), "name": f"#{t.display_name}"}
                for t in tags
            ),
        ],
    }
    if status.language:
        document["contentMap"] = {status.language: status.content}
    if status.edited_at is not None:
        document["updated"] = iso_seconds(status.edited_at)
    if poll:
        document.update(poll)
    return document


def activity(
    kind: str,
    activity_id: str,
    actor: Account,
    obj: Any,
    *,
    to: list[str] | None = None,
    cc: list[str] | None = None,
    published: str | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor.uri,
    }
    if published:
        document["published"] = published
    if to is not None:
        document["to"] = to
    if cc is not None:
        document["cc"] = cc
    document["object"] = obj
    return document


def person(
    account: Account, urls: LocalUrls, *, blocklist_url: str | None = None
) -> dict[str, Any]:
    """A local account (or the instance actor) as an ActivityPub actor document.

    A suspended account keeps its id, handle and key (peers still verify what it signed) but
    shows nothing else, with Mastodon's `suspended: true` so peers hide it until an Update
    without the flag (an unsuspension) arrives."""
    is_instance = account.actor_type == "Application"
    suspended = account.suspended_at is not None and not is_instance
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": account.uri,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": "" if suspended else account.display_name or account.username,
        "summary": "" if suspended else account.note,
        "url": account.url,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "followers": account.followers_url,
        "following": account.following_url,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "published": iso_seconds(
            account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        ),
        "publicKey": {
            "id": account.key_id,
            "owner": account.uri,
            "publicKeyPem": account.public_key_pem,
        },
    }
    if suspended:
        document["suspended"] = True
        document["featured"] = account.featured_url
        document["attachment"] = []
        document["tag"] = []
    elif not is_instance:
        document["featured"] = account.featured_url
        document["attachment"] = [
            {"type": "PropertyValue", "name": f.get("name", ""), "value": f.get("value", "")}
            for f in (account.fields_json or [])
            if isinstance(f, dict)
        ]
        document["tag"] = []
        if account.avatar_path:
            document["icon"] = {
                "type": "Image",
                "mediaType": _media_type(account.avatar_path),
                "url": urls.media(account.avatar_path),
            }
        if account.header_path:
            document["image"] = {
                "type": "Image",
                "mediaType": _media_type(account.header_path),
                "url": urls.media(account.header_path),
            }
    if blocklist_url:
        document["blocklist"] = blocklist_url
    return document


def _media_type(path: str) -> str:
    extension = path.rsplit(".", 1)[-1].lower()
    return {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
    }.get(extension, "image/jpeg")


def tombstone(uri: str) -> dict[str, Any]:
    return {"@context": CONTEXT, "id": uri, "type": "Tombstone"}

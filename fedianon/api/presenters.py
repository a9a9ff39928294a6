"""Batch rendering of Mastodon entities for one viewer: a page of statuses costs a fixed
number of queries (accounts, mentions, tags, media, polls, the viewer's favourites, boosts,
bookmarks, pins and filters), whatever its size.

Filters are applied here because every timeline, thread, notification list and stream
renders through `Presenter.statuses`: matching filters fill `filtered`, and a `hide` filter
for the presenter's context drops the status from the page (see services/filters.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from fedianon.api import entities
from fedianon.context import AppContext
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.moderation import AccountWarning, Report
from fedianon.models.social import (
    AccountDomainBlock,
    Block,
    Follow,
    FollowRequest,
    Mute,
    Notification,
)
from fedianon.models.statuses import Mention, Status, StatusEdit, StatusTag, Tag
from fedianon.models.timelines import AccountConversation, FilterKeyword, FilterStatus
from fedianon.services import filters as filter_service
from fedianon.services import polls as poll_service
from fedianon.timeutil import iso
from fedianon.urls import LocalUrls


def media_entity(media: MediaAttachment, urls: LocalUrls) -> dict[str, Any]:
    url = urls.media(media.file_path) if media.file_path else media.remote_url
    preview = (
        urls.media(media.preview_path) if media.preview_path else (media.preview_remote_url or url)
    )
    meta = dict(media.meta or {})
    if meta:
        meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
    return {
        "id": str(media.id),
        "type": media.type,
        "url": url,
        "preview_url": preview,
        "remote_url": media.remote_url,
        "preview_remote_url": media.preview_remote_url,
        "text_url": None,
        "meta": meta or None,
        "description": media.description,
        "blurhash": media.blurhash,
    }


def filter_keyword_entity(keyword: FilterKeyword) -> dict[str, Any]:
    return {"id": str(keyword.id), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def filter_status_entity(row: FilterStatus) -> dict[str, Any]:
    return {"id": str(row.id), "status_id": str(row.status_id)}  # type: ignore[attr-defined]


def filter_entity(loaded: filter_service.LoadedFilter) -> dict[str, Any]:
    found = loaded.filter
    return {
        "id": str(found.id),
        "title": found.title,
        "context": list(found.context or []),
        "expires_at": iso(found.expires_at),
        "filter_action": found.filter_action,
        "keywords": [filter_keyword_entity(k) for k in loaded.keywords],
        "statuses": [filter_status_entity(s) for s in loaded.statuses],
    }


def filter_result_entity(result: filter_service.FilterMatch) -> dict[str, Any]:
    return {
        "filter": filter_entity(result.loaded),
        "keyword_matches": result.keyword_matches,
        "status_matches": result.status_matches,
    }


def poll_entity(view: poll_service.PollView) -> dict[str, Any]:
    """Mastodon's Poll. `hide_totals` hides the per-option counts (null) until the end, as
    Mastodon does; `voted`/`own_votes` appear only for a signed-in viewer."""
    poll = view.poll
    show = poll_service.shows_totals(poll)
    entity: dict[str, Any] = {
        "id": str(poll.id),
        "expires_at": iso(poll.expires_at),
        "expired": poll_service.is_expired(poll),
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count,
        "options": [
            {
                "title": option.get("title"),
                "votes_count": int(option.get("votes_count") or 0) if show else None,
            }
            for option in poll.options or []
        ],
        "emojis": [],
    }
    if view.signed_in:
        entity["voted"] = view.voted
        entity["own_votes"] = view.own_votes
    return entity


def tag_entity(tag: Tag, urls: LocalUrls, *, following: bool | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "name": tag.display_name or tag.name,
        "url": urls.tag(tag.name),
        "history": [],
    }
    if following is not None:
        entity["id"] = str(tag.id)
        entity["following"] = following
    return entity


_POLLS_SQL = "SELECT 'q' AS kind, status_id AS ref FROM polls WHERE status_id IN ({ids})"
_FLAGS_SQL = """
UNION ALL SELECT 'f', status_id FROM favourites WHERE account_id = {p1} AND status_id IN ({ids})
UNION ALL SELECT 'r', reblog_of_id FROM statuses WHERE account_id = {p1} AND reblog_of_id IN ({ids})
UNION ALL SELECT 'b', status_id FROM bookmarks WHERE account_id = {p1} AND status_id IN ({ids})
UNION ALL SELECT 'p', status_id FROM status_pins WHERE account_id = {p1} AND status_id IN ({ids})
"""


async def _status_flags(viewer_id: int | None, status_ids: list[int]) -> dict[str, set[int]]:
    """In one query: which statuses have a poll ('q') and which the viewer favourited ('f'),
    boosted ('r'), bookmarked ('b') or pinned ('p')."""
    from fedianon.db import fetch_rows

    ids = ", ".join(str(int(i)) for i in status_ids)  # integers only, from our own rows
    sql = _POLLS_SQL + (_FLAGS_SQL if viewer_id is not None else "")
    flags: dict[str, set[int]] = {"q": set(), "f": set(), "r": set(), "b": set(), "p": set()}
    for row in await fetch_rows(
        sql.replace("{ids}", ids), [viewer_id] if viewer_id is not None else []
    ):
        flags[str(row["kind"])].add(int(row["ref"]))  # type: ignore[arg-type]
    return flags


def _sensitive(status: Status, viewer: Account | None) -> bool:
    """A moderator's `sensitive` action marks all of the account's statuses, except in the
    author's own view (Mastodon's StatusSerializer)."""
    author = status.account
    if viewer is not None and viewer.id == author.id:
        return status.sensitive
    return status.sensitive or author.sensitized_at is not None


def _mention(row: dict[str, Any]) -> dict[str, Any]:
    username, domain = row["account__username"], row["account__domain"]
    return {
        "id": str(row["account_id"]),
        "username": username,
        "url": row["account__url"] or row["account__uri"],
        "acct": username if domain is None else f"{username}@{domain}",
    }


class Presenter:
    def __init__(
        self, ctx: AppContext, viewer: Account | None, *, filter_context: str = "home"
    ) -> None:
        self.ctx = ctx
        self.urls = ctx.urls
        self.viewer = viewer
        self.filter_context = filter_context

    # --- accounts ----------------------------------------------------------------------------

    def account(self, account: Account) -> dict[str, Any]:
        return entities.account(account, self.urls)

    def accounts(self, accounts: Iterable[Account]) -> list[dict[str, Any]]:
        return [entities.account(a, self.urls) for a in accounts]

    async def profile(self, account: Account) -> dict[str, Any]:
        """One account as its profile shows it: with `moved` when it migrated elsewhere."""
        if account.moved_to_account_id is not None:  # type: ignore[attr-defined]
            await account.fetch_related("moved_to_account")
        return entities.account(account, self.urls)

    async def relationships(self, targets: list[Account]) -> list[dict[str, Any]]:
        viewer = self.viewer
        assert viewer is not None
        ids = [t.id for t in targets]
        following = {
            f.target_account_id: f
            for f in await Follow.filter(account_id=viewer.id, target_account_id__in=ids)
        }  # type: ignore[attr-defined]
        followed_by = set(
            await Follow.filter(target_account_id=viewer.id, account_id__in=ids).values_list(
                "account_id", flat=True
            )
        )
        requested = {
            r.target_account_id: r
            for r in await FollowRequest.filter(account_id=viewer.id, target_account_id__in=ids)
        }  # type: ignore[attr-defined]
        requested_by = set(
            await FollowRequest.filter(target_account_id=viewer.id, account_id__in=ids).values_list(
                "account_id", flat=True
            )
        )
        blocking = set(
            await Block.filter(account_id=viewer.id, target_account_id__in=ids).values_list(
                "target_account_id", flat=True
            )
        )
        blocked_by = set(
            await Block.filter(target_account_id=viewer.id, account_id__in=ids).values_list(
                "account_id", flat=True
            )
        )
        mutes = {
            m.target_account_id: m
            for m in await Mute.filter(account_id=viewer.id, target_account_id__in=ids)
        }  # type: ignore[attr-defined]
        domains = set(
            await AccountDomainBlock.filter(account_id=viewer.id).values_list("domain", flat=True)
        )
        out = []
        for target in targets:
            follow = following.get(target.id) or requested.get(target.id)
            mute = mutes.get(target.id)
            out.append(
                {
                    "id": str(target.id),
                    "following": target.id in following,
                    "showing_reblogs": bool(follow.show_reblogs) if follow else False,
                    "notifying": bool(follow.notify) if follow else False,
                    "languages": follow.languages if follow else None,
                    "followed_by": target.id in followed_by,
                    "blocking": target.id in blocking,
                    "blocked_by": target.id in blocked_by,
                    "muting": mute is not None,
                    "muting_notifications": bool(mute and mute.hide_notifications),
                    "muting_expires_at": iso(mute.expires_at) if mute else None,
                    "requested": target.id in requested,
                    "requested_by": target.id in requested_by,
                    "domain_blocking": bool(target.domain and target.domain in domains),
                    "endorsed": False,
                    "note": "",
                }
            )
        return out

    async def relationship(self, target: Account) -> dict[str, Any]:
        return (await self.relationships([target]))[0]

    # --- statuses ----------------------------------------------------------------------------

    async def statuses(
        self, statuses: list[Status], *, drop_hidden: bool = True
    ) -> list[dict[str, Any]]:
        """Entities for a page of statuses; with `drop_hidden`, those a `hide` filter for the
        presenter's context matches are left out (a single status asked for by id is not)."""
        if not statuses:
            return []
        missing = [
            s.reblog_of_id
            for s in statuses
            if s.reblog_of_id is not None and not isinstance(s.reblog_of, Status)
        ]  # type: ignore[attr-defined]
        if missing:
            loaded = {
                o.id: o for o in await Status.filter(id__in=missing).select_related("account")
            }
            for s in statuses:
                if s.reblog_of_id in loaded:  # type: ignore[attr-defined]
                    s.reblog_of = loaded[s.reblog_of_id]  # type: ignore[attr-defined]
        originals = [s.reblog_of for s in statuses if s.reblog_of_id is not None]  # type: ignore[attr-defined]
        everything = {s.id: s for s in [*statuses, *originals]}
        ids = list(everything)
        viewer = self.viewer

        mentions: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in (
            await Mention.filter(status_id__in=ids)
            .order_by("id")
            .values(
                "status_id",
                "account_id",
                "account__username",
                "account__domain",
                "account__url",
                "account__uri",
            )
        ):
            mentions[row["status_id"]].append(row)
        tags: dict[int, list[str]] = defaultdict(list)
        for row in await StatusTag.filter(status_id__in=ids).values("status_id", "tag__name"):
            tags[row["status_id"]].append(row["tag__name"])
        flags = await _status_flags(viewer.id if viewer is not None else None, ids)
        favourited, reblogged, bookmarked, pinned = flags["f"], flags["r"], flags["b"], flags["p"]
        media: dict[int, list[MediaAttachment]] = defaultdict(list)
        with_media = [i for i, s in everything.items() if s.has_media]
        if with_media:
            for item in await MediaAttachment.filter(status_id__in=with_media).order_by(
                "position", "id"
            ):
                media[item.status_id].append(item)  # type: ignore[attr-defined, index]
        polls = {}
        if flags["q"]:
            polls = {
                status_id: poll_entity(view)
                for status_id, view in (
                    await poll_service.for_statuses(sorted(flags["q"]), viewer)
                ).items()
            }
        matches = await filter_service.match(viewer, list(everything.values()), self.filter_context)
        filtered = {
            sid: [filter_result_entity(m) for m in found]
            for sid, found in matches.by_status.items()
        }

        def render(status: Status) -> dict[str, Any]:
            sid = status.id
            entity: dict[str, Any] = {
                "id": str(sid),
                "created_at": iso(status.created_at),
                "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,  # type: ignore[attr-defined]
                "in_reply_to_account_id": str(status.in_reply_to_account_id)
                if status.in_reply_to_account_id
                else None,  # type: ignore[attr-defined]
                "sensitive": _sensitive(status, viewer),
                "spoiler_text": status.spoiler_text,
                "visibility": status.visibility,
                "language": status.language,
                "uri": status.uri,
                "url": status.url or status.uri,
                "replies_count": max(0, status.replies_count),
                "reblogs_count": max(0, status.reblogs_count),
                "favourites_count": max(0, status.favourites_count),
                "edited_at": iso(status.edited_at),
                "content": status.content,
                "reblog": None,
                "application": None,
                "account": entities.account(status.account, self.urls),
                "media_attachments": [media_entity(m, self.urls) for m in media.get(sid, [])],
                "mentions": [_mention(m) for m in mentions.get(sid, [])],
                "tags": [{"name": name, "url": self.urls.tag(name)} for name in tags.get(sid, [])],
                "emojis": status.emojis or [],
                "card": None,
                "poll": polls.get(sid),
                "filtered": filtered.get(sid, []),
            }
            if viewer is not None:
                entity["favourited"] = sid in favourited
                entity["reblogged"] = sid in reblogged
                entity["muted"] = False
                entity["bookmarked"] = sid in bookmarked
                if status.account_id == viewer.id:  # type: ignore[attr-defined]
                    entity["pinned"] = sid in pinned
                    if status.application_name:
                        entity["application"] = {
                            "name": status.application_name,
                            "website": status.application_website,
                        }
            if status.local and viewer is not None and status.account_id == viewer.id:  # type: ignore[attr-defined]
                entity["text"] = status.text
            return entity

        rendered = []
        for status in statuses:
            if drop_hidden and (
                status.id in matches.hidden or status.reblog_of_id in matches.hidden  # type: ignore[attr-defined]
            ):
                continue
            entity = render(status)
            if status.reblog_of_id is not None:  # type: ignore[attr-defined]
                entity["reblog"] = render(status.reblog_of)
                entity["content"] = ""
                entity["media_attachments"] = []
                entity["mentions"] = []
                entity["tags"] = []
                entity["poll"] = None
                entity["filtered"] = entity["reblog"]["filtered"]
                for flag in ("favourited", "reblogged", "bookmarked"):
                    if flag in entity:
                        entity[flag] = entity["reblog"][flag]
            rendered.append(entity)
        return rendered

    async def status(self, status: Status) -> dict[str, Any]:
        return (await self.statuses([status], drop_hidden=False))[0]

    async def history(self, status: Status, edits: list[StatusEdit]) -> list[dict[str, Any]]:
        account = entities.account(status.account, self.urls)
        media = [
            media_entity(m, self.urls)
            for m in await MediaAttachment.filter(status_id=status.id).order_by("position")
        ]
        versions = edits or [
            StatusEdit(
                content=status.content,
                spoiler_text=status.spoiler_text,
                sensitive=status.sensitive,
                created_at=status.created_at,
            )
        ]
        return [
            {
                "content": edit.content,
                "spoiler_text": edit.spoiler_text,
                "sensitive": edit.sensitive,
                "created_at": iso(edit.created_at),
                "account": account,
                "poll": edit.poll_json,
                "media_attachments": media
                if index == len(versions) - 1
                else (edit.media_json or []),
                "emojis": status.emojis or [],
            }
            for index, edit in enumerate(versions)
        ]

    # --- notifications -----------------------------------------------------------------------

    async def notifications(self, rows: list[Notification]) -> list[dict[str, Any]]:
        status_ids = [n.status_id for n in rows if n.status_id]  # type: ignore[attr-defined]
        statuses = (
            {
                s.id: s
                for s in await Status.filter(id__in=status_ids).select_related(
                    "account", "reblog_of", "reblog_of__account"
                )
            }
            if status_ids
            else {}
        )
        rendered = {int(e["id"]): e for e in await self.statuses(list(statuses.values()))}
        report_ids = [n.report_id for n in rows if n.report_id]
        reports = (
            {
                r.id: entities.report(r, r.target_account, self.urls)
                for r in await Report.filter(id__in=report_ids).select_related("target_account")
            }
            if report_ids
            else {}
        )
        warning_ids = [n.account_warning_id for n in rows if n.account_warning_id]
        warnings = (
            {
                w.id: entities.moderation_warning(w, w.target_account, self.urls)
                for w in await AccountWarning.filter(id__in=warning_ids).select_related(
                    "target_account"
                )
            }
            if warning_ids
            else {}
        )
        out = []
        for row in rows:
            entity: dict[str, Any] = {
                "id": str(row.id),
                "type": row.type,
                "created_at": iso(row.created_at),
                "group_key": f"ungrouped-{row.id}",
                "account": entities.account(row.from_account, self.urls),
            }
            if row.status_id:  # type: ignore[attr-defined]
                status_entity = rendered.get(row.status_id)  # type: ignore[attr-defined]
                if status_entity is None:
                    continue
                entity["status"] = status_entity
            if row.report_id:
                report_entity = reports.get(row.report_id)
                if report_entity is None:
                    continue
                entity["report"] = report_entity
            if row.account_warning_id:
                warning_entity = warnings.get(row.account_warning_id)
                if warning_entity is None:
                    continue
                entity["moderation_warning"] = warning_entity
            out.append(entity)
        return out

    # --- conversations -----------------------------------------------------------------------

    async def conversations(self, rows: list[AccountConversation]) -> list[dict[str, Any]]:
        """Conversation entities: the other participants (the viewer alone in a note to self)
        and the last message, which is shown whatever the filters say."""
        people = {
            a.id: a
            for a in await Account.filter(
                id__in=sorted({pid for row in rows for pid in row.participant_ids or []})
            )
        }
        last = [row.last_status for row in rows if row.last_status is not None]
        rendered = {int(e["id"]): e for e in await self.statuses(last, drop_hidden=False)}
        out = []
        for row in rows:
            status_entity = rendered.get(row.last_status_id)  # type: ignore[attr-defined]
            if status_entity is None:
                continue
            accounts = [people[p] for p in row.participant_ids or [] if p in people]
            if not accounts and self.viewer is not None:
                accounts = [self.viewer]
            out.append(
                {
                    "id": str(row.id),
                    "unread": row.unread,
                    "accounts": self.accounts(accounts),
                    "last_status": status_entity,
                }
            )
        return out

    # --- moderation ----------------------------------------------------------------------------

    async def admin_reports(self, rows: list[Report]) -> list[dict[str, Any]]:
        """Mastodon's Admin::Report, with its accounts (Admin::Account) and statuses, for a
        moderator: the statuses are shown whatever their visibility, as Mastodon does."""
        account_ids = {
            i
            for r in rows
            for i in (
                r.account_id,  # type: ignore[attr-defined]
                r.target_account_id,  # type: ignore[attr-defined]
                r.assigned_account_id,  # type: ignore[attr-defined]
                r.action_taken_by_account_id,  # type: ignore[attr-defined]
            )
            if i is not None
        }
        accounts = {
            a.id: entities.admin_account(a, self.urls)
            for a in await Account.filter(id__in=sorted(account_ids))
        }
        status_ids = sorted({int(i) for r in rows for i in r.status_ids or []})
        statuses = {
            int(e["id"]): e
            for e in await self.statuses(
                list(
                    await Status.filter(id__in=status_ids).select_related(
                        "account", "reblog_of", "reblog_of__account"
                    )
                )
                if status_ids
                else [],
                drop_hidden=False,  # a moderator's own filters must not hide reported posts
            )
        }
        return [
            {
                "id": str(r.id),
                "action_taken": r.action_taken_at is not None,
                "action_taken_at": iso(r.action_taken_at),
                "category": r.category,
                "comment": r.comment,
                "forwarded": r.forwarded,
                "created_at": iso(r.created_at),
                "updated_at": iso(r.updated_at),
                "account": accounts.get(r.account_id),  # type: ignore[attr-defined]
                "target_account": accounts.get(r.target_account_id),  # type: ignore[attr-defined]
                "assigned_account": accounts.get(r.assigned_account_id),  # type: ignore[attr-defined]
                "action_taken_by_account": accounts.get(r.action_taken_by_account_id),  # type: ignore[attr-defined]
                "statuses": [statuses[int(i)] for i in r.status_ids or [] if int(i) in statuses],
                "rules": [],
            }
            for r in rows
        ]

    async def admin_report(self, row: Report) -> dict[str, Any]:
        return (await self.admin_reports([row]))[0]


async def load_accounts(ids: list[int]) -> list[Account]:
    found = {a.id: a for a in await Account.filter(id__in=ids)}
    return [found[i] for i in ids if i in found]

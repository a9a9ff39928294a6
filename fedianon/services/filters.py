"""Filters (Mastodon's v2 filters, with the v1 view kept for older clients such as Tusky).

A filter has a title, the contexts it applies to (home, notifications, public, thread,
account), an action (warn, hide, blur), an optional expiry, and rules: keywords and
statuses. Creating a filter without any rule is refused (422): it could never match.

Matching, for one reader and a batch of statuses (`match`, a fixed number of queries):
- keywords are looked for in the status's plain text (its HTML turned into text), its
  content warning, its media descriptions and poll options; case-insensitively; a
  whole-word keyword needs a word boundary on each side where it starts or ends with a word
  character (Mastodon's rule, so `#tag` and `c++` still work);
- a status rule matches that status (and boosts of it);
- the reader's own statuses never match; expired filters never match.
A status's `filtered` lists every matching filter whatever its contexts, as Mastodon does:
clients check the context. A `hide` filter whose contexts include the one being read takes
the status out of that timeline or notification list entirely (the presenter drops it).

Every change emits `filters.changed`, which streaming clients receive as `filters_changed`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q

from fedianon.db import atomic, on_commit
from fedianon.errors import NotFound, ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.media import MediaAttachment
from fedianon.models.statuses import Poll, Status
from fedianon.models.timelines import Filter, FilterKeyword, FilterStatus
from fedianon.services import events
from fedianon.services.text import html_to_text
from fedianon.services.visibility import can_view
from fedianon.timeutil import utcnow

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide", "blur")
MAX_TITLE = 255
MAX_KEYWORD = 255
MAX_FILTERS = 100  # per account
MAX_RULES = 1000  # keywords or statuses per filter


# --- inputs and loaded shapes ----------------------------------------------------------------


@dataclass
class KeywordChange:
    """One `keywords_attributes[]` entry: a new keyword, or (with `id`) an edit or a delete."""

    keyword: str | None = None
    whole_word: bool | None = None
    id: int | None = None
    destroy: bool = False


@dataclass
class FilterChange:
    """What a create or update asks for; None means "not given" (keep on update)."""

    title: str | None = None
    context: list[str] | None = None
    filter_action: str | None = None
    expires_in: int | None = None
    expires_given: bool = False  # expires_in was sent (null/empty clears the expiry)
    keywords: list[KeywordChange] = field(default_factory=list)
    status_ids: list[int] = field(default_factory=list)


@dataclass
class LoadedFilter:
    filter: Filter
    keywords: list[FilterKeyword]
    statuses: list[FilterStatus]


@dataclass
class FilterMatch:
    loaded: LoadedFilter
    keyword_matches: list[str] | None
    status_matches: list[str] | None


@dataclass
class Matches:
    by_status: dict[int, list[FilterMatch]] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)  # hidden in the context asked for


# --- reading ---------------------------------------------------------------------------------


async def _load(filters: list[Filter]) -> list[LoadedFilter]:
    ids = [f.id for f in filters]
    keywords: dict[int, list[FilterKeyword]] = defaultdict(list)
    statuses: dict[int, list[FilterStatus]] = defaultdict(list)
    if ids:
        for kw in await FilterKeyword.filter(user_filter_id__in=ids).order_by("id"):
            keywords[kw.user_filter_id].append(kw)  # type: ignore[attr-defined]
        for fs in await FilterStatus.filter(user_filter_id__in=ids).order_by("id"):
            statuses[fs.user_filter_id].append(fs)  # type: ignore[attr-defined]
    return [LoadedFilter(f, keywords[f.id], statuses[f.id]) for f in filters]


async def all_for(owner: Account) -> list[LoadedFilter]:
    return await _load(list(await Filter.filter(account_id=owner.id).order_by("id")))


async def _owned(owner: Account, filter_id: int) -> Filter:
    found = await Filter.get_or_none(id=filter_id, account_id=owner.id)
    if found is None:
        raise NotFound()
    return found


async def get(owner: Account, filter_id: int) -> LoadedFilter:
    return (await _load([await _owned(owner, filter_id)]))[0]


# --- validation ------------------------------------------------------------------------------


def _clean_context(values: list[str] | None, problems: list[str]) -> list[str]:
    if not values:
        problems.append("Context can't be blank")
        return []
    cleaned = list(dict.fromkeys(v.strip() for v in values))
    if any(v not in CONTEXTS for v in cleaned):
        problems.append(f"Context must be some of {', '.join(CONTEXTS)}")
    return cleaned


def _clean_title(value: str | None, problems: list[str]) -> str:
    title = (value or "").strip()
    if not title:
        problems.append("Title can't be blank")
    elif len(title) > MAX_TITLE:
        problems.append(f"Title is too long (maximum is {MAX_TITLE} characters)")
    return title


def _clean_action(value: str | None, problems: list[str]) -> str:
    action = "blur" if value == "blur_media" else (value or "warn")
    if action not in ACTIONS:
        problems.append(f"Filter action must be one of {', '.join(ACTIONS)}")
    return action


def _clean_keyword(value: str | None, problems: list[str]) -> str:
    keyword = (value or "").strip()
    if not keyword:
        problems.append("Keyword can't be blank")
    elif len(keyword) > MAX_KEYWORD:
        problems.append(f"Keyword is too long (maximum is {MAX_KEYWORD} characters)")
    return keyword


def _expiry(seconds: int | None) -> datetime | None:
    if seconds is None:
        return None
    if seconds <= 0:
        raise ValidationFailed("Validation failed: Expires in must be a positive number of seconds")
    return utcnow() + timedelta(seconds=min(seconds, 10 * 365 * 86400))


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValidationFailed("Validation failed: " + ", ".join(problems))


async def _visible_statuses(owner: Account, status_ids: list[int]) -> list[Status]:
    found = {s.id: s for s in await Status.filter(id__in=status_ids).select_related("account")}
    out = []
    for status_id in dict.fromkeys(status_ids):
        status = found.get(status_id)
        if status is None or not await can_view(status, owner):
            raise NotFound()
        out.append(status)
    return out


def _changed(owner_id: int) -> None:
    on_commit(lambda: events.emit("filters.changed", account_id=owner_id))


# --- filters ---------------------------------------------------------------------------------


async def create(owner: Account, change: FilterChange) -> LoadedFilter:
    """A new filter; it needs a title, a context and at least one keyword or status."""
    problems: list[str] = []
    title = _clean_title(change.title, problems)
    context = _clean_context(change.context, problems)
    action = _clean_action(change.filter_action, problems)
    if any(k.id is not None for k in change.keywords):
        raise NotFound()
    new_keywords = [
        (_clean_keyword(k.keyword, problems), k.whole_word is not False)
        for k in change.keywords
        if not k.destroy
    ]
    if not new_keywords and not change.status_ids:
        problems.append("a filter needs at least one keyword (keywords_attributes) or status")
    if len(new_keywords) > MAX_RULES:
        problems.append(f"a filter can have at most {MAX_RULES} keywords")
    _raise(problems)
    expires_at = _expiry(change.expires_in)
    statuses = await _visible_statuses(owner, change.status_ids) if change.status_ids else []
    if await Filter.filter(account_id=owner.id).count() >= MAX_FILTERS:
        raise ValidationFailed(
            f"Validation failed: You cannot have more than {MAX_FILTERS} filters"
        )
    async with atomic():
        created = await Filter.create(
            account=owner,
            title=title,
            context=context,
            filter_action=action,
            expires_at=expires_at,
        )
        if new_keywords:
            await FilterKeyword.bulk_create(
                [
                    FilterKeyword(user_filter_id=created.id, keyword=kw, whole_word=whole)
                    for kw, whole in new_keywords
                ]
            )
        if statuses:
            await FilterStatus.bulk_create(
                [FilterStatus(user_filter_id=created.id, status_id=s.id) for s in statuses]
            )
        _changed(owner.id)
    return await get(owner, created.id)


async def update(owner: Account, filter_id: int, change: FilterChange) -> LoadedFilter:
    found = await _owned(owner, filter_id)
    problems: list[str] = []
    if change.title is not None:
        found.title = _clean_title(change.title, problems)
    if change.context is not None:
        found.context = _clean_context(change.context, problems)
    if change.filter_action is not None:
        found.filter_action = _clean_action(change.filter_action, problems)
    existing = {kw.id: kw for kw in await FilterKeyword.filter(user_filter_id=found.id)}
    edits: list[tuple[FilterKeyword, str | None, bool | None]] = []
    removals: list[int] = []
    additions: list[tuple[str, bool]] = []
    for item in change.keywords:
        if item.id is not None:
            if item.id not in existing:
                raise NotFound()
            if item.destroy:
                removals.append(item.id)
            else:
                keyword = (
                    _clean_keyword(item.keyword, problems) if item.keyword is not None else None
                )
                edits.append((existing[item.id], keyword, item.whole_word))
        elif not item.destroy:
            additions.append((_clean_keyword(item.keyword, problems), item.whole_word is not False))
    if len(existing) - len(removals) + len(additions) > MAX_RULES:
        problems.append(f"a filter can have at most {MAX_RULES} keywords")
    _raise(problems)
    if change.expires_given:
        found.expires_at = _expiry(change.expires_in)
    async with atomic():
        await found.save()
        if removals:
            await FilterKeyword.filter(id__in=removals).delete()
        for row, keyword, whole_word in edits:
            if keyword is not None:
                row.keyword = keyword
            if whole_word is not None:
                row.whole_word = whole_word
            await row.save()
        if additions:
            await FilterKeyword.bulk_create(
                [
                    FilterKeyword(user_filter_id=found.id, keyword=kw, whole_word=whole)
                    for kw, whole in additions
                ]
            )
        _changed(owner.id)
    return await get(owner, found.id)


async def delete(owner: Account, filter_id: int) -> None:
    found = await _owned(owner, filter_id)
    async with atomic():
        await Filter.filter(id=found.id).delete()
        _changed(owner.id)


# --- keywords --------------------------------------------------------------------------------


async def keywords_of(owner: Account, filter_id: int) -> list[FilterKeyword]:
    found = await _owned(owner, filter_id)
    return list(await FilterKeyword.filter(user_filter_id=found.id).order_by("id"))


async def add_keyword(
    owner: Account, filter_id: int, keyword: str | None, whole_word: bool | None
) -> FilterKeyword:
    found = await _owned(owner, filter_id)
    problems: list[str] = []
    clean = _clean_keyword(keyword, problems)
    _raise(problems)
    if await FilterKeyword.filter(user_filter_id=found.id).count() >= MAX_RULES:
        raise ValidationFailed(f"Validation failed: a filter can have at most {MAX_RULES} keywords")
    async with atomic():
        created = await FilterKeyword.create(
            user_filter_id=found.id, keyword=clean, whole_word=whole_word is not False
        )
        _changed(owner.id)
    return created


async def get_keyword(owner: Account, keyword_id: int) -> FilterKeyword:
    found = await FilterKeyword.get_or_none(id=keyword_id, user_filter__account_id=owner.id)
    if found is None:
        raise NotFound()
    return found


async def update_keyword(
    owner: Account, keyword_id: int, keyword: str | None, whole_word: bool | None
) -> FilterKeyword:
    found = await get_keyword(owner, keyword_id)
    problems: list[str] = []
    found.keyword = _clean_keyword(keyword, problems)
    _raise(problems)
    if whole_word is not None:
        found.whole_word = whole_word
    async with atomic():
        await found.save()
        _changed(owner.id)
    return found


async def delete_keyword(owner: Account, keyword_id: int) -> None:
    found = await get_keyword(owner, keyword_id)
    async with atomic():
        await FilterKeyword.filter(id=found.id).delete()
        _changed(owner.id)


# --- statuses --------------------------------------------------------------------------------


async def statuses_of(owner: Account, filter_id: int) -> list[FilterStatus]:
    found = await _owned(owner, filter_id)
    return list(await FilterStatus.filter(user_filter_id=found.id).order_by("id"))


async def add_status(owner: Account, filter_id: int, status_id: int) -> FilterStatus:
    found = await _owned(owner, filter_id)
    (status,) = await _visible_statuses(owner, [status_id])
    existing = await FilterStatus.get_or_none(user_filter_id=found.id, status_id=status.id)
    if existing is not None:
        raise ValidationFailed("Validation failed: Status has already been taken")
    if await FilterStatus.filter(user_filter_id=found.id).count() >= MAX_RULES:
        raise ValidationFailed(f"Validation failed: a filter can have at most {MAX_RULES} statuses")
    async with atomic():
        created = await FilterStatus.create(user_filter_id=found.id, status_id=status.id)
        _changed(owner.id)
    return created


async def get_status(owner: Account, filter_status_id: int) -> FilterStatus:
    found = await FilterStatus.get_or_none(id=filter_status_id, user_filter__account_id=owner.id)
    if found is None:
        raise NotFound()
    return found


async def delete_status(owner: Account, filter_status_id: int) -> None:
    found = await get_status(owner, filter_status_id)
    async with atomic():
        await FilterStatus.filter(id=found.id).delete()
        _changed(owner.id)


# --- v1 view: one keyword = one filter -----------------------------------------------------


@dataclass
class V1Filter:
    keyword: FilterKeyword
    filter: Filter


async def v1_all(owner: Account) -> list[V1Filter]:
    filters = {f.id: f for f in await Filter.filter(account_id=owner.id)}
    if not filters:
        return []
    rows = await FilterKeyword.filter(user_filter_id__in=list(filters)).order_by("id")
    return [V1Filter(kw, filters[kw.user_filter_id]) for kw in rows]  # type: ignore[attr-defined]


async def v1_get(owner: Account, keyword_id: int) -> V1Filter:
    keyword = await get_keyword(owner, keyword_id)
    return V1Filter(keyword, await Filter.get(id=keyword.user_filter_id))  # type: ignore[attr-defined]


async def v1_create(
    owner: Account,
    *,
    phrase: str | None,
    context: list[str],
    irreversible: bool,
    whole_word: bool,
    expires_in: int | None,
) -> V1Filter:
    loaded = await create(
        owner,
        FilterChange(
            title=phrase,
            context=context,
            filter_action="hide" if irreversible else "warn",
            expires_in=expires_in,
            keywords=[KeywordChange(keyword=phrase, whole_word=whole_word)],
        ),
    )
    return V1Filter(loaded.keywords[0], loaded.filter)


async def v1_update(
    owner: Account,
    keyword_id: int,
    *,
    phrase: str | None,
    context: list[str] | None,
    irreversible: bool | None,
    whole_word: bool | None,
    expires_in: int | None,
    expires_given: bool,
) -> V1Filter:
    """Phrase and whole_word always change; the rest only when the filter has one keyword."""
    current = await v1_get(owner, keyword_id)
    parent_change = context is not None or irreversible is not None or expires_given
    if parent_change:
        count = await FilterKeyword.filter(user_filter_id=current.filter.id).count()
        if count > 1:
            raise ValidationFailed(
                "Validation failed: this filter has several keywords; change its context, "
                "action or expiry through /api/v2/filters"
            )
        await update(
            owner,
            current.filter.id,
            FilterChange(
                context=context,
                filter_action=None
                if irreversible is None
                else ("hide" if irreversible else "warn"),
                expires_in=expires_in,
                expires_given=expires_given,
            ),
        )
    if phrase is not None or whole_word is not None:
        await update_keyword(
            owner, keyword_id, phrase if phrase is not None else current.keyword.keyword, whole_word
        )
    return await v1_get(owner, keyword_id)


async def v1_delete(owner: Account, keyword_id: int) -> None:
    """Delete the keyword, and its filter when nothing is left in it."""
    current = await v1_get(owner, keyword_id)
    async with atomic():
        await FilterKeyword.filter(id=keyword_id).delete()
        if not await FilterKeyword.exists(
            user_filter_id=current.filter.id
        ) and not await FilterStatus.exists(user_filter_id=current.filter.id):
            await Filter.filter(id=current.filter.id).delete()
        _changed(owner.id)


# --- matching --------------------------------------------------------------------------------

_WORD_START = re.compile(r"^\w")
_WORD_END = re.compile(r"\w$")


def keyword_pattern(keyword: str, whole_word: bool) -> re.Pattern[str]:
    escaped = re.escape(keyword)
    if whole_word:
        start = r"\b" if _WORD_START.search(keyword) else ""
        end = r"\b" if _WORD_END.search(keyword) else ""
        escaped = f"{start}{escaped}{end}"
    return re.compile(escaped, re.IGNORECASE)


async def _searchable_text(statuses: list[Status]) -> dict[int, str]:
    ids = [s.id for s in statuses]
    extra: dict[int, list[str]] = defaultdict(list)
    with_media = [s.id for s in statuses if s.has_media]
    if with_media:
        for status_id, description in await MediaAttachment.filter(
            status_id__in=with_media, description__not_isnull=True
        ).values_list("status_id", "description"):
            extra[status_id].append(description)
    for status_id, options in await Poll.filter(status_id__in=ids).values_list(
        "status_id", "options"
    ):
        extra[status_id].extend(
            str(o.get("title", "")) for o in options or [] if isinstance(o, dict)
        )
    return {
        s.id: "\n".join([html_to_text(s.content or ""), s.spoiler_text or "", *extra[s.id]])
        for s in statuses
    }


async def active_filters(viewer: Account) -> list[LoadedFilter]:
    now = utcnow()
    filters = list(
        await Filter.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), account_id=viewer.id
        ).order_by("id")
    )
    return await _load(filters) if filters else []


async def match(viewer: Account | None, statuses: Iterable[Status], context: str) -> Matches:
    """Which of `statuses` the viewer's filters match, and which are hidden in `context`.

    Boosts are judged by what they boost: pass the originals along (the presenter does).
    """
    if viewer is None:
        return Matches()
    candidates = [
        s
        for s in statuses
        if s.account_id != viewer.id and s.reblog_of_id is None  # type: ignore[attr-defined]
    ]
    if not candidates:
        return Matches()
    loaded = await active_filters(viewer)
    if not loaded:
        return Matches()
    texts = await _searchable_text(candidates) if any(f.keywords for f in loaded) else {}
    patterns = [
        (f, [(kw.keyword, keyword_pattern(kw.keyword, kw.whole_word)) for kw in f.keywords])
        for f in loaded
    ]
    result = Matches()
    for status in candidates:
        text = texts.get(status.id, "")
        for entry, keyword_rules in patterns:
            keyword_hits = [kw for kw, pattern in keyword_rules if pattern.search(text)]
            status_hits = [str(fs.status_id) for fs in entry.statuses if fs.status_id == status.id]  # type: ignore[attr-defined]
            if not keyword_hits and not status_hits:
                continue
            result.by_status.setdefault(status.id, []).append(
                FilterMatch(entry, keyword_hits or None, status_hits or None)
            )
            if entry.filter.filter_action == "hide" and context in (entry.filter.context or []):
                result.hidden.add(status.id)
    return result

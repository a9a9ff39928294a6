"""Polls: created with a status, voted on, closed when they expire.

The rules and messages are Mastodon's (PollValidator, VoteValidator): 2 to 4 options of at
most 50 characters, no blanks or duplicates, open from 5 minutes to a month; the author
cannot vote; nobody votes after the end. A local account votes once per poll (one choice, or
several distinct ones when `multiple`). Remote votes arrive one choice per activity, so on a
multiple-choice poll a remote account may add choices it has not picked yet.

Counts live on the poll row (`options[i].votes_count`, `votes_count`, `voters_count`) and
change only while that row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serializes
writers), so concurrent votes never lose an increment. Rendering a page of statuses costs two
queries: the polls and the viewer's own votes.

Expiry: creating (or re-timing) a poll enqueues `poll.expire` to run at `expires_at`. The job
closes the poll once (a conditional UPDATE, so a repeated or stale job does nothing) and
sends a `poll` notification to the author and to every local voter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Subquery

from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import BadRequest, NotFound, ValidationFailed
from fedianon.jobs import queue
from fedianon.models.accounts import Account
from fedianon.models.federation import JOB_PENDING, Job
from fedianon.models.statuses import Poll, PollVote, Status
from fedianon.services import notifications
from fedianon.services.visibility import can_view
from fedianon.timeutil import iso_seconds, utcnow

MAX_OPTIONS = 4
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300  # seconds
MAX_EXPIRATION = 2_629_746  # seconds (a month)
EXPIRE_JOB = "poll.expire"
DISTRIBUTE_JOB = "poll.distribute"
# Votes on a local poll reach peers as one Update(Question) per this interval, not one per vote
# (Mastodon's DistributePollUpdateWorker waits the same three minutes).
DISTRIBUTE_AFTER_VOTES = timedelta(minutes=3)

MSG_EXPIRED = "Validation failed: The poll has already ended"
MSG_ALREADY_VOTED = "Validation failed: You have already voted on this poll"
MSG_SELF_VOTE = "Validation failed: You cannot vote in your own polls"
MSG_INVALID_CHOICE = "Validation failed: The chosen vote option does not exist"
MSG_DUPLICATE_CHOICES = "Validation failed: Choices contain duplicate items"
MSG_ONE_CHOICE = "Validation failed: This poll allows only one choice"
MSG_WITH_MEDIA = "Validation failed: A status cannot have both media attachments and a poll"

_FALSE = {"false", "0", "f", "off", "no", "n", ""}


@dataclass(frozen=True)
class PollSpec:
    """A validated `poll[...]` parameter set."""

    options: list[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


@dataclass
class PollView:
    """A poll as one viewer sees it: `voted`/`own_votes` only for a signed-in viewer."""

    poll: Poll
    signed_in: bool = False
    voted: bool = False
    own_votes: list[int] = field(default_factory=list)


def is_expired(poll: Poll, now: datetime | None = None) -> bool:
    if poll.closed_at is not None:
        return True
    return poll.expires_at is not None and poll.expires_at <= (now or utcnow())


def shows_totals(poll: Poll, now: datetime | None = None) -> bool:
    """`hide_totals` hides the per-option counts until the poll has ended."""
    return not poll.hide_totals or is_expired(poll, now)


# --- parameters ----------------------------------------------------------------------------


def _options_list(raw: object) -> list[object]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict):  # poll[options][0]=..., poll[options][1]=...
        return [raw[key] for key in sorted(raw, key=lambda k: (len(str(k)), str(k)))]
    return [raw]


def _flag(raw: object, name: str) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    if isinstance(raw, str):
        return raw.strip().lower() not in _FALSE
    raise ValidationFailed(f"Validation failed: poll[{name}] must be a boolean")


def parse_spec(raw: Mapping[str, object]) -> PollSpec:
    """Validate `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]`
    (form, JSON or bracket keys, already nested). Raises ValidationFailed (422)."""
    options: list[str] = []
    for item in _options_list(raw.get("options")):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ValidationFailed("Validation failed: Options must be a list of strings")
        options.append(str(item).strip())
    if len(options) < 2:
        raise ValidationFailed("Validation failed: Options must have more than one item")
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(
            f"Validation failed: Options can't contain more than {MAX_OPTIONS} items"
        )
    if any(not option for option in options):
        raise ValidationFailed("Validation failed: Options can't be blank")
    if any(len(option) > MAX_OPTION_CHARS for option in options):
        raise ValidationFailed(
            f"Validation failed: Options cannot be longer than {MAX_OPTION_CHARS} characters each"
        )
    if len(set(options)) != len(options):
        raise ValidationFailed("Validation failed: Options contain duplicate items")
    expires_raw = raw.get("expires_in")
    if expires_raw is None or expires_raw == "":
        raise ValidationFailed("Validation failed: Expires in can't be blank")
    if isinstance(expires_raw, bool):
        raise ValidationFailed("Validation failed: Expires in must be a number of seconds")
    try:
        expires_in = int(str(expires_raw).strip())
    except ValueError:
        try:
            expires_in = int(float(str(expires_raw)))
        except (ValueError, OverflowError):
            raise ValidationFailed(
                "Validation failed: Expires in must be a number of seconds"
            ) from None
    if expires_in < MIN_EXPIRATION:
        raise ValidationFailed(
            f"Validation failed: Expires in is too soon (minimum is {MIN_EXPIRATION} seconds)"
        )
    if expires_in > MAX_EXPIRATION:
        raise ValidationFailed(
            "Validation failed: Expires in is too far into the future "
            f"(maximum is {MAX_EXPIRATION} seconds)"
        )
    return PollSpec(
        options=options,
        expires_in=expires_in,
        multiple=_flag(raw.get("multiple"), "multiple"),
        hide_totals=_flag(raw.get("hide_totals"), "hide_totals"),
    )


# --- creating and editing ------------------------------------------------------------------


async def schedule_expiry(poll: Poll) -> None:
    """Enqueue the `poll.expire` job for the poll's end (the inbox calls this for remote
    polls too, so local voters hear when they end)."""
    if poll.expires_at is not None:
        await queue.enqueue(EXPIRE_JOB, {"poll_id": poll.id}, run_at=poll.expires_at)


async def schedule_distribution(status_id: int, delay: timedelta = DISTRIBUTE_AFTER_VOTES) -> None:
    """Enqueue the Update(Question) of a local poll (new counts, or its end), unless one is
    already waiting, which is brought forward if it would run later: votes within the delay
    travel together, and the poll's end is never held back. Inside the caller's transaction."""
    run_at = utcnow() + delay
    for job in await Job.filter(kind=DISTRIBUTE_JOB, state=JOB_PENDING, lease_until=None):
        if isinstance(job.payload, dict) and job.payload.get("status_id") == status_id:
            if job.run_at > run_at:
                await Job.filter(id=job.id).update(run_at=run_at)
            return
    await queue.enqueue(DISTRIBUTE_JOB, {"status_id": status_id}, run_at=run_at)


async def create_for_status(status: Status, spec: PollSpec) -> Poll:
    """Create the status's poll and schedule its expiry; call inside the status transaction."""
    poll = await Poll.create(
        status=status,
        options=[{"title": title, "votes_count": 0} for title in spec.options],
        multiple=spec.multiple,
        hide_totals=spec.hide_totals,
        expires_at=utcnow() + timedelta(seconds=spec.expires_in),
        votes_count=0,
        voters_count=0,
    )
    await schedule_expiry(poll)
    return poll


async def replace_for_status(status: Status, spec: PollSpec | None) -> Poll | None:
    """An edit's poll, as Mastodon does it: no poll removes it; changed options (or a change
    of `multiple`) reset the votes; the expiry restarts from now."""
    existing = await Poll.get_or_none(status_id=status.id)
    if spec is None:
        if existing is not None:
            await existing.delete()
        return None
    if existing is None:
        return await create_for_status(status, spec)
    titles = [option.get("title") for option in existing.options or []]
    if titles != spec.options or existing.multiple != spec.multiple:
        await PollVote.filter(poll_id=existing.id).delete()
        existing.options = [{"title": title, "votes_count": 0} for title in spec.options]
        existing.votes_count = 0
        existing.voters_count = 0
    existing.multiple = spec.multiple
    existing.hide_totals = spec.hide_totals
    existing.expires_at = utcnow() + timedelta(seconds=spec.expires_in)
    existing.closed_at = None
    await existing.save()
    await schedule_expiry(existing)
    return existing


# --- voting --------------------------------------------------------------------------------


async def _locked(poll_id: int) -> Poll:
    """The poll row, locked for the rest of the transaction (PostgreSQL; SQLite serializes)."""
    found = await Poll.filter(id=poll_id).select_for_update().first()
    if found is None:
        raise NotFound()
    return found


async def _record(
    poll_id: int, account: Account, choices: list[int], *, additive: bool, uri: str | None = None
) -> tuple[Poll, list[PollVote]]:
    """Insert `account`'s votes and update the counts; call inside a transaction."""
    poll = await _locked(poll_id)
    if is_expired(poll):
        raise ValidationFailed(MSG_EXPIRED)
    options = [dict(option) for option in poll.options or []]
    if any(choice < 0 or choice >= len(options) for choice in choices):
        raise ValidationFailed(MSG_INVALID_CHOICE)
    previous = set(
        await PollVote.filter(poll_id=poll.id, account_id=account.id).values_list(
            "choice", flat=True
        )
    )
    if previous and (not additive or not poll.multiple or previous & set(choices)):
        raise ValidationFailed(MSG_ALREADY_VOTED)
    votes = []
    for choice in choices:
        vote = await PollVote.create(poll_id=poll.id, account=account, choice=choice, uri=uri)
        votes.append(vote)
        options[choice]["votes_count"] = int(options[choice].get("votes_count") or 0) + 1
    poll.options = options
    poll.votes_count += len(choices)
    if not previous:
        poll.voters_count += 1
    await poll.save(update_fields=["options", "votes_count", "voters_count"])
    return poll, votes


async def vote(ctx: AppContext, voter: Account, poll_id: int, choices: list[int]) -> Poll:
    """A local account's vote (`POST /api/v1/polls/:id/votes`). NotFound if the voter may not
    see the status; ValidationFailed (422) with Mastodon's messages for the rest."""
    poll = await Poll.get_or_none(id=poll_id).select_related("status", "status__account")
    if poll is None or not await can_view(poll.status, voter):
        raise NotFound()
    status: Status = poll.status
    if not choices:
        raise BadRequest("param is missing or the value is empty: choices")
    if status.account_id == voter.id:  # type: ignore[attr-defined]
        raise ValidationFailed(MSG_SELF_VOTE)
    if len(set(choices)) != len(choices):
        raise ValidationFailed(MSG_DUPLICATE_CHOICES)
    if len(choices) > 1 and not poll.multiple:
        raise ValidationFailed(MSG_ONE_CHOICE)
    async with atomic():
        updated, votes = await _record(poll.id, voter, choices, additive=False)
        if status.account.domain is not None:
            await _deliver_votes(ctx, voter, status, updated, votes)
        else:
            await schedule_distribution(status.id)
    return updated


async def record_remote_vote(
    poll: Poll, account: Account, choice_names: list[str], *, uri: str | None = None
) -> Poll:
    """A remote account's vote on a local poll (the inbox calls this for a `Create(Note)` whose
    `name` is an option title and whose `inReplyTo` is the poll's status). Raises
    ValidationFailed when the poll ended, a name is no option, or the choice was counted."""
    titles = [option.get("title") for option in poll.options or []]
    choices = []
    for name in choice_names:
        if name not in titles:
            raise ValidationFailed(MSG_INVALID_CHOICE)
        choices.append(titles.index(name))
    if not choices:
        raise ValidationFailed(MSG_INVALID_CHOICE)
    if len(set(choices)) != len(choices):
        raise ValidationFailed(MSG_DUPLICATE_CHOICES)
    if len(choices) > 1 and not poll.multiple:
        raise ValidationFailed(MSG_ONE_CHOICE)
    status = await Status.get(id=poll.status_id).select_related("account")  # type: ignore[attr-defined]
    if status.account_id == account.id:  # type: ignore[attr-defined]
        raise ValidationFailed(MSG_SELF_VOTE)
    async with atomic():
        updated, _votes = await _record(poll.id, account, choices, additive=True, uri=uri)
        await schedule_distribution(status.id)
    return updated


async def _deliver_votes(
    ctx: AppContext, voter: Account, status: Status, poll: Poll, votes: list[PollVote]
) -> None:
    """Votes on a remote poll go to its author, one `Create(Note)` per choice, named after the
    option (Mastodon's format)."""
    # Imported here: the outbox renders Questions with this module's help.
    from fedianon.activitypub import renderers
    from fedianon.services import outbox

    author = status.account
    for vote_row in votes:
        vote_uri = f"{voter.uri}#votes/{vote_row.id}"
        await PollVote.filter(id=vote_row.id).update(uri=vote_uri)
        note = {
            "id": vote_uri,
            "type": "Note",
            "name": poll.options[vote_row.choice]["title"],
            "attributedTo": voter.uri,
            "to": [author.uri],
            "inReplyTo": status.uri,
        }
        activity = renderers.activity(
            "Create", f"{vote_uri}/activity", voter, note, to=[author.uri]
        )
        await outbox.publish(voter, activity, recipients=[author])


# --- reading -------------------------------------------------------------------------------


async def get_visible(poll_id: int, viewer: Account | None) -> PollView:
    poll = await Poll.get_or_none(id=poll_id).select_related("status", "status__account")
    if poll is None or not await can_view(poll.status, viewer):
        raise NotFound()
    views = await views_for([poll], viewer)
    return views[poll.id]


async def views_for(polls: list[Poll], viewer: Account | None) -> dict[int, PollView]:
    """{poll id: PollView}: one query for the viewer's votes on all of them."""
    own: dict[int, list[int]] = defaultdict(list)
    if viewer is not None and polls:
        for poll_id, choice in await PollVote.filter(
            account_id=viewer.id, poll_id__in=[p.id for p in polls]
        ).values_list("poll_id", "choice"):
            own[poll_id].append(choice)
    views = {}
    for poll in polls:
        choices = sorted(own.get(poll.id, []))
        author_id = poll.status.account_id if isinstance(poll.status, Status) else None  # type: ignore[attr-defined]
        views[poll.id] = PollView(
            poll=poll,
            signed_in=viewer is not None,
            voted=bool(choices) or (viewer is not None and author_id == viewer.id),
            own_votes=choices,
        )
    return views


async def for_statuses(status_ids: list[int], viewer: Account | None) -> dict[int, PollView]:
    """{status id: PollView} for a page of statuses: two queries whatever the page size."""
    if not status_ids:
        return {}
    polls = await Poll.filter(status_id__in=status_ids).select_related("status")
    views = await views_for(polls, viewer)
    return {poll.status_id: views[poll.id] for poll in polls}  # type: ignore[attr-defined]


async def question_fields(status: Status) -> dict[str, Any] | None:
    """The ActivityStreams `Question` fields of a local status with a poll (None without one):
    `oneOf`/`anyOf` with each option's `replies.totalItems`, `endTime`, `closed`,
    `votersCount`. Hidden totals stay hidden from peers too until the end."""
    poll = await Poll.get_or_none(status_id=status.id)
    if poll is None:
        return None
    now = utcnow()
    expired = is_expired(poll, now)
    show = shows_totals(poll, now)
    fields: dict[str, Any] = {
        "anyOf" if poll.multiple else "oneOf": [
            {
                "type": "Note",
                "name": option.get("title"),
                "replies": {
                    "type": "Collection",
                    "totalItems": int(option.get("votes_count") or 0) if show else 0,
                },
            }
            for option in poll.options or []
        ],
        "votersCount": poll.voters_count if show else 0,
    }
    if poll.expires_at is not None:
        fields["endTime"] = iso_seconds(poll.expires_at)
    if expired:
        fields["closed"] = iso_seconds(poll.closed_at or poll.expires_at)
    return fields


# --- expiry --------------------------------------------------------------------------------


async def close_if_expired(poll_id: int) -> bool:
    """Close a poll whose time is up and notify its author and local voters, once. A poll
    that is gone, already closed, or re-timed to a later end is left alone (the later end has
    its own job). Returns True if this call closed it."""
    poll = await Poll.get_or_none(id=poll_id).select_related("status", "status__account")
    if poll is None or poll.closed_at is not None:
        return False
    now = utcnow()
    if poll.expires_at is None or poll.expires_at > now:
        return False
    status: Status = poll.status
    author: Account = status.account
    async with atomic():
        if not await Poll.filter(id=poll.id, closed_at__isnull=True).update(closed_at=now):
            return False
        voters = await Account.filter(
            id__in=Subquery(PollVote.filter(poll_id=poll.id).values("account_id")),
            domain__isnull=True,
        ).order_by("id")
        if author.domain is None:
            await notifications.notify(author, author, "poll", status)
            await schedule_distribution(status.id, timedelta(0))  # peers see it closed
        for voter in voters:
            if voter.id != author.id:
                await notifications.notify(voter, author, "poll", status)
    return True

"""The per-process streaming hub: open connections and the events they get.

Events arrive as ids (`services/events.py`) and are dispatched one at a time, in order.
For each, the hub picks the connections that want it and may see it, then renders the
entity once per (reader, context) through the same Presenter the REST API uses, so a
streamed status carries the same `filtered`, and a `hide` filter keeps it off the stream:

    status.created   update         user (home feed), list, public*, hashtag*
    status.updated   status.update  the same channels (home holders looked up)
    status.deleted   delete         home holders, lists that held it, public* if it was public
    notification.created notification  user, user:notification (needs read:notifications)
    conversation.updated conversation  direct
    filters.changed  filters_changed   user

Public and hashtag streams follow the public timelines: public, not a boost, not a reply
to someone else (hashtags allow replies), local/remote/media as named; readers who block
or mute the author (or are blocked by them) get nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fedianon.api.presenters import Presenter
from fedianon.context import AppContext
from fedianon.models.accounts import Account
from fedianon.models.social import Notification
from fedianon.models.statuses import Status, StatusTag
from fedianon.models.timelines import AccountConversation, HomeFeedEntry, ListFeedEntry
from fedianon.services import feeds
from fedianon.services.events import Event
from fedianon.services.scopes import satisfies
from fedianon.streaming.channels import HASHTAG_STREAMS, PUBLIC_STREAMS, Channel

log = logging.getLogger("fedianon.streaming")

QUEUE_LIMIT = 1000  # frames waiting per connection; the oldest go first past this
EVENT_BACKLOG = 10_000  # events waiting for dispatch in this process
RELATED = ("account", "reblog_of", "reblog_of__account")


@dataclass(frozen=True)
class Frame:
    stream: list[str]
    event: str
    payload: str | None = None

    def websocket(self) -> str:
        body: dict[str, Any] = {"stream": self.stream, "event": self.event}
        if self.payload is not None:
            body["payload"] = self.payload
        return json.dumps(body, separators=(",", ":"))

    def sse(self) -> str:
        # `undefined` is what Mastodon sends for events without a payload; clients expect it.
        return f"event: {self.event}\ndata: {self.payload if self.payload is not None else 'undefined'}\n\n"


def error_frame(message: str, status: int) -> str:
    return json.dumps({"error": message, "status": status}, separators=(",", ":"))


class Connection:
    """One client (a WebSocket or an SSE response): who, which channels, what waits."""

    def __init__(self, account: Account, scopes: frozenset[str], *, limit: int = QUEUE_LIMIT):
        self.account = account
        self.scopes = scopes
        self.channels: dict[tuple[str, str | None], Channel] = {}
        self.queue: asyncio.Queue[Frame | str] = asyncio.Queue(maxsize=limit)
        self.dropped = 0

    def subscribe(self, channel: Channel) -> None:
        self.channels.setdefault(channel.key, channel)

    def unsubscribe(self, channel: Channel) -> None:
        self.channels.pop(channel.key, None)

    def push(self, item: Frame | str) -> None:
        """Queue a frame (or a raw error text); a reader too slow to keep up loses the oldest."""
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()
                    self.dropped += 1


def _public_stream_wants(name: str, status: Status) -> bool:
    parts = set(name.split(":")[1:])
    if "local" in parts and not status.local:
        return False
    if "remote" in parts and status.local:
        return False
    return not ("media" in parts and not status.has_media)


class Hub:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.connections: set[Connection] = set()
        self._events: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=EVENT_BACKLOG)
        self._task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "status.created": lambda data: self._status(data, "update"),
            "status.updated": lambda data: self._status(data, "status.update"),
            "status.deleted": self._deleted,
            "notification.created": self._notification,
            "conversation.updated": self._conversation,
            "filters.changed": self._filters_changed,
        }

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fedianon-streaming-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def register(self, connection: Connection) -> None:
        self.connections.add(connection)

    def unregister(self, connection: Connection) -> None:
        self.connections.discard(connection)

    def submit(self, event: Event) -> None:
        """Take an event (from the in-process bus or PostgreSQL); never blocks, never raises."""
        if not self.connections or event.kind not in self._handlers:
            return
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("streaming backlog full; dropped a %s event", event.kind)

    async def _run(self) -> None:
        while True:
            event = await self._events.get()
            try:
                if event is None:
                    return
                await self.dispatch(event)
            finally:
                self._events.task_done()

    async def drained(self) -> None:
        """Wait until every event submitted so far was dispatched (tests, shutdown)."""
        await self._events.join()

    async def dispatch(self, event: Event) -> None:
        handler = self._handlers.get(event.kind)
        if handler is None or not self.connections:
            return
        try:
            await handler(event.data)
        except Exception:  # one bad event must not stop the stream for everyone
            log.exception("streaming dispatch failed for %s", event.kind)

    # --- helpers ---------------------------------------------------------------------------

    def _subscribed(self, *names: str) -> list[tuple[Connection, Channel]]:
        return [
            (conn, channel)
            for conn in list(self.connections)
            for channel in list(conn.channels.values())
            if channel.name in names
        ]

    async def _render_status(
        self,
        status: Status,
        viewer: Account,
        context: str,
        cache: dict[tuple[int, str], str | None],
    ) -> str | None:
        key = (viewer.id, context)
        if key not in cache:
            rendered = await Presenter(self.ctx, viewer, filter_context=context).statuses([status])
            cache[key] = json.dumps(rendered[0], separators=(",", ":")) if rendered else None
        return cache[key]

    # --- statuses --------------------------------------------------------------------------

    async def _status(self, data: dict[str, Any], event_name: str) -> None:
        status = await Status.get_or_none(id=data["status_id"]).select_related(*RELATED)
        if status is None:
            return
        wanted = self._subscribed("user", "list", *PUBLIC_STREAMS, *HASHTAG_STREAMS)
        if not wanted:
            return
        homes = await self._home_holders(status.id, data, wanted)
        lists = await self._list_holders(status.id, data, wanted)
        public_ok = (
            status.visibility == "public"
            and status.reblog_of_id is None  # type: ignore[attr-defined]
            and status.account.silenced_at is None
            and status.account.suspended_at is None
        )
        tags: set[str] = set()
        if public_ok and any(ch.name in HASHTAG_STREAMS for _, ch in wanted):
            tags = set(
                await StatusTag.filter(status_id=status.id).values_list("tag__name", flat=True)
            )
        targets: list[tuple[Connection, Channel, str]] = []
        for conn, channel in wanted:
            context = None
            if (channel.name == "user" and conn.account.id in homes) or (
                channel.name == "list" and channel.list_id in lists
            ):
                context = "home"
            elif (
                channel.name in PUBLIC_STREAMS
                and public_ok
                and not status.reply_to_other
                and _public_stream_wants(channel.name, status)
            ) or (
                channel.name in HASHTAG_STREAMS
                and public_ok
                and channel.tag in tags
                and (channel.name == "hashtag" or status.local)
            ):
                context = "public"
            if context is not None:
                targets.append((conn, channel, context))
        if not targets:
            return
        authors = [status.account]
        if status.reblog_of_id is not None:  # type: ignore[attr-defined]
            authors.append(status.reblog_of.account)
        readers = {conn.account.id for conn, _, _ in targets}
        excluded = await feeds.excluded_readers(readers, authors)
        cache: dict[tuple[int, str], str | None] = {}
        for conn, channel, context in targets:
            if conn.account.id in excluded and conn.account.id != status.account_id:  # type: ignore[attr-defined]
                continue
            payload = await self._render_status(status, conn.account, context, cache)
            if payload is not None:
                conn.push(Frame(channel.stream, event_name, payload))

    async def _home_holders(
        self, status_id: int, data: dict[str, Any], wanted: list[tuple[Connection, Channel]]
    ) -> set[int]:
        if "home_account_ids" in data:
            return set(data["home_account_ids"])
        readers = {conn.account.id for conn, ch in wanted if ch.name == "user"}
        if not readers:
            return set()
        return set(
            await HomeFeedEntry.filter(status_id=status_id, account_id__in=readers).values_list(
                "account_id", flat=True
            )
        )

    async def _list_holders(
        self, status_id: int, data: dict[str, Any], wanted: list[tuple[Connection, Channel]]
    ) -> set[int]:
        if "list_ids" in data:
            return set(data["list_ids"])
        subscribed = {ch.list_id for _, ch in wanted if ch.name == "list" and ch.list_id}
        if not subscribed:
            return set()
        return set(
            await ListFeedEntry.filter(status_id=status_id, list_id__in=subscribed).values_list(
                "list_id", flat=True
            )
        )

    async def _deleted(self, data: dict[str, Any]) -> None:
        payload = str(data["status_id"])
        truncated = bool(data.get("truncated"))
        homes = set(data.get("home_account_ids") or []) | {data.get("account_id")}
        lists = set(data.get("list_ids") or [])
        public = data.get("visibility") == "public"
        for conn, channel in self._subscribed("user", "list", *PUBLIC_STREAMS, *HASHTAG_STREAMS):
            if (
                (channel.name == "user" and (truncated or conn.account.id in homes))
                or (channel.name == "list" and (truncated or channel.list_id in lists))
                or (public and (channel.name in PUBLIC_STREAMS or channel.name in HASHTAG_STREAMS))
            ):
                conn.push(Frame(channel.stream, "delete", payload))

    # --- notifications, conversations, filters ---------------------------------------------

    async def _notification(self, data: dict[str, Any]) -> None:
        wanted = [
            (conn, channel)
            for conn, channel in self._subscribed("user", "user:notification")
            if conn.account.id == data["account_id"]
            and satisfies(conn.scopes, "read:notifications")
        ]
        if not wanted:
            return
        row = await Notification.get_or_none(id=data["notification_id"]).select_related(
            "from_account"
        )
        if row is None:
            return
        viewer = wanted[0][0].account
        rendered = await Presenter(self.ctx, viewer, filter_context="notifications").notifications(
            [row]
        )
        if not rendered:  # hidden by a filter, or its status is gone
            return
        payload = json.dumps(rendered[0], separators=(",", ":"))
        for conn, channel in wanted:
            conn.push(Frame(channel.stream, "notification", payload))

    async def _conversation(self, data: dict[str, Any]) -> None:
        by_account: dict[int, list[tuple[Connection, Channel]]] = defaultdict(list)
        for conn, channel in self._subscribed("direct"):
            by_account[conn.account.id].append((conn, channel))
        if not by_account:
            return
        if "entries" in data:
            rows = [(a, r) for a, r in data["entries"] if a in by_account]
        else:  # a NOTIFY too large for every entry: look the rows up
            rows = list(
                await AccountConversation.filter(
                    conversation_id=data["conversation_id"], account_id__in=list(by_account)
                ).values_list("account_id", "id")
            )
        for account_id, row_id in rows:
            row = await AccountConversation.get_or_none(id=row_id).select_related(
                "last_status", "last_status__account"
            )
            if row is None:
                continue
            viewer = by_account[account_id][0][0].account
            rendered = await Presenter(self.ctx, viewer, filter_context="thread").conversations(
                [row]
            )
            if not rendered:
                continue
            payload = json.dumps(rendered[0], separators=(",", ":"))
            for conn, channel in by_account[account_id]:
                conn.push(Frame(channel.stream, "conversation", payload))

    async def _filters_changed(self, data: dict[str, Any]) -> None:
        for conn, channel in self._subscribed("user"):
            if conn.account.id == data["account_id"]:
                conn.push(Frame(channel.stream, "filters_changed"))

"""An in-process event bus for things clients stream (new statuses, notifications, deletes).

Services call `emit` after their transaction committed; the streaming layer subscribes. With
no subscriber an event costs nothing. Cross-process delivery (PostgreSQL LISTEN/NOTIFY) plugs
in as a subscriber that forwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("fedianon.events")


@dataclass(frozen=True)
class Event:
    kind: str  # status.created | status.updated | status.deleted | notification.created | ...
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    _subscribers.append(subscriber)
    return lambda: _subscribers.remove(subscriber) if subscriber in _subscribers else None


def emit(kind: str, **data: Any) -> None:
    event = Event(kind, data)
    for subscriber in list(_subscribers):
        try:
            subscriber(event)
        except Exception:  # a broken subscriber must not break the request
            log.exception("event subscriber failed for %s", kind)

"""Job kinds and their handlers. Modules register with `@handler("kind")`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fedianon.settings import Settings
from fedianon.urls import LocalUrls


@dataclass
class WorkerContext:
    """What a job handler may use: settings, URL builders and shared clients."""

    settings: Settings
    urls: LocalUrls
    extras: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[WorkerContext, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


class PermanentJobError(Exception):
    """The job can never succeed (bad payload, gone target): mark it dead without retrying."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register

"""Job kinds and their handlers. Modules register with `@handler("kind")`.

A handler receives the same AppContext as request handlers (settings, URL builders, shared
clients) and the job's JSON payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fedianon.context import AppContext

Handler = Callable[[AppContext, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


class PermanentJobError(Exception):
    """The job can never succeed (bad payload, gone target): mark it dead without retrying."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register

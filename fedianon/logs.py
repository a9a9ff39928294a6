"""Logging without addresses: every handler scrubs mail and IP addresses, and the access log
records method, route template, status and duration only (never the client address)."""

from __future__ import annotations

import logging
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedianon.privacy import ScrubFilter

access_log = logging.getLogger("fedianon.access")


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own access log prints client addresses: never enable it.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.error").addFilter(WebSocketLogFilter())
    for noisy in ("tortoise", "aiosqlite", "asyncpg", "httpx", "httpcore", "mail.log", "multipart"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class WebSocketLogFilter(logging.Filter):
    """Drops uvicorn's WebSocket request lines: they carry the query string, and streaming
    clients may put their access token there (`?access_token=`). Also drops the error
    uvicorn's sans-I/O WebSocket protocol logs after a handshake refused with an HTTP
    response (how a bad streaming token is answered): that refusal is deliberate."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not (
            message.startswith('%s - "WebSocket %s"')
            or message == "ASGI callable returned without completing handshake."
        )


class AccessLogMiddleware:
    """Logs `METHOD /route/{template} STATUS 12ms` for every request."""

    def __init__(self, app: ASGIApp, routes_app: ASGIApp | None = None) -> None:
        self.app = app
        self.routes_app = routes_app
        self._paths: dict[object, str] | None = None

    def _template(self, scope: Scope) -> str:
        """The matched route's path template (`/api/v1/statuses/{id}`), never the raw path."""
        if self._paths is None:
            router = getattr(self.routes_app, "router", None)
            self._paths = {}
            for route in getattr(router, "routes", []):
                endpoint = getattr(route, "endpoint", None)
                if endpoint is not None:
                    self._paths.setdefault(endpoint, str(route.path))
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return "/static/…" if scope["path"].startswith("/static/") else "(unmatched)"
        return self._paths.get(endpoint, "(unmatched)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %d %.0fms", scope["method"], self._template(scope), status, elapsed
            )

"""Signed session cookies (HMAC-SHA256), HttpOnly, SameSite=Lax, Secure over https.

The cookie holds a small JSON dict: the signed-in account id and its session version, the
CSRF token and the sign-up/reset token. Nothing in it identifies a person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "_fedianon_session"
MAX_AGE = 14 * 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"fedianon-session\x00" + secret.encode()).digest()

    def encode(self, data: dict[str, Any], now: float | None = None) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        stamp = str(int(now if now is not None else time.time()))
        signature = _b64(
            hmac.new(self._key, f"{payload}.{stamp}".encode(), hashlib.sha256).digest()
        )
        return f"{payload}.{stamp}.{signature}"

    def decode(self, value: str, now: float | None = None) -> dict[str, Any]:
        try:
            payload, stamp, signature = value.split(".")
            expected = _b64(
                hmac.new(self._key, f"{payload}.{stamp}".encode(), hashlib.sha256).digest()
            )
            if not hmac.compare_digest(expected, signature):
                return {}
            if (now if now is not None else time.time()) - int(stamp) > MAX_AGE:
                return {}
            data = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}


class SessionMiddleware:
    """Loads `scope["session"]` from the cookie and writes it back when it changed."""

    def __init__(
        self, app: ASGIApp, secret: str, *, secure: bool, paths_without: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.codec = SessionCodec(secret)
        self.secure = secure
        self.paths_without = paths_without

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(
            self.paths_without
        ):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        raw = connection.cookies.get(COOKIE_NAME)
        initial = self.codec.decode(raw) if raw else {}
        scope["session"] = dict(initial)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if session != initial:
                    headers = MutableHeaders(scope=message)
                    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
                    if session:
                        headers.append(
                            "Set-Cookie",
                            f"{COOKIE_NAME}={self.codec.encode(session)}; Max-Age={MAX_AGE}{flags}",
                        )
                    else:
                        headers.append("Set-Cookie", f"{COOKIE_NAME}=; Max-Age=0{flags}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

"""/api/v1/streaming: one multiplexed WebSocket, and server-sent events per stream.

WebSocket: the user token comes from `Authorization: Bearer`, `?access_token=` or
`Sec-WebSocket-Protocol` (then echoed as the accepted subprotocol, or browsers drop the
connection). A bad or missing token is refused before the upgrade with 401, as Mastodon
does. Once open, `?stream=` subscribes at once, and `{"type": "subscribe"|"unsubscribe",
"stream": ..., "tag"|"list": ...}` messages change the subscriptions; anything wrong in a
message (not JSON, unknown stream, a list that is not yours) gets an error frame
`{"error": "...", "status": 4xx}` and the connection stays open.

SSE: `GET /api/v1/streaming/<stream>` with `event:`/`data:` lines and a `:thump`
heartbeat; errors before the stream starts are ordinary JSON errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fedianon.api.auth import caller, require_user
from fedianon.context import app_context
from fedianon.errors import Unavailable
from fedianon.models.accounts import Account
from fedianon.services.oauth import token_for_bearer
from fedianon.streaming.channels import StreamError, resolve
from fedianon.streaming.hub import Connection, Frame, Hub, error_frame

log = logging.getLogger("fedianon.streaming")

HEARTBEAT_SECONDS = 15.0
MAX_SUBSCRIPTIONS = 100
READ_SCOPES = ("read", "read:statuses", "read:notifications")


def _hub(conn: Request | WebSocket) -> Hub | None:
    return app_context(conn).extras.get("streaming_hub")  # type: ignore[no-any-return]


# --- WebSocket -------------------------------------------------------------------------------


def _websocket_token(websocket: WebSocket) -> tuple[str | None, bool]:
    """(token, whether it came as the subprotocol)."""
    header = websocket.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip(), False
    if websocket.query_params.get("access_token"):
        return websocket.query_params["access_token"], False
    protocols = websocket.scope.get("subprotocols") or []
    if protocols and protocols[0]:
        return str(protocols[0]), True
    return None, False


async def _authenticate(token: str | None) -> tuple[Account, frozenset[str]]:
    if not token:
        raise StreamError("Missing access token", 401)
    record = await token_for_bearer(token)
    if record is None or record.account is None:
        raise StreamError("Invalid access token", 401)
    scopes = frozenset(record.scopes.split())
    if not any(s in scopes for s in READ_SCOPES):
        raise StreamError("Access token does not have the required scopes", 401)
    return record.account, scopes


async def _refuse(websocket: WebSocket, message: str, status: int) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"error": message}, status_code=status))
    else:
        await websocket.close(code=4000 + status if status < 1000 else 4000)


async def _apply(conn: Connection, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind not in ("subscribe", "unsubscribe"):
        raise StreamError("Unknown message type: use subscribe or unsubscribe", 400)
    channel = await resolve(
        conn.account,
        conn.scopes,
        message.get("stream"),
        tag=message.get("tag"),
        list_id=message.get("list"),
        check_access=kind == "subscribe",
    )
    if kind == "unsubscribe":
        conn.unsubscribe(channel)
        return
    if channel.key not in conn.channels and len(conn.channels) >= MAX_SUBSCRIPTIONS:
        raise StreamError("Too many subscriptions on this connection", 400)
    conn.subscribe(channel)


async def _handle_text(conn: Connection, text: str) -> None:
    try:
        message = json.loads(text)
    except ValueError:
        conn.push(error_frame("Invalid JSON message", 400))
        return
    if not isinstance(message, dict):
        conn.push(error_frame("A message must be a JSON object", 400))
        return
    try:
        await _apply(conn, message)
    except StreamError as exc:
        conn.push(error_frame(exc.message, exc.status_code))


async def _send_frames(websocket: WebSocket, conn: Connection) -> None:
    while True:
        item = await conn.queue.get()
        await websocket.send_text(item.websocket() if isinstance(item, Frame) else item)


async def websocket_endpoint(websocket: WebSocket) -> None:
    token, as_subprotocol = _websocket_token(websocket)
    try:
        account, scopes = await _authenticate(token)
    except StreamError as exc:
        await _refuse(websocket, exc.message, exc.status_code)
        return
    except Exception:  # the database is down, say: refuse cleanly, clients retry
        log.exception("streaming authentication failed")
        await _refuse(websocket, "Streaming is not available", 503)
        return
    hub = _hub(websocket)
    if hub is None:
        await _refuse(websocket, "Streaming is not available", 503)
        return
    await websocket.accept(subprotocol=token if as_subprotocol else None)
    conn = Connection(account, scopes)
    hub.register(conn)
    sender = asyncio.create_task(_send_frames(websocket, conn))
    try:
        params = websocket.query_params
        if params.get("stream"):
            await _handle_text(
                conn,
                json.dumps(
                    {
                        "type": "subscribe",
                        "stream": params["stream"],
                        "tag": params.get("tag"),
                        "list": params.get("list"),
                    }
                ),
            )
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                raw = message.get("bytes") or b""
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    conn.push(error_frame("Invalid JSON message", 400))
                    continue
            await _handle_text(conn, text)
            if sender.done():
                break
    except WebSocketDisconnect:
        pass
    except Exception:  # never let one connection's trouble escape as a server error
        log.exception("streaming connection failed")
    finally:
        hub.unregister(conn)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        with contextlib.suppress(Exception):
            await websocket.close()


# --- server-sent events ----------------------------------------------------------------------


async def _sse(request: Request, stream: str, **params: object) -> Response:
    account = await require_user(request)
    scopes = (await caller(request)).scopes
    if not any(s in scopes for s in READ_SCOPES):
        raise StreamError("Access token does not have the required scopes", 401)
    channel = await resolve(account, scopes, stream, **params)  # type: ignore[arg-type]
    hub = _hub(request)
    if hub is None:
        raise Unavailable("Streaming is not available")
    conn = Connection(account, scopes)
    conn.subscribe(channel)

    async def events() -> AsyncIterator[str]:
        hub.register(conn)
        try:
            yield ":)\n"
            while True:
                try:
                    item = await asyncio.wait_for(conn.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ":thump\n"
                    continue
                if isinstance(item, Frame):
                    yield item.sse()
        finally:
            hub.unregister(conn)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _media(request: Request, name: str) -> str:
    flag = request.query_params.get("only_media", "").lower() in ("1", "true")
    return f"{name}:media" if flag else name


async def sse_user(request: Request) -> Response:
    return await _sse(request, "user")


async def sse_notifications(request: Request) -> Response:
    return await _sse(request, "user:notification")


async def sse_public(request: Request) -> Response:
    return await _sse(request, _media(request, "public"))


async def sse_public_local(request: Request) -> Response:
    return await _sse(request, _media(request, "public:local"))


async def sse_public_remote(request: Request) -> Response:
    return await _sse(request, _media(request, "public:remote"))


async def sse_hashtag(request: Request) -> Response:
    return await _sse(request, "hashtag", tag=request.query_params.get("tag"))


async def sse_hashtag_local(request: Request) -> Response:
    return await _sse(request, "hashtag:local", tag=request.query_params.get("tag"))


async def sse_list(request: Request) -> Response:
    return await _sse(request, "list", list_id=request.query_params.get("list"))


async def sse_direct(request: Request) -> Response:
    return await _sse(request, "direct")


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def same_host(request: Request) -> Response:
    """A plain GET: Mastodon redirects to a separate streaming host, or says 404 when the
    streaming API lives on this host (as here)."""
    return JSONResponse({"error": "Record not found"}, status_code=404)


async def unknown(request: Request) -> Response:
    return JSONResponse({"error": "Unknown channel requested"}, status_code=400)


routes: list[BaseRoute] = [
    WebSocketRoute("/api/v1/streaming", websocket_endpoint),
    WebSocketRoute("/api/v1/streaming/", websocket_endpoint),
    Route("/api/v1/streaming", same_host, methods=["GET"]),
    Route("/api/v1/streaming/health", health, methods=["GET", "HEAD"]),
    Route("/api/v1/streaming/user", sse_user, methods=["GET"]),
    Route("/api/v1/streaming/user/notification", sse_notifications, methods=["GET"]),
    Route("/api/v1/streaming/public", sse_public, methods=["GET"]),
    Route("/api/v1/streaming/public/local", sse_public_local, methods=["GET"]),
    Route("/api/v1/streaming/public/remote", sse_public_remote, methods=["GET"]),
    Route("/api/v1/streaming/hashtag", sse_hashtag, methods=["GET"]),
    Route("/api/v1/streaming/hashtag/local", sse_hashtag_local, methods=["GET"]),
    Route("/api/v1/streaming/list", sse_list, methods=["GET"]),
    Route("/api/v1/streaming/direct", sse_direct, methods=["GET"]),
    Route("/api/v1/streaming/{rest:path}", unknown, methods=["GET"]),
]

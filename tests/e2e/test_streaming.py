"""Streaming end to end, with real clients against real `fedianon serve` processes.

On PostgreSQL the instance runs as two web processes sharing one database: posts go
through one, streams are held on the other, so every event crosses processes through
LISTEN/NOTIFY. On SQLite one process delivers in-process. A WebSocket client (`websockets`)
and an SSE client (httpx) must each see `update` for a post by someone they follow and
`notification` for a mention within a few seconds; bad messages, unknown streams and bad
tokens get clear errors and never take the server down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.support.databases import ENGINE
from tests.support.oauth import obtain_token
from tests.support.servers import Instance

PASSWORD = "a long enough password"
WAIT = 5.0  # generous: the test asserts delivery, not speed


@dataclass
class Deployment:
    posting: Instance  # where the posts are made
    streaming: Instance  # where the streams are held (another process on PostgreSQL)
    tokens: dict[str, str]
    ids: dict[str, str]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.streaming.port}/api/v1/streaming"

    def headers(self, handle: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[handle]}"}


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    workdir = tmp_path_factory.mktemp("streaming")
    first = Instance(workdir, label="web1")
    second: Instance | None = None
    try:
        await first.start()
        if ENGINE == "postgres":
            second = Instance.sharing(first, label="web2")
            await second.start()
        handles = ("alice", "bob", "carol")
        for handle in handles:
            first.cli("accounts", "create", handle, "--password-stdin", stdin=PASSWORD + "\n")
        tokens = {
            h: (await obtain_token(first.base_url, h, PASSWORD)).access_token for h in handles
        }
        ids = {}
        async with httpx.AsyncClient(base_url=first.base_url, timeout=30) as http:
            for handle in handles:
                me = await http.get(
                    "/api/v1/accounts/verify_credentials",
                    headers={"Authorization": f"Bearer {tokens[handle]}"},
                )
                ids[handle] = me.json()["id"]
            follow = await http.post(
                f"/api/v1/accounts/{ids['bob']}/follow",
                headers={"Authorization": f"Bearer {tokens['alice']}"},
            )
            assert follow.status_code == 200 and follow.json()["following"]
        yield Deployment(first, second or first, tokens, ids)
        secrets = list(tokens.values())
    finally:
        logs = first.logs() + (second.logs() if second is not None else "")
        if second is not None:
            await second.destroy()
        await first.destroy()
    # Bad input must never have become a server error.
    assert "Traceback" not in logs and "unhandled error" not in logs, logs[-4000:]
    # Tokens sent as `?access_token=` must not reach the logs.
    assert not [t for t in secrets if t in logs]


async def _post(deployment: Deployment, handle: str, text: str) -> str:
    async with httpx.AsyncClient(base_url=deployment.posting.base_url, timeout=30) as http:
        response = await http.post(
            "/api/v1/statuses", headers=deployment.headers(handle), data={"status": text}
        )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _synced(ws: ClientConnection) -> None:
    """Messages are handled in order, so an answered bad message means the subscriptions
    sent before it are in place (and proves bad input gets an error frame, not a close)."""
    await ws.send("this is not JSON")
    error = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert error == {"error": "Invalid JSON message", "status": 400}


async def _until(ws: ClientConnection, wanted: set[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    seen: dict[str, dict] = {}  # type: ignore[type-arg]
    async with asyncio.timeout(WAIT):
        while not wanted <= set(seen):
            frame = json.loads(await ws.recv())
            seen.setdefault(frame["event"], frame)
    return seen


async def test_websocket_update_and_notification_across_processes(
    deployment: Deployment,
) -> None:
    async with connect(
        f"{deployment.ws_url}?stream=user", additional_headers=deployment.headers("alice")
    ) as ws:
        await _synced(ws)
        status_id = await _post(deployment, "bob", "hello @alice, the library is open")
        seen = await _until(ws, {"update", "notification"})
        # Each event arrives once, though it went out as NOTIFY to both processes.
        with pytest.raises(TimeoutError):
            extra = await asyncio.wait_for(ws.recv(), 1.0)
            raise AssertionError(f"unexpected frame: {extra!r}")
    update, notification = seen["update"], seen["notification"]
    assert update["stream"] == ["user"] and isinstance(update["payload"], str)
    assert json.loads(update["payload"])["id"] == status_id
    body = json.loads(notification["payload"])
    assert body["type"] == "mention" and body["status"]["id"] == status_id
    assert body["account"]["acct"] == "bob"


async def test_sse_update_and_notification_across_processes(deployment: Deployment) -> None:
    url = f"{deployment.streaming.base_url}/api/v1/streaming/user"
    events: dict[str, str] = {}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(WAIT * 2)) as http,
        http.stream("GET", url, headers=deployment.headers("alice")) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert (await anext(lines)).startswith(":")  # subscribed: the stream is open
        status_id = await _post(deployment, "bob", "another one for @alice")
        name = None
        async with asyncio.timeout(WAIT):
            async for line in lines:
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: ") and name:
                    events.setdefault(name, line[len("data: ") :])
                if {"update", "notification"} <= set(events):
                    break
    assert json.loads(events["update"])["id"] == status_id
    assert json.loads(events["notification"])["status"]["id"] == status_id


async def test_websocket_subscriptions_token_styles_and_bad_input(
    deployment: Deployment,
) -> None:
    token = deployment.tokens["carol"]
    # The token as the subprotocol (masto.js, browsers): echoed back, or Chrome drops it.
    async with connect(deployment.ws_url, subprotocols=[token]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == token
        await ws.send(json.dumps({"type": "subscribe", "stream": "nope"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT)) == {
            "error": "Unknown stream type",
            "status": 400,
        }
        await ws.send(json.dumps({"type": "subscribe", "stream": "hashtag"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["status"] == 400
        await ws.send(json.dumps({"type": "dance", "stream": "user"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["status"] == 400
        await ws.send(json.dumps(["subscribe"]))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["status"] == 400
        # Still open and working: follow a hashtag stream, then see a post with that tag.
        await ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Exams"}))
        await _synced(ws)
        status_id = await _post(deployment, "bob", "good luck with the #exams")
        frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert frame["stream"] == ["hashtag", "Exams"] and frame["event"] == "update"
        assert json.loads(frame["payload"])["id"] == status_id
        await ws.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "Exams"}))
        await _synced(ws)
        await _post(deployment, "bob", "more #exams")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 1.0)
    # The legacy query parameter works too.
    async with connect(f"{deployment.ws_url}?access_token={token}&stream=public:local") as ws:
        await _synced(ws)
        status_id = await _post(deployment, "bob", "public news")
        frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert (
            frame["stream"] == ["public:local"] and json.loads(frame["payload"])["id"] == status_id
        )
    # Bad or missing tokens are refused at the handshake, as Mastodon does.
    for headers in ({"Authorization": "Bearer not-a-token"}, {}):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(deployment.ws_url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401
        assert "error" in json.loads(refused.value.response.body or b"{}")
    # A list that is not yours: an error frame, nothing delivered.
    async with httpx.AsyncClient(base_url=deployment.posting.base_url, timeout=30) as http:
        alices = await http.post(
            "/api/v1/lists", headers=deployment.headers("alice"), data={"title": "mine"}
        )
    async with connect(deployment.ws_url, additional_headers=deployment.headers("carol")) as ws:
        await ws.send(
            json.dumps({"type": "subscribe", "stream": "list", "list": alices.json()["id"]})
        )
        answer = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert answer["error"] == "Not authorized to stream this list"
    # The server is fine after all of this.
    async with httpx.AsyncClient(base_url=deployment.streaming.base_url, timeout=10) as http:
        assert (await http.get("/api/v1/streaming/health")).text == "OK"


async def test_sse_errors(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.streaming.base_url, timeout=10) as http:
        unknown = await http.get("/api/v1/streaming/nonsense", headers=deployment.headers("alice"))
        assert unknown.status_code == 400 and unknown.json() == {
            "error": "Unknown channel requested"
        }
        bad_token = await http.get(
            "/api/v1/streaming/user", headers={"Authorization": "Bearer nope"}
        )
        assert bad_token.status_code == 401 and "error" in bad_token.json()
        no_tag = await http.get("/api/v1/streaming/hashtag", headers=deployment.headers("alice"))
        assert no_tag.status_code == 400 and no_tag.json()["error"] == "No tag for stream provided"
        plain_get = await http.get("/api/v1/streaming", headers=deployment.headers("alice"))
        assert plain_get.status_code == 404  # same host: no separate streaming server

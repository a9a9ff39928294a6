"""Stream names, their parameters and who may subscribe to them.

A channel is a stream name plus, for `hashtag` and `list`, its parameter. Clients match
incoming frames on `stream` as an array (`["hashtag", "foo"]`, `["list", "42"]`), so the
parameter is echoed exactly as the client sent it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedianon.errors import FedianonError
from fedianon.ids import parse_id
from fedianon.models.accounts import Account
from fedianon.models.timelines import List as UserList
from fedianon.services.scopes import satisfies

PUBLIC_STREAMS = (
    "public",
    "public:media",
    "public:local",
    "public:local:media",
    "public:remote",
    "public:remote:media",
)
HASHTAG_STREAMS = ("hashtag", "hashtag:local")
# stream -> the scope it needs (besides a user token)
STREAMS: dict[str, str] = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    **dict.fromkeys(PUBLIC_STREAMS, "read:statuses"),
    **dict.fromkeys(HASHTAG_STREAMS, "read:statuses"),
    "list": "read:lists",
    "direct": "read:statuses",
}
MAX_TAG = 100


class StreamError(FedianonError):
    """A stream request the server refuses: sent as `{"error", "status"}` on a WebSocket,
    or as an HTTP error for server-sent events."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status_code = status


@dataclass(frozen=True)
class Channel:
    name: str
    param: str | None = None  # the tag or list id, as the client gave it

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.name, normalize_tag(self.param) if self.param is not None else None)

    @property
    def stream(self) -> list[str]:
        return [self.name] if self.param is None else [self.name, self.param]

    @property
    def list_id(self) -> int | None:
        return parse_id(self.param) if self.name == "list" else None

    @property
    def tag(self) -> str | None:
        return normalize_tag(self.param) if self.name in HASHTAG_STREAMS and self.param else None


def normalize_tag(value: str) -> str:
    return value.strip().lstrip("#").lower()


async def resolve(
    account: Account,
    scopes: frozenset[str],
    name: object,
    *,
    tag: object = None,
    list_id: object = None,
    check_access: bool = True,
) -> Channel:
    """The channel for a subscribe (or unsubscribe) request, or StreamError saying why not."""
    if not isinstance(name, str) or name not in STREAMS:
        raise StreamError("Unknown stream type", 400)
    if check_access and not satisfies(scopes, STREAMS[name]):
        raise StreamError("Access token does not have the required scopes", 401)
    if name in HASHTAG_STREAMS:
        if not isinstance(tag, str) or not normalize_tag(tag) or len(tag) > MAX_TAG:
            raise StreamError("No tag for stream provided", 400)
        return Channel(name, tag)
    if name == "list":
        raw = str(list_id) if isinstance(list_id, str | int) else ""
        found = parse_id(raw)
        if found is None:
            raise StreamError("No list for stream provided", 400)
        if check_access and not await UserList.exists(id=found, account_id=account.id):
            raise StreamError("Not authorized to stream this list", 401)
        return Channel(name, raw)
    return Channel(name)

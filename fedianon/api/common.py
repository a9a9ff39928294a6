"""Small helpers every route module uses."""

from __future__ import annotations

from starlette.requests import Request

from fedianon.api.presenters import Presenter
from fedianon.context import app_context
from fedianon.errors import NotFound
from fedianon.ids import parse_id
from fedianon.models.accounts import Account


def path_id(request: Request, name: str = "id") -> int:
    value = parse_id(request.path_params.get(name))
    if value is None:
        raise NotFound()
    return value


def presenter(
    request: Request, viewer: Account | None, *, filter_context: str = "home"
) -> Presenter:
    return Presenter(app_context(request), viewer, filter_context=filter_context)


def flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "")
    return value.strip().lower() not in ("", "0", "false", "f", "off", "no")


def query_list(request: Request, name: str) -> list[str]:
    return [*request.query_params.getlist(f"{name}[]"), *request.query_params.getlist(name)]


def query_ids(request: Request, name: str) -> list[int]:
    """`name[]=1&name[]=2` (or `name=`) as ids; what is not an id is skipped, as Mastodon
    skips unknown ids in these lists."""
    return [i for i in (parse_id(raw) for raw in query_list(request, name)) if i is not None]


def int_param(request: Request, name: str, default: int, *, maximum: int, minimum: int = 0) -> int:
    from fedianon.errors import BadRequest

    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None
    return max(minimum, min(value, maximum))

"""/api/v1/polls: read a poll and vote on it. Polls are created with their status
(`poll[...]` on POST /api/v1/statuses)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import optional_user, require_user
from fedianon.api.common import path_id
from fedianon.api.params import read_params
from fedianon.api.presenters import poll_entity
from fedianon.context import app_context
from fedianon.errors import ValidationFailed
from fedianon.services import polls


async def show(request: Request) -> JSONResponse:
    viewer = await optional_user(request, "read:statuses")
    return JSONResponse(poll_entity(await polls.get_visible(path_id(request), viewer)))


def _choices(raw: list[str]) -> list[int]:
    choices = []
    for item in raw:
        text = item.strip()
        if not text.lstrip("-").isdigit():
            raise ValidationFailed("Validation failed: choices must be option indexes (integers)")
        choices.append(int(text))
    return choices


async def vote(request: Request) -> JSONResponse:
    account = await require_user(request, "write:statuses")
    params = await read_params(request)
    poll = await polls.vote(
        app_context(request), account, path_id(request), _choices(params.str_list("choices"))
    )
    return JSONResponse(poll_entity(await polls.get_visible(poll.id, account)))


routes = [
    Route("/api/v1/polls/{id}", show, methods=["GET"]),
    Route("/api/v1/polls/{id}/votes", vote, methods=["POST"]),
]

"""/api/v2/filters with their keywords and statuses, and the v1 view of keyword filters
(Tusky falls back to /api/v1/filters when v2 answers 404). Rules in services/filters.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api.auth import require_user
from fedianon.api.common import path_id
from fedianon.api.params import Params, read_params
from fedianon.api.presenters import filter_entity, filter_keyword_entity, filter_status_entity
from fedianon.errors import ValidationFailed
from fedianon.ids import parse_id
from fedianon.services import filters
from fedianon.timeutil import iso


def _items(raw: Any) -> list[dict[str, Any]]:
    """`keywords_attributes` as a list of dicts, whatever the encoding.

    Forms send `keywords_attributes[][keyword]=a&keywords_attributes[][whole_word]=1&...`,
    which arrives as one single-key dict per field; like Rails, a key that repeats starts a
    new entry.
    Indexed forms (`keywords_attributes[0][keyword]`) and JSON arrive whole.
    """
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=lambda k: (len(k), k))]
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ValidationFailed("Validation failed: keywords_attributes must be a list of objects")
    if not all(len(item) == 1 for item in raw):
        return raw  # whole objects (JSON, indexed forms)
    merged: list[dict[str, Any]] = []
    for item in raw:
        if merged and not (set(item) & set(merged[-1])):
            merged[-1].update(item)
        else:
            merged.append(dict(item))
    return merged


def _keyword_changes(params: Params) -> list[filters.KeywordChange]:
    changes = []
    for item in _items(params.raw("keywords_attributes")):
        entry = Params(item)
        raw_id = entry.str("id")
        keyword_id = None
        if raw_id:
            keyword_id = parse_id(raw_id)
            if keyword_id is None:
                raise ValidationFailed("Validation failed: keywords_attributes id must be an id")
        changes.append(
            filters.KeywordChange(
                keyword=entry.str("keyword"),
                whole_word=entry.bool("whole_word"),
                id=keyword_id,
                destroy=bool(entry.bool("_destroy", False)),
            )
        )
    return changes


def _ids(params: Params, name: str) -> list[int]:
    out = []
    for raw in params.str_list(name):
        value = parse_id(raw)
        if value is None:
            raise ValidationFailed(f"Validation failed: {name} must be ids")
        out.append(value)
    return out


def _context(params: Params) -> list[str] | None:
    if "context" not in params:
        return None
    return params.str_list("context")


def _expires(params: Params) -> tuple[int | None, bool]:
    given = "expires_in" in params.data
    return params.int("expires_in"), given


def _change(params: Params) -> filters.FilterChange:
    expires_in, expires_given = _expires(params)
    return filters.FilterChange(
        title=params.str("title"),
        context=_context(params),
        filter_action=params.str("filter_action") or None,
        expires_in=expires_in,
        expires_given=expires_given,
        keywords=_keyword_changes(params),
        status_ids=_ids(params, "status_ids"),
    )


# --- v2 --------------------------------------------------------------------------------------


async def index(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse([filter_entity(f) for f in await filters.all_for(owner)])


async def create(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    loaded = await filters.create(owner, _change(await read_params(request)))
    return JSONResponse(filter_entity(loaded))


async def show(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse(filter_entity(await filters.get(owner, path_id(request))))


async def update(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    loaded = await filters.update(owner, path_id(request), _change(await read_params(request)))
    return JSONResponse(filter_entity(loaded))


async def destroy(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    await filters.delete(owner, path_id(request))
    return JSONResponse({})


async def keywords(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    rows = await filters.keywords_of(owner, path_id(request))
    return JSONResponse([filter_keyword_entity(k) for k in rows])


async def add_keyword(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    params = await read_params(request)
    created = await filters.add_keyword(
        owner, path_id(request), params.str("keyword"), params.bool("whole_word")
    )
    return JSONResponse(filter_keyword_entity(created))


async def keyword(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse(filter_keyword_entity(await filters.get_keyword(owner, path_id(request))))


async def update_keyword(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    params = await read_params(request)
    updated = await filters.update_keyword(
        owner, path_id(request), params.str("keyword"), params.bool("whole_word")
    )
    return JSONResponse(filter_keyword_entity(updated))


async def delete_keyword(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    await filters.delete_keyword(owner, path_id(request))
    return JSONResponse({})


async def statuses(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    rows = await filters.statuses_of(owner, path_id(request))
    return JSONResponse([filter_status_entity(s) for s in rows])


async def add_status(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    params = await read_params(request)
    status_id = parse_id(params.str("status_id"))
    if status_id is None:
        raise ValidationFailed("Validation failed: Status can't be blank")
    created = await filters.add_status(owner, path_id(request), status_id)
    return JSONResponse(filter_status_entity(created))


async def status(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse(filter_status_entity(await filters.get_status(owner, path_id(request))))


async def delete_status(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    await filters.delete_status(owner, path_id(request))
    return JSONResponse({})


# --- v1 --------------------------------------------------------------------------------------


def v1_entity(found: filters.V1Filter) -> dict[str, Any]:
    return {
        "id": str(found.keyword.id),
        "phrase": found.keyword.keyword,
        "context": list(found.filter.context or []),
        "whole_word": found.keyword.whole_word,
        "expires_at": iso(found.filter.expires_at),
        "irreversible": found.filter.filter_action == "hide",
    }


async def v1_index(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse([v1_entity(f) for f in await filters.v1_all(owner)])


async def v1_show(request: Request) -> JSONResponse:
    owner = await require_user(request, "read:filters")
    return JSONResponse(v1_entity(await filters.v1_get(owner, path_id(request))))


async def v1_create(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    params = await read_params(request)
    found = await filters.v1_create(
        owner,
        phrase=params.str("phrase"),
        context=params.str_list("context"),
        irreversible=bool(params.bool("irreversible", False)),
        whole_word=params.bool("whole_word", True) is not False,
        expires_in=params.int("expires_in"),
    )
    return JSONResponse(v1_entity(found))


async def v1_update(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    params = await read_params(request)
    expires_in, expires_given = _expires(params)
    found = await filters.v1_update(
        owner,
        path_id(request),
        phrase=params.str("phrase"),
        context=_context(params),
        irreversible=params.bool("irreversible"),
        whole_word=params.bool("whole_word"),
        expires_in=expires_in,
        expires_given=expires_given,
    )
    return JSONResponse(v1_entity(found))


async def v1_destroy(request: Request) -> JSONResponse:
    owner = await require_user(request, "write:filters")
    await filters.v1_delete(owner, path_id(request))
    return JSONResponse({})


routes = [
    Route("/api/v2/filters", index, methods=["GET"]),
    Route("/api/v2/filters", create, methods=["POST"]),
    Route("/api/v2/filters/keywords/{id}", keyword, methods=["GET"]),
    Route("/api/v2/filters/keywords/{id}", update_keyword, methods=["PUT", "PATCH"]),
    Route("/api/v2/filters/keywords/{id}", delete_keyword, methods=["DELETE"]),
    Route("/api/v2/filters/statuses/{id}", status, methods=["GET"]),
    Route("/api/v2/filters/statuses/{id}", delete_status, methods=["DELETE"]),
    Route("/api/v2/filters/{id}", show, methods=["GET"]),
    Route("/api/v2/filters/{id}", update, methods=["PUT", "PATCH"]),
    Route("/api/v2/filters/{id}", destroy, methods=["DELETE"]),
    Route("/api/v2/filters/{id}/keywords", keywords, methods=["GET"]),
    Route("/api/v2/filters/{id}/keywords", add_keyword, methods=["POST"]),
    Route("/api/v2/filters/{id}/statuses", statuses, methods=["GET"]),
    Route("/api/v2/filters/{id}/statuses", add_status, methods=["POST"]),
    Route("/api/v1/filters", v1_index, methods=["GET"]),
    Route("/api/v1/filters", v1_create, methods=["POST"]),
    Route("/api/v1/filters/{id}", v1_show, methods=["GET"]),
    Route("/api/v1/filters/{id}", v1_update, methods=["PUT", "PATCH"]),
    Route("/api/v1/filters/{id}", v1_destroy, methods=["DELETE"]),
]

"""The signed-in account: verify_credentials and update_credentials."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon.api import entities
from fedianon.api import media as media_api
from fedianon.api.auth import require_user
from fedianon.api.params import Params
from fedianon.context import app_context
from fedianon.errors import ValidationFailed
from fedianon.models.accounts import Account
from fedianon.models.social import FollowRequest
from fedianon.services import accounts as account_service
from fedianon.services import media


async def _credential(request: Request, acc: Account) -> JSONResponse:
    pending = await FollowRequest.filter(target_account_id=acc.id).count()
    return JSONResponse(
        entities.credential_account(acc, app_context(request).urls, follow_requests_count=pending)
    )


async def verify_credentials(request: Request) -> JSONResponse:
    return await _credential(request, await require_user(request, "read:accounts"))


def _profile_fields(params: Params) -> list[tuple[str, str]] | None:
    raw = params.raw("fields_attributes")
    if raw is None:
        return None
    items = (
        raw
        if isinstance(raw, list)
        else [raw[k] for k in sorted(raw, key=lambda k: (len(k), k))]
        if isinstance(raw, dict)
        else None
    )
    if items is None:
        raise ValidationFailed(
            "Validation failed: fields_attributes must be a list of {name, value}"
        )
    fields: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValidationFailed(
                "Validation failed: fields_attributes must be a list of {name, value}"
            )
        fields.append((str(item.get("name") or ""), str(item.get("value") or "")))
    return fields


async def _image(params: Params, name: str, max_bytes: int) -> tuple[bytes, str | None] | None:
    upload = params.files.get(name)
    if upload is None:
        return None
    return await media_api.read_file(upload, max_bytes), upload.content_type


async def update_credentials(request: Request) -> JSONResponse:
    account = await require_user(request, "write:accounts")
    ctx = app_context(request)
    params = await media_api.read_upload_params(request, ctx)
    # Images are processed (and refused) before anything is saved: a bad image changes nothing.
    images = await media.prepare_profile_images(
        ctx,
        await _image(params, "avatar", ctx.settings.media_max_bytes),
        await _image(params, "header", ctx.settings.media_max_bytes),
    )
    source = params.dict("source")
    source_params = Params(source)
    update = account_service.ProfileUpdate(
        display_name=params.str("display_name"),
        note=params.str("note"),
        locked=params.bool("locked"),
        bot=params.bool("bot"),
        discoverable=params.bool("discoverable"),
        indexable=params.bool("indexable"),
        hide_collections=params.bool("hide_collections"),
        fields=_profile_fields(params),
        default_visibility=source_params.str("privacy"),
        default_sensitive=source_params.bool("sensitive"),
        default_language=source_params.str("language"),
    )
    await account_service.update_profile(account, update)
    await media.apply_profile_images(ctx, account, images)
    from fedianon.services import outbox

    fresh = await Account.get(id=account.id)  # as saved, images included
    await outbox.profile_updated(ctx, fresh)
    return await _credential(request, fresh)


routes = [
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route(
        "/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH", "PUT", "POST"]
    ),
]

"""The instance entity, v1 and v2, and the small always-present endpoints clients call at
login (custom emojis, rules)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fedianon import MASTODON_API_VERSION, __version__
from fedianon.api import entities
from fedianon.context import AppContext, app_context
from fedianon.media.processing import DEFAULT_MAX_PIXELS
from fedianon.models.accounts import ROLE_ADMIN, Account
from fedianon.models.federation import Instance
from fedianon.models.statuses import Status
from fedianon.services import media, polls

VERSION = f"{MASTODON_API_VERSION} (compatible; fedianon {__version__})"
SOURCE_URL = "https://github.com/fedianon/fedianon"
IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]


def _configuration(ctx: AppContext) -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {
            "max_characters": ctx.settings.max_characters,
            "max_media_attachments": media.MAX_ATTACHMENTS,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": IMAGE_TYPES,
            "description_limit": media.MAX_DESCRIPTION,
            "image_size_limit": ctx.settings.media_max_bytes,
            "image_matrix_limit": DEFAULT_MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": polls.MAX_OPTIONS,
            "max_characters_per_option": polls.MAX_OPTION_CHARS,
            "min_expiration": polls.MIN_EXPIRATION,
            "max_expiration": polls.MAX_EXPIRATION,
        },
    }


def _streaming_url(ctx: AppContext) -> str:
    return ("wss" if ctx.settings.scheme == "https" else "ws") + "://" + ctx.settings.domain


async def _contact_account(ctx: AppContext) -> dict[str, Any] | None:
    admin = (
        await Account.filter(domain=None, role=ROLE_ADMIN, suspended_at__isnull=True)
        .order_by("id")
        .first()
    )
    return entities.account(admin, ctx.urls) if admin else None


def _local_users():  # type: ignore[no-untyped-def]
    return Account.filter(domain=None, actor_type="Person", deleted_at__isnull=True)


async def instance_v1(request: Request) -> JSONResponse:
    ctx = app_context(request)
    settings = ctx.settings
    return JSONResponse(
        {
            "uri": settings.domain,
            "title": settings.instance_title,
            "short_description": settings.instance_description,
            "description": settings.instance_description,
            "email": settings.contact_email,
            "version": VERSION,
            "urls": {"streaming_api": _streaming_url(ctx)},
            "stats": {
                "user_count": await _local_users().count(),
                "status_count": await Status.filter(
                    local=True, deleted_at__isnull=True, reblog_of_id__isnull=True
                ).count(),
                "domain_count": await Instance.all().count(),
            },
            "thumbnail": None,
            "languages": ["en"],
            "registrations": settings.sign_up_open,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": _configuration(ctx),
            "contact_account": await _contact_account(ctx),
            "rules": [],
        }
    )


async def instance_v2(request: Request) -> JSONResponse:
    ctx = app_context(request)
    settings = ctx.settings
    configuration = _configuration(ctx)
    configuration["urls"] = {
        "streaming": _streaming_url(ctx),
        "status": None,
        "about": f"{settings.base_url}/about",
        "privacy_policy": None,
        "terms_of_service": None,
    }
    configuration["vapid"] = {"public_key": ""}
    configuration["translation"] = {"enabled": False}
    configuration["limited_federation"] = False
    return JSONResponse(
        {
            "domain": settings.domain,
            "title": settings.instance_title,
            "version": VERSION,
            "source_url": SOURCE_URL,
            "description": settings.instance_description,
            "usage": {"users": {"active_month": await _local_users().count()}},
            "thumbnail": {
                "url": f"{settings.base_url}/static/thumbnail.png",
                "blurhash": None,
                "versions": {},
            },
            "icon": [],
            "languages": ["en"],
            "configuration": configuration,
            "registrations": {
                "enabled": settings.sign_up_open,
                "approval_required": False,
                "message": (
                    "Sign up with your campus address: " + ", ".join(settings.campus_domains)
                    if settings.sign_up_open
                    else "Sign-up is closed."
                ),
                "url": f"{settings.base_url}/auth/sign_up" if settings.sign_up_open else None,
                "min_age": None,
                "reason_required": False,
            },
            "api_versions": {"mastodon": 1},
            "contact": {"email": settings.contact_email, "account": await _contact_account(ctx)},
            "rules": [],
        }
    )


async def empty_list(request: Request) -> JSONResponse:
    return JSONResponse([])


routes = [
    Route("/api/v1/instance", instance_v1, methods=["GET"]),
    Route("/api/v1/instance/", instance_v1, methods=["GET"]),
    Route("/api/v2/instance", instance_v2, methods=["GET"]),
    Route("/api/v2/instance/", instance_v2, methods=["GET"]),
    Route("/api/v1/instance/rules", empty_list, methods=["GET"]),
    Route("/api/v1/custom_emojis", empty_list, methods=["GET"]),
]

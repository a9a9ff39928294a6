"""The composition root: builds the Starlette app, mounts every route, opens the database and
starts the in-process worker. The only module that imports `web`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from fedianon.activitypub import discovery as ap_discovery
from fedianon.activitypub import inbox as ap_inbox
from fedianon.activitypub import objects as ap_objects
from fedianon.activitypub.setup import start_federation, stop_federation
from fedianon.api import accounts as api_accounts
from fedianon.api import admin_accounts as api_admin_accounts
from fedianon.api import admin_domains as api_admin_domains
from fedianon.api import admin_reports as api_admin_reports
from fedianon.api import admin_subscriptions as api_admin_subscriptions
from fedianon.api import conversations as api_conversations
from fedianon.api import empty as api_empty
from fedianon.api import filters as api_filters
from fedianon.api import instance as api_instance
from fedianon.api import lists as api_lists
from fedianon.api import media as api_media
from fedianon.api import notifications as api_notifications
from fedianon.api import oauth as api_oauth
from fedianon.api import polls as api_polls
from fedianon.api import relationships as api_relationships
from fedianon.api import reports as api_reports
from fedianon.api import search as api_search
from fedianon.api import statuses as api_statuses
from fedianon.api import timelines as api_timelines
from fedianon.api.cors import ApiCorsMiddleware
from fedianon.api.errors import EXCEPTION_HANDLERS
from fedianon.api.ratelimit import ApiRateLimitMiddleware
from fedianon.context import AppContext
from fedianon.db import close_db, init_db
from fedianon.jobs.setup import register_all
from fedianon.jobs.worker import Worker
from fedianon.logs import AccessLogMiddleware
from fedianon.services import events
from fedianon.settings import Settings
from fedianon.streaming import routes as streaming_routes
from fedianon.streaming.hub import Hub
from fedianon.streaming.postgres import Listener, Publisher
from web import admin as web_admin
from web import admin_reports as web_admin_reports
from web import routes as web_routes
from web.session import SessionMiddleware

log = logging.getLogger("fedianon.app")
NO_SESSION_PATHS = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/.well-known/",
    "/nodeinfo",
    "/users/",
    "/inbox",
    "/actor",
    "/media/",
    "/static/",
)


def all_routes() -> list[BaseRoute]:
    return [
        *api_oauth.routes,
        *api_instance.routes,
        *api_accounts.routes,
        *api_relationships.routes,
        *api_statuses.routes,
        *api_media.routes,
        *api_polls.routes,
        *api_timelines.routes,
        *api_notifications.routes,
        *api_search.routes,
        *api_lists.routes,
        *api_filters.routes,
        *api_conversations.routes,
        *api_reports.routes,
        *api_admin_reports.routes,
        *api_admin_accounts.routes,
        *api_empty.routes,
        *api_admin_domains.routes,
        *api_admin_subscriptions.routes,
        *ap_discovery.routes,
        *ap_objects.routes,
        *ap_inbox.routes,
        *streaming_routes.routes,
        *web_admin.routes,
        *web_admin_reports.routes,
        *web_routes.routes,
    ]


async def start_streaming(ctx: AppContext, settings: Settings) -> Callable[[], Awaitable[None]]:
    """Subscribe the streaming hub to events: in-process on SQLite; on PostgreSQL through
    NOTIFY/LISTEN only, so events from every process arrive, each exactly once."""
    hub = Hub(ctx)
    await hub.start()
    ctx.extras["streaming_hub"] = hub
    if settings.database.engine != "postgres":
        unsubscribe = events.subscribe(hub.submit)

        async def stop_local() -> None:
            unsubscribe()
            await hub.stop()

        return stop_local
    publisher, listener = Publisher(), Listener(settings.database.url, hub.submit)
    await publisher.start()
    unsubscribe = events.subscribe(publisher.publish)
    await listener.start()

    async def stop_postgres() -> None:
        unsubscribe()
        await publisher.stop()
        await listener.stop()
        await hub.stop()

    return stop_postgres


def create_app(settings: Settings, *, start_worker: bool | None = None) -> Starlette:
    ctx = AppContext.build(settings)
    register_all()  # job handlers and periodic jobs, for the in-process worker and tests
    run_worker = settings.workers > 0 if start_worker is None else start_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_db(settings.database)
        register_all()
        await start_federation(ctx)
        stop_streaming = await start_streaming(ctx, settings)
        worker = None
        task = None
        if run_worker:
            worker = Worker(ctx, concurrency=max(4, settings.workers * 8))
            task = asyncio.create_task(worker.run())
            ctx.extras["worker"] = worker
        try:
            yield
        finally:
            if worker is not None and task is not None:
                worker.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 10)
            await stop_streaming()
            await stop_federation(ctx)
            await close_db()

    app = Starlette(
        routes=all_routes(),
        middleware=[
            Middleware(ApiCorsMiddleware),
            Middleware(ApiRateLimitMiddleware),
            Middleware(
                SessionMiddleware,
                secret=settings.secret_key,
                secure=settings.secure_cookies,
                paths_without=NO_SESSION_PATHS,
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.render_error_page = web_routes.render_error_page
    return app


def create_asgi(settings: Settings, **kwargs: object) -> AccessLogMiddleware:
    """The app wrapped in the access log (outermost, so it sees the final status)."""
    app = create_app(settings, **kwargs)  # type: ignore[arg-type]
    return AccessLogMiddleware(app, routes_app=app)

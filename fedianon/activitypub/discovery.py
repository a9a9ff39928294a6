"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import nodeinfo, webfinger
from fedianon import __version__
from fedianon.context import app_context
from fedianon.models.accounts import Account
from fedianon.models.statuses import Status

JRD = "application/jrd+json; charset=utf-8"


async def webfinger_endpoint(request: Request) -> Response:
    ctx = app_context(request)
    resource = request.query_params.get("resource", "")
    if not resource:
        return JSONResponse({"error": "resource is missing"}, status_code=400)
    try:
        parsed = webfinger.parse_resource(resource)
    except webfinger.WebFingerError as exc:
        return JSONResponse(
            {"error": exc.reason if hasattr(exc, "reason") else str(exc)}, status_code=400
        )
    account: Account | None = None
    if isinstance(parsed, webfinger.Acct):
        if parsed.host.lower() != ctx.settings.domain.lower():
            return JSONResponse({"error": "Record not found"}, status_code=404)
        if (
            parsed.user.lower() == ctx.settings.host
            or parsed.user.lower() == ctx.settings.domain.lower()
        ):
            account = ctx.extras.get("instance_actor")
        else:
            account = await Account.get_or_none(acct_key=parsed.user.lower(), domain=None)
    else:
        url = parsed.url
        account = await Account.get_or_none(uri=url, domain=None) or await Account.get_or_none(
            url=url, domain=None
        )
    if account is None or account.deleted_at is not None:
        # a suspended account still resolves (as in Mastodon): its actor says it is suspended
        return JSONResponse({"error": "Record not found"}, status_code=404)
    acct = webfinger.Acct(account.username, ctx.settings.domain)
    jrd = webfinger.build_jrd(
        acct,
        account.uri,
        profile_url=account.url or account.uri,
        subscribe_template=f"{ctx.settings.base_url}/authorize_interaction?uri={{uri}}",
        aliases=[account.uri, account.url or account.uri],
    )
    return JSONResponse(
        jrd,
        media_type="application/jrd+json",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=259200, public"},
    )


async def host_meta(request: Request) -> Response:
    base = app_context(request).settings.base_url
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return Response(body, media_type="application/xrd+xml; charset=utf-8")


async def nodeinfo_discovery(request: Request) -> JSONResponse:
    return JSONResponse(nodeinfo.build_discovery(app_context(request).settings.base_url))


async def nodeinfo_document(request: Request) -> JSONResponse:
    ctx = app_context(request)
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return JSONResponse({"error": "Record not found"}, status_code=404)
    users = await Account.filter(
        domain=None, actor_type="Person", suspended_at__isnull=True, deleted_at__isnull=True
    ).count()
    posts = await Status.filter(local=True, reblog_of_id__isnull=True).count()
    document = nodeinfo.build_nodeinfo(
        version,
        software_name="fedianon",
        software_version=__version__,
        usage=nodeinfo.Usage(
            users_total=users, active_month=users, active_halfyear=users, local_posts=posts
        ),
        open_registrations=ctx.settings.sign_up_open,
        repository="https://github.com/fedianon/fedianon",
        homepage=ctx.settings.base_url,
        metadata={
            "nodeName": ctx.settings.instance_title,
            "nodeDescription": ctx.settings.instance_description,
            "federatedModeration": True,
        },
    )
    media = f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    return JSONResponse(document, media_type=media)


routes = [
    Route("/.well-known/webfinger", webfinger_endpoint, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_discovery, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo_document, methods=["GET"]),
]

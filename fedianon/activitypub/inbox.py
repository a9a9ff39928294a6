"""The inbox (per account and shared): verify, record durably, answer 202.

Order of checks, each with its own answer:
  body over 1 MB → 413; not JSON or not an activity → 400 with the parse reason;
  actor on a suspended domain → 202 and dropped; unknown local recipient → 404;
  no or bad HTTP signature → 401 with the reason (double-knocking peers then re-sign);
  signing key not owned by the activity's actor → 401;
  activity id already processed → 202; otherwise an `ap.inbox` job is enqueued → 202.
Processing happens in the job (fetching parents, fan-out), so a slow peer never holds the
request and a crash never loses an accepted activity.
"""

from __future__ import annotations

import hashlib
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import activitystreams as as2
from federation.signatures import SignatureError, verify_incoming
from fedianon.activitypub import policy
from fedianon.activitypub.remote import host_of, key_owner
from fedianon.context import app_context
from fedianon.jobs import queue
from fedianon.models.accounts import Account
from fedianon.models.federation import Instance, ProcessedActivity

log = logging.getLogger("fedianon.inbox")
MAX_BODY = 1024 * 1024
INBOX_JOB = "ap.inbox"


def activity_digest(activity_id: str) -> str:
    return hashlib.sha256(activity_id.encode()).hexdigest()


async def _read_capped(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def verify_request(request: Request, body: bytes) -> Account | Response:
    """Verify the request's HTTP signature (either scheme); the signing key's owner, or the
    401 to answer."""
    ctx = app_context(request)
    url = (
        ctx.settings.base_url
        + request.url.path
        + (f"?{request.url.query}" if request.url.query else "")
    )
    headers = {k: v for k, v in request.headers.items()}
    owners: dict[str, Account] = {}

    async def lookup(key_id: str, refresh: bool) -> str | None:
        if await policy.domain_suspended(host_of(key_id)):
            return None
        owner = await key_owner(ctx, key_id, refresh)
        if owner is None:
            return None
        owners[key_id] = owner
        return owner.public_key_pem

    try:
        verified = await verify_incoming(request.method, url, headers, body, lookup)
    except SignatureError as exc:
        return _error(exc.reason, 401)
    return owners[verified.key_id]


async def receive(request: Request) -> Response:
    ctx = app_context(request)
    handle = request.path_params.get("handle")
    body = await _read_capped(request)
    if body is None:
        return _error("Payload too large: activities are limited to 1 MB", 413)
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error("The body is not valid JSON", 400)
    try:
        parsed = as2.parse(document)
    except as2.ParseError as exc:
        return _error(f"Not an acceptable activity: {exc.reason}", 400)
    if not isinstance(parsed, as2.Activity):
        return _error(f"Not an activity: a {parsed.type} cannot be posted to an inbox", 400)
    actor_uri = parsed.actor_id
    if not actor_uri or not as2.is_http_url(actor_uri):
        return _error("The activity has no actor", 400)
    domain = host_of(actor_uri)
    if await policy.domain_suspended(domain):
        log.info("dropped a %s from a suspended domain", parsed.type)
        return Response(status_code=202)
    if handle is not None:
        recipient = await Account.get_or_none(acct_key=handle.lower(), domain=None)
        if (
            recipient is None
            or recipient.actor_type == "Application"
            or recipient.deleted_at is not None
        ):
            return _error("Record not found", 404)
    signer = await verify_request(request, body)
    if isinstance(signer, Response):
        if (
            parsed.type == "Delete"
            and parsed.object_id == actor_uri
            and not await Account.filter(uri=actor_uri).exists()
        ):
            return Response(status_code=202)  # a deleted account we never knew: nothing to do
        return signer
    if signer.uri != actor_uri:
        return _error(
            f"The signing key {signer.key_id} does not belong to the activity's actor", 401
        )
    activity_id = parsed.id or f"{actor_uri}#{hashlib.sha256(body).hexdigest()}"
    if await ProcessedActivity.filter(digest=activity_digest(activity_id)).exists():
        return Response(status_code=202)
    await queue.enqueue(INBOX_JOB, {"activity": document, "actor": actor_uri, "id": activity_id})
    marked = Instance.filter(domain=domain, unavailable_since__isnull=False)
    if await marked.exists():  # a read first: most requests come from reachable peers
        await marked.update(unavailable_since=None, failure_count=0, first_failure_at=None)
    worker = ctx.extras.get("worker")
    if worker is not None:
        worker.wake()
    return Response(status_code=202)


async def not_allowed(request: Request) -> Response:
    return _error("Method not allowed: inboxes only accept POST", 405)


routes = [
    Route("/inbox", receive, methods=["POST"]),
    Route("/users/{handle}/inbox", receive, methods=["POST"]),
    Route("/actor/inbox", receive, methods=["POST"]),
]

"""The `fedianon` command, in the spirit of Mastodon's `tootctl`.

fedianon serve | worker | migrate | config check
fedianon accounts create HANDLE [--role admin|moderator|user] [--password-stdin]
fedianon accounts modify HANDLE [--role R] [--suspend|--unsuspend] [--disable|--enable]
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from fedianon.errors import FedianonError
from fedianon.logs import configure_logging
from fedianon.settings import Settings, SettingsError, describe, load_settings

T = TypeVar("T")


def _settings(generate_secrets: bool = True) -> Settings:
    try:
        return load_settings(generate_secrets=generate_secrets)
    except SettingsError as exc:
        click.echo(f"fedianon: configuration error: {exc}", err=True)
        sys.exit(2)


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(coro_factory())  # type: ignore[arg-type]
    except FedianonError as exc:
        click.echo(f"fedianon: {exc.message}", err=True)
        sys.exit(1)
    except (OSError, ConnectionError) as exc:
        click.echo(
            f"fedianon: cannot reach the database or a service: {exc.__class__.__name__}: {exc}",
            err=True,
        )
        sys.exit(1)


def with_db(func: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(func)
    async def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> T:
        from fedianon.db import close_db, init_db

        await init_db(settings.database)
        try:
            return await func(settings, *args, **kwargs)
        finally:
            await close_db()

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """fedianon: a federated ActivityPub server for campus communities."""


# --- serve / worker / migrate ------------------------------------------------------------------


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (default from FEDIANON_BIND, 127.0.0.1)."
)
@click.option(
    "--port", default=None, type=int, help="Port to listen on (default from FEDIANON_BIND, 8000)."
)
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app, the APIs and (unless FEDIANON_WORKERS=0) the job worker."""
    import uvicorn

    from fedianon.app import create_asgi

    settings = _settings()
    configure_logging()
    bind_host, _, bind_port = settings.bind.rpartition(":")
    host = host or bind_host or "127.0.0.1"
    port = port or int(bind_port or 8000)
    # The banner names the public URL only; the bind address goes through the scrubbing log.
    click.echo(f"fedianon is starting: open {settings.base_url}", err=True)
    if settings.sign_up_open:
        click.echo(f"Sign-up is open for: {', '.join(settings.campus_domains)}", err=True)
    else:
        click.echo(
            "Sign-up is closed until FEDIANON_CAMPUS_DOMAINS is set (e.g. campus.example).",
            err=True,
        )
    click.echo(
        "Create the first admin:  echo 'a-long-password' | "
        "fedianon accounts create HANDLE --role admin --password-stdin",
        err=True,
    )
    logging.getLogger("fedianon.startup").info("listening on %s:%s", host, port)
    config = uvicorn.Config(
        create_asgi(settings),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        ws="websockets-sansio",
        # Streaming responses never end by themselves: give them a few seconds at shutdown.
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


@main.command()
@click.option("--concurrency", default=8, show_default=True, help="Jobs run at the same time.")
def worker(concurrency: int) -> None:
    """Run the job worker alone (deliveries, fan-out, fetches, blocklist refreshes)."""
    settings = _settings()
    configure_logging()

    async def run() -> None:
        from fedianon.activitypub.setup import start_federation, stop_federation
        from fedianon.context import AppContext
        from fedianon.db import close_db, init_db
        from fedianon.jobs.setup import register_all
        from fedianon.jobs.worker import Worker
        from fedianon.services import events
        from fedianon.streaming.postgres import Publisher

        register_all()
        await init_db(settings.database)
        ctx = AppContext.build(settings)
        await start_federation(ctx)
        runner = Worker(ctx, concurrency=concurrency)
        ctx.extras["worker"] = runner
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop)
        # What jobs change (received statuses, notifications) reaches streaming clients of
        # the web processes through NOTIFY; on SQLite there is no other process to tell.
        publisher = Publisher() if settings.database.engine == "postgres" else None
        unsubscribe = events.subscribe(publisher.publish) if publisher else None
        if publisher is not None:
            await publisher.start()
        try:
            await runner.run()
        finally:
            if unsubscribe is not None and publisher is not None:
                unsubscribe()
                await publisher.stop()
            await stop_federation(ctx)
            await close_db()

    _run(run)


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()

    async def run() -> list[str]:
        from fedianon.db import migrate as apply

        return await apply(settings.database)

    applied = _run(run)
    if applied:
        click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        click.echo("The database is up to date.")


# --- config ----------------------------------------------------------------------------------


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
def config_check() -> None:
    """Validate the settings and print the effective ones (secrets masked)."""
    settings = _settings(generate_secrets=False)
    width = max(len(name) for name, _ in describe(settings))
    for name, value in describe(settings):
        click.echo(f"{name.ljust(width)}  {value}")
    if not settings.secret_key:
        click.echo(
            "note: secrets are not generated yet; `fedianon migrate` or `make run` writes them to the data directory."
        )
    click.echo("Configuration OK.")


# --- accounts --------------------------------------------------------------------------------


@main.group()
def accounts() -> None:
    """Create and modify local accounts (admin-created accounts skip campus verification)."""


def _read_password(password_stdin: bool) -> str | None:
    if not password_stdin:
        return None
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        click.echo("fedianon: no password on standard input", err=True)
        sys.exit(2)
    return value


@accounts.command("create")
@click.argument("handle")
@click.option(
    "--role", type=click.Choice(["user", "moderator", "admin"]), default="user", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def accounts_create(handle: str, role: str, password_stdin: bool) -> None:
    """Create a local account HANDLE."""
    settings = _settings()
    password = _read_password(password_stdin)
    generated = None
    if password is None:
        import secrets

        generated = password = secrets.token_urlsafe(18)

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.services.accounts import create_local_account
        from fedianon.urls import LocalUrls

        account = await create_local_account(
            LocalUrls(settings.base_url), handle=handle, password=password, role=role
        )
        return account.username

    username = _run(lambda: run(settings))
    click.echo(f"Created @{username}@{settings.domain} with role {role}.")
    if generated:
        click.echo(f"Password: {generated}")


@accounts.command("modify")
@click.argument("handle")
@click.option("--role", type=click.Choice(["user", "moderator", "admin"]), default=None)
@click.option("--suspend", is_flag=True)
@click.option("--unsuspend", is_flag=True)
@click.option("--disable", is_flag=True, help="Stop the account from signing in.")
@click.option("--enable", is_flag=True)
@click.option("--password-stdin", is_flag=True, help="Set a new password read from standard input.")
def accounts_modify(
    handle: str,
    role: str | None,
    suspend: bool,
    unsuspend: bool,
    disable: bool,
    enable: bool,
    password_stdin: bool,
) -> None:
    """Change the role or state of a local account."""
    if (suspend and unsuspend) or (disable and enable):
        click.echo(
            "fedianon: choose one of --suspend/--unsuspend and one of --disable/--enable", err=True
        )
        sys.exit(2)
    settings = _settings()
    password = _read_password(password_stdin)

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.services.accounts import Modification, modify_account
        from fedianon.services.oauth import revoke_all_for_account

        account = await modify_account(
            _ctx(settings),
            handle,
            Modification(
                role=role,
                suspend=suspend,
                unsuspend=unsuspend,
                disable=disable,
                enable=enable,
                password=password,
            ),
        )
        if suspend or disable or password:
            await revoke_all_for_account(account)
        state = (
            "suspended" if account.suspended_at else "disabled" if account.disabled_at else "active"
        )
        return f"@{account.username}: role {account.role}, {state}"

    click.echo(_run(lambda: run(settings)))


@main.group()
def jobs() -> None:
    """Inspect and retry background jobs (deliveries, fetches, refreshes)."""


@jobs.command("list")
@click.option(
    "--state", type=click.Choice(["pending", "dead", "all"]), default="all", show_default=True
)
@click.option("--limit", default=50, show_default=True)
def jobs_list(state: str, limit: int) -> None:
    """Show queued and dead jobs with their last error."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> list[str]:
        from fedianon.models.federation import Job

        query = Job.all() if state == "all" else Job.filter(state=state)
        lines = []
        for job in await query.order_by("-id").limit(limit):
            target = job.payload.get("inbox") or job.payload.get("actor_id") or ""
            error = (job.last_error or "").splitlines()[0][:80] if job.last_error else ""
            lines.append(
                f"{job.id}  {job.kind:<14} {job.state:<8} tries {job.attempts:>2}/{job.max_attempts:<2} next {job.run_at:%Y-%m-%d %H:%M}  {target}  {error}"
            )
        counts = {
            row["state"]: row["count"]
            for row in await Job.all()
            .group_by("state")
            .annotate(count=Count("id"))
            .values("state", "count")
        }
        lines.append(f"pending {counts.get('pending', 0)}, dead {counts.get('dead', 0)}")
        return lines

    from tortoise.functions import Count

    for line in _run(lambda: run(settings)):
        click.echo(line)


@jobs.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Retry every dead job.")
def jobs_retry(job_ids: tuple[str, ...], all_dead: bool) -> None:
    """Put dead (or waiting) jobs back in line now."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> int:
        from fedianon.jobs import queue

        count = await queue.retry_dead() if all_dead else 0
        for job_id in (int(i) for i in job_ids if i.isdigit()):
            count += int(await queue.retry(job_id))
        return count

    click.echo(f"Requeued {_run(lambda: run(settings))} job(s).")


@accounts.command("delete")
@click.argument("handle")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def accounts_delete(handle: str, yes: bool) -> None:
    """Delete a local account: its posts go, and a Delete is federated to its contacts."""
    if not yes:
        click.confirm(f"Delete @{handle} and all its posts?", abort=True)
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.context import AppContext
        from fedianon.services.account_deletion import delete_local_account
        from fedianon.services.accounts import get_local_by_handle

        account = await get_local_by_handle(handle)
        if account is None or account.deleted_at is not None:
            from fedianon.errors import NotFound

            raise NotFound(f"No local account @{handle}")
        await delete_local_account(AppContext.build(settings), account)
        return account.username

    click.echo(
        f"Deleted @{_run(lambda: run(settings))}; the Delete will be delivered by the worker."
    )


# --- domains and blocklists ------------------------------------------------------------------


def _ctx(settings: Settings):  # type: ignore[no-untyped-def]
    from fedianon.context import AppContext

    return AppContext.build(settings)


@contextlib.asynccontextmanager
async def _federated(settings: Settings):  # type: ignore[no-untyped-def]
    """A context with outgoing federation (the instance actor, the HTTP client), for commands
    whose changes are delivered to peers by the worker."""
    from fedianon.activitypub.setup import start_federation, stop_federation

    ctx = _ctx(settings)
    await start_federation(ctx)
    try:
        yield ctx
    finally:
        await stop_federation(ctx)


@main.group()
def domains() -> None:
    """Block, unblock, import and export domains (Mastodon's CSV and other list formats)."""


@domains.command("block")
@click.argument("domain")
@click.option(
    "--severity",
    type=click.Choice(["silence", "suspend", "noop"]),
    default="suspend",
    show_default=True,
)
@click.option("--reject-media", is_flag=True)
@click.option("--reject-reports", is_flag=True)
@click.option("--public-comment", default=None)
@click.option("--private-comment", default=None)
@click.option("--obfuscate", is_flag=True)
def domains_block(
    domain: str,
    severity: str,
    reject_media: bool,
    reject_reports: bool,
    public_comment: str | None,
    private_comment: str | None,
    obfuscate: bool,
) -> None:
    """Block DOMAIN (and its subdomains)."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.services import domain_blocks

        async with _federated(settings) as ctx:
            block = await domain_blocks.create_block(
                ctx,
                domain_blocks.BlockSpec(
                    domain=domain,
                    severity=severity,
                    reject_media=reject_media,
                    reject_reports=reject_reports,
                    public_comment=public_comment,
                    private_comment=private_comment,
                    obfuscate=obfuscate,
                ),
                actor=None,
            )
        return (
            f"Blocked {block.domain} ({block.severity}); the worker applies it to known accounts."
        )

    click.echo(_run(lambda: run(settings)))


@domains.command("unblock")
@click.argument("domain")
def domains_unblock(domain: str) -> None:
    """Lift the block of DOMAIN."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.errors import NotFound
        from fedianon.models.moderation import DomainBlock
        from fedianon.services import domain_blocks

        block = await DomainBlock.get_or_none(domain=domain_blocks.clean_domain(domain))
        if block is None:
            raise NotFound(f"{domain} is not blocked")
        async with _federated(settings) as ctx:
            await domain_blocks.delete_block(ctx, block, actor=None)
        return f"Unblocked {block.domain}."

    click.echo(_run(lambda: run(settings)))


@domains.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Apply without asking (after printing the preview).")
@click.option("--dry-run", is_flag=True, help="Only print what would change.")
def domains_import(file: str, yes: bool, dry_run: bool) -> None:
    """Import a blocklist (Mastodon CSV, FediBlockHole CSV, JSON or one domain per line)."""
    from pathlib import Path

    settings = _settings()
    data = Path(file).read_bytes()

    @with_db
    async def run(settings: Settings) -> None:
        from fedianon.blocklists import ListFormatError
        from fedianon.errors import ValidationFailed
        from fedianon.services import domain_import

        ctx = _ctx(settings)
        try:
            planned = await domain_import.preview(ctx, data, None)
        except ListFormatError as exc:
            raise ValidationFailed(f"{file}: {exc}") from None
        click.echo(
            f"{file}: {planned.format}; {len(planned.added)} to add, {len(planned.changed)} to change, {planned.unchanged} unchanged, {len(planned.excluded)} excluded, {len(planned.problems)} problems"
        )
        for entry in planned.added[:20]:
            click.echo(f"  + {entry.domain} ({entry.severity})")
        for change in planned.changed[:20]:
            click.echo(f"  ~ {change.new.domain}: {change.old.severity} -> {change.new.severity}")
        for problem in planned.problems[:20]:
            click.echo(f"  ! line {problem.line_no}: {problem.reason}")
        if dry_run or not planned.will_apply:
            return
        if not yes:
            click.confirm("Apply these changes?", abort=True)
        async with _federated(settings) as ctx:
            added, changed, skipped = await domain_import.apply(
                ctx, planned, actor=None, filename=Path(file).name
            )
        click.echo(
            f"Applied: {added} added, {changed} changed, {skipped} skipped (covered by a parent domain)."
        )

    _run(lambda: run(settings))


@domains.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def domains_export(file: str | None) -> None:
    """Export the blocks as Mastodon's CSV (to FILE, or standard output)."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.services import domain_import

        return await domain_import.export_csv()

    text = _run(lambda: run(settings))
    if file:
        from pathlib import Path

        Path(file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.group()
def blocklists() -> None:
    """Subscribe to peers' blocklists and manage who reads ours."""


@blocklists.command("subscribe")
@click.argument("uri")
@click.option(
    "--kind",
    type=click.Choice(["url", "activitypub"]),
    default="url",
    show_default=True,
    help="A list URL, or a peer's instance actor.",
)
@click.option(
    "--content-type",
    type=click.Choice(["text/csv", "application/json", "text/plain"]),
    default="text/csv",
    show_default=True,
)
@click.option(
    "--auto-apply", is_flag=True, help="Apply entries at once instead of queueing drafts."
)
@click.option(
    "--max-severity",
    type=click.Choice(["noop", "silence", "suspend"]),
    default="suspend",
    show_default=True,
)
@click.option("--priority", default=0, show_default=True)
@click.option("--title", default=None)
def blocklists_subscribe(
    uri: str,
    kind: str,
    content_type: str,
    auto_apply: bool,
    max_severity: str,
    priority: int,
    title: str | None,
) -> None:
    """Subscribe to the list at URI."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> str:
        from fedianon.services import subscriptions

        async with _federated(settings) as ctx:
            sub = await subscriptions.create_subscription(
                ctx,
                subscriptions.SubscriptionSpec(
                    uri=uri,
                    kind=kind,
                    content_type=content_type,
                    as_draft=not auto_apply,
                    max_severity=max_severity,
                    priority=priority,
                    title=title,
                ),
                actor=None,
            )
        return f"Subscribed ({sub.id}) to {uri}; the worker fetches it."

    click.echo(_run(lambda: run(settings)))


@blocklists.command("list")
def blocklists_list() -> None:
    """Show subscriptions with their last fetch and errors."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> list[str]:
        from fedianon.models.moderation import BlocklistSubscription

        lines = []
        for sub in await BlocklistSubscription.all().order_by("-priority", "id"):
            trust = "drafts" if sub.as_draft else f"auto-apply up to {sub.max_severity}"
            state = (
                f"error: {sub.error}"
                if sub.error
                else f"{sub.count} entries, fetched {sub.successfully_fetched_at or 'never'}"
            )
            lines.append(
                f"{sub.id}  [{sub.kind}] {sub.uri}  priority {sub.priority}, {trust}; {state}"
            )
        return lines or ["No subscriptions."]

    for line in _run(lambda: run(settings)):
        click.echo(line)


@blocklists.command("refresh")
def blocklists_refresh() -> None:
    """Fetch every subscription now."""
    settings = _settings()

    @with_db
    async def run(settings: Settings) -> list[str]:
        from fedianon.models.moderation import BlocklistSubscription
        from fedianon.services import subscriptions

        async with _federated(settings) as ctx:
            lines = []
            for sub in await BlocklistSubscription.all():
                fresh = await subscriptions.refresh(ctx, sub)
                lines.append(
                    f"{fresh.id} {fresh.uri}: "
                    + (f"error: {fresh.error}" if fresh.error else f"{fresh.count} entries")
                )
        return lines

    for line in _run(lambda: run(settings)):
        click.echo(line)


if __name__ == "__main__":
    main()

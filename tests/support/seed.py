"""Seeding a test instance's database from a subprocess (so the test process's own ORM state
is untouched): `python -m tests.support.seed remote-followers HANDLE COUNT INBOX_BASE`."""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import urlsplit

from fedianon.db import close_db, init_db
from fedianon.settings import load_settings


async def remote_followers(handle: str, count: int, inbox_base: str) -> None:
    from fedianon.models.accounts import Account
    from fedianon.models.social import Follow

    settings = load_settings(dotenv=None)
    await init_db(settings.database)
    try:
        target = await Account.get(acct_key=handle, domain=None)
        domain = urlsplit(inbox_base).netloc
        base = f"{urlsplit(inbox_base).scheme}://{domain}"
        accounts = [
            Account(
                username=f"f{i}",
                domain=domain,
                acct_key=f"f{i}@{domain}",
                uri=f"{base}/users/f{i}",
                inbox_url=f"{inbox_base}/f{i}",
            )
            for i in range(count)
        ]
        await Account.bulk_create(accounts, batch_size=500)
        created = await Account.filter(domain=domain).values_list("id", flat=True)
        await Follow.bulk_create(
            [Follow(account_id=i, target_account_id=target.id) for i in created], batch_size=500
        )
        await Account.filter(id=target.id).update(followers_count=len(created))
    finally:
        await close_db()


async def remote_actor(uri: str, public_key_file: str) -> None:
    """A remote actor already known here (its key cached), as after a first fetch."""
    from pathlib import Path

    from fedianon.models.accounts import Account
    from fedianon.timeutil import utcnow

    settings = load_settings(dotenv=None)
    await init_db(settings.database)
    try:
        parts = urlsplit(uri)
        username = parts.path.rstrip("/").rsplit("/", 1)[-1]
        await Account.create(
            username=username,
            domain=parts.netloc,
            acct_key=f"{username}@{parts.netloc}",
            uri=uri,
            url=uri,
            public_key_pem=Path(public_key_file).read_text(),
            key_id=f"{uri}#main-key",
            inbox_url=f"{uri}/inbox",
            fetched_at=utcnow(),
        )
    finally:
        await close_db()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "remote-followers":
        asyncio.run(remote_followers(args[0], int(args[1]), args[2]))
    elif command == "remote-actor":
        asyncio.run(remote_actor(args[0], args[1]))
    else:
        raise SystemExit(f"unknown command {command}")

"""API clients for end-to-end tests: a local account made with the CLI, a token from the
password grant (the instance must run with FEDIANON_ENABLE_PASSWORD_GRANT=true), and a
Mastodon.py client using it."""

from __future__ import annotations

import httpx
from mastodon import Mastodon

from tests.support.servers import Instance

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow push"


def create_account(instance: Instance, handle: str, password: str) -> None:
    instance.cli("accounts", "create", handle, "--password-stdin", stdin=password + "\n")


def password_token(instance: Instance, handle: str, password: str, scopes: str = SCOPES) -> str:
    with httpx.Client(base_url=instance.base_url, timeout=30) as http:
        app = http.post(
            "/api/v1/apps",
            data={"client_name": "e2e", "redirect_uris": OOB, "scopes": scopes},
        )
        assert app.status_code == 200, app.text
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app.json()["client_id"],
                "client_secret": app.json()["client_secret"],
                "username": handle,
                "password": password,
                "scope": scopes,
            },
        )
        assert token.status_code == 200, token.text
        return str(token.json()["access_token"])


def mastodon_for(instance: Instance, handle: str, password: str) -> Mastodon:
    """A new local account and a Mastodon.py client signed in as it."""
    create_account(instance, handle, password)
    return Mastodon(
        access_token=password_token(instance, handle, password),
        api_base_url=instance.base_url,
        request_timeout=30,
    )

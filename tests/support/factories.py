"""Quick ways to make accounts and tokens in service and API tests."""

from __future__ import annotations

from dataclasses import dataclass

from fedianon.models.accounts import Account
from fedianon.services import oauth
from fedianon.services.accounts import create_local_account
from fedianon.settings import Settings
from fedianon.urls import LocalUrls

PASSWORD = "correct horse battery"


@dataclass
class User:
    account: Account
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    settings: Settings, handle: str, *, role: str = "user", scopes: str = "read write follow push"
) -> User:
    account = await create_local_account(
        LocalUrls(settings.base_url), handle=handle, password=PASSWORD, role=role
    )
    app = await oauth.create_application(
        name="tests", redirect_uris=oauth.OOB, scopes=scopes, website=None
    )
    issued = await oauth._new_token(app, account, scopes.split())
    return User(account, issued.token)

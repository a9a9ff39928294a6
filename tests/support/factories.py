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


@dataclass
class RemoteActor:
    account: Account
    private_key_pem: str

    @property
    def uri(self) -> str:
        return self.account.uri


async def make_remote(
    handle: str, domain: str = "peer.example", *, followers: bool = True
) -> RemoteActor:
    """A remote actor already known here (key cached), as after a first fetch."""
    from federation.signatures.keys import generate_rsa_keypair
    from fedianon.timeutil import utcnow

    private_pem, public_pem = generate_rsa_keypair()
    uri = f"https://{domain}/users/{handle}"
    account = await Account.create(
        username=handle,
        domain=domain,
        acct_key=f"{handle}@{domain}",
        uri=uri,
        url=f"https://{domain}/@{handle}",
        public_key_pem=public_pem,
        key_id=f"{uri}#main-key",
        inbox_url=f"{uri}/inbox",
        shared_inbox_url=f"https://{domain}/inbox",
        followers_url=f"{uri}/followers" if followers else None,
        fetched_at=utcnow(),
    )
    return RemoteActor(account, private_pem)

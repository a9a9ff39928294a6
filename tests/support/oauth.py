"""The real OAuth authorization-code flow over HTTP, as a browser would do it: sign in on the
web form, open /oauth/authorize, approve on the consent page, read the out-of-band code,
exchange it. No password grant and no server-side shortcut."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write follow push"


def _csrf(page: str) -> str:
    match = re.search(r'name="authenticity_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


async def sign_in(http: httpx.AsyncClient, handle: str, password: str) -> None:
    page = await http.get("/auth/sign_in")
    response = await http.post(
        "/auth/sign_in",
        data={"handle": handle, "password": password, "authenticity_token": _csrf(page.text)},
    )
    assert response.status_code == 303, response.text[:500]


async def approve(http: httpx.AsyncClient, authorize_url: str) -> str:
    """Open the consent page (already signed in), approve, return the out-of-band code."""
    page = await http.get(authorize_url)
    assert page.status_code == 200 and 'id="authorize"' in page.text, page.text[:800]
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form = {k: html.unescape(v) for k, v in form.items()}
    form["decision"] = "approve"
    answer = await http.post("/oauth/authorize", data=form)
    match = re.search(r'<output id="oauth-code" class="code">([^<]+)</output>', answer.text)
    assert match, answer.text[:800]
    return match.group(1).strip()


@dataclass
class Grant:
    client_id: str
    client_secret: str
    access_token: str


async def obtain_token(
    base_url: str, handle: str, password: str, scopes: str = SCOPES, client_name: str = "tests"
) -> Grant:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        app = (
            await http.post(
                "/api/v1/apps",
                data={"client_name": client_name, "redirect_uris": OOB, "scopes": scopes},
            )
        ).json()
        await sign_in(http, handle, password)
        query = httpx.QueryParams(
            {
                "client_id": app["client_id"],
                "redirect_uri": OOB,
                "response_type": "code",
                "scope": scopes,
            }
        )
        code = await approve(http, f"/oauth/authorize?{query}")
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "redirect_uri": OOB,
            },
        )
        assert token.status_code == 200, token.text
        return Grant(app["client_id"], app["client_secret"], token.json()["access_token"])

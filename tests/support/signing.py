"""Signed activities from actors we do not know yet, as an unknown peer would send them."""

from __future__ import annotations

import json

from federation.signatures import sign

INBOX = "https://campus.test/inbox"


def signed_follow(
    actor: str, private_pem: str, *, inbox: str = INBOX
) -> tuple[bytes, dict[str, str]]:
    """A Follow of a local account by `actor`, signed (cavage) with its `#main-key`."""
    document = {
        "id": f"{actor}/follows/1",
        "type": "Follow",
        "actor": actor,
        "object": "https://campus.test/users/nobody",
    }
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign("cavage", "POST", inbox, headers, body, f"{actor}#main-key", private_pem))
    return body, headers

from datetime import UTC, datetime, timedelta

import pytest

from federation.signatures import (
    KeyUnavailable,
    NotSigned,
    SignatureError,
    SignatureExpired,
    VerificationFailed,
    actor_uri_from_key_id,
    detect_scheme,
    sign,
    verify_incoming,
)
from tests.federation.vectors import CAVAGE_PUBLIC_KEY, RFC_RSA_PRIVATE_KEY, RFC_RSA_PUBLIC_KEY

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
GTS_KEY_ID = "https://gts.example/users/alice/main-key"
URL = "https://local.example/users/bob/inbox"
BODY = b'{"type":"Like"}'


class Keys:
    """A key lookup with a (possibly stale) cache, recording its calls."""

    def __init__(self, cached: str | None, fresh: str | None) -> None:
        self.cached = cached
        self.fresh = fresh
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> str | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


def signed(scheme, *, key_id=GTS_KEY_ID, now=NOW):
    return sign(scheme, "POST", URL, {}, BODY, key_id, RFC_RSA_PRIVATE_KEY, now=now)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_verify_incoming_round_trip_with_gotosocial_key_id(scheme):
    headers = signed(scheme)
    assert detect_scheme(headers) == scheme
    keys = Keys(RFC_RSA_PUBLIC_KEY, None)
    verified = await verify_incoming("POST", URL, headers, BODY, keys, now=NOW)
    assert verified.scheme == scheme
    assert verified.key_id == GTS_KEY_ID
    assert verified.actor_uri == "https://gts.example/users/alice"
    assert not verified.key_refreshed
    assert keys.calls == [(GTS_KEY_ID, False)]


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_rotated_key_is_refetched_once(scheme):
    keys = Keys(CAVAGE_PUBLIC_KEY, RFC_RSA_PUBLIC_KEY)
    verified = await verify_incoming("POST", URL, signed(scheme), BODY, keys, now=NOW)
    assert verified.key_refreshed
    assert keys.calls == [(GTS_KEY_ID, False), (GTS_KEY_ID, True)]


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_wrong_key_after_refetch_fails(scheme):
    keys = Keys(CAVAGE_PUBLIC_KEY, CAVAGE_PUBLIC_KEY)
    with pytest.raises(VerificationFailed, match=f"Verification failed for {GTS_KEY_ID}"):
        await verify_incoming("POST", URL, signed(scheme), BODY, keys, now=NOW)
    assert len(keys.calls) == 2


async def test_uncached_key_is_fetched():
    keys = Keys(None, RFC_RSA_PUBLIC_KEY)
    verified = await verify_incoming("POST", URL, signed("cavage"), BODY, keys, now=NOW)
    assert verified.key_refreshed
    assert keys.calls == [(GTS_KEY_ID, False), (GTS_KEY_ID, True)]


async def test_unavailable_key():
    with pytest.raises(KeyUnavailable, match="Unable to fetch key"):
        await verify_incoming("POST", URL, signed("cavage"), BODY, Keys(None, None), now=NOW)


async def test_unreadable_cached_key_is_refetched():
    keys = Keys("garbage", RFC_RSA_PUBLIC_KEY)
    verified = await verify_incoming("POST", URL, signed("rfc9421"), BODY, keys, now=NOW)
    assert verified.key_refreshed


async def test_policy_failures_do_not_refetch():
    keys = Keys(RFC_RSA_PUBLIC_KEY, RFC_RSA_PUBLIC_KEY)
    headers = signed("cavage", now=NOW - timedelta(hours=3))
    with pytest.raises(SignatureExpired) as err:
        await verify_incoming("POST", URL, headers, BODY, keys, now=NOW)
    assert err.value.reason == "Signed request date outside acceptable time window"
    assert keys.calls == []


async def test_not_signed():
    with pytest.raises(NotSigned) as err:
        await verify_incoming("POST", URL, {}, BODY, Keys(None, None))
    assert isinstance(err.value, SignatureError)
    assert err.value.reason == "Request not signed"


async def test_signature_input_selects_rfc9421():
    headers = signed("cavage")
    headers["Signature-Input"] = 'sig1=("@method");created=1;keyid="k"'
    assert detect_scheme(headers) == "rfc9421"
    with pytest.raises(SignatureError):
        await verify_incoming("POST", URL, headers, BODY, Keys(RFC_RSA_PUBLIC_KEY, None), now=NOW)


def test_sign_unknown_scheme():
    with pytest.raises(ValueError, match="unknown"):
        sign("bogus", "GET", URL, {}, None, "k", RFC_RSA_PRIVATE_KEY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key_id", "actor"),
    [
        ("https://m.example/users/a#main-key", "https://m.example/users/a"),
        ("https://gts.example/users/a/main-key", "https://gts.example/users/a"),
        ("https://p.example/users/a/publickey", "https://p.example/users/a"),
        ("https://x.example/actor#key", "https://x.example/actor"),
        ("https://x.example/actor", "https://x.example/actor"),
        ("https://puckipedia.com/#key", "https://puckipedia.com/"),
        ("acct:alice@example.com", "acct:alice@example.com"),
    ],
)
def test_actor_uri_from_key_id(key_id, actor):
    assert actor_uri_from_key_id(key_id) == actor

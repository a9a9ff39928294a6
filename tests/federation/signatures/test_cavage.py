import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.signatures import cavage
from federation.signatures._common import (
    DigestInvalid,
    InsufficientCoverage,
    MalformedSignature,
    NotSigned,
    SignatureExpired,
    UnsupportedAlgorithm,
    VerificationFailed,
    format_http_date,
)
from federation.signatures.keys import load_private_key
from tests.federation.vectors import (
    CAVAGE_BODY,
    CAVAGE_C1_HEADER,
    CAVAGE_C1_SIGNATURE,
    CAVAGE_C1_SIGNING_STRING,
    CAVAGE_C2_HEADER,
    CAVAGE_C2_SIGNATURE,
    CAVAGE_C2_SIGNING_STRING,
    CAVAGE_C3_HEADER,
    CAVAGE_C3_OLD_HEADER,
    CAVAGE_C3_OLD_SIGNATURE,
    CAVAGE_C3_SIGNATURE,
    CAVAGE_C3_SIGNING_STRING,
    CAVAGE_HEADERS,
    CAVAGE_PATH,
    CAVAGE_PRIVATE_KEY,
    CAVAGE_PUBLIC_KEY,
    RFC_ED25519_PRIVATE_KEY,
    RFC_ED25519_PUBLIC_KEY,
    RFC_RSA_PRIVATE_KEY,
    RFC_RSA_PUBLIC_KEY,
)

CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY_ID = "https://local.example/users/alice#main-key"
INBOX = "https://remote.example:8443/users/bob/inbox?x=1"
BODY = b'{"type":"Create","id":"https://local.example/1"}'


def rsa_sign(private_pem: str, data: str) -> str:
    key = load_private_key(private_pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    return base64.b64encode(key.sign(data.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


# --- draft-cavage-12 Appendix C, byte for byte ---


@pytest.mark.parametrize(
    ("header", "signing_string", "signature"),
    [
        (CAVAGE_C1_HEADER, CAVAGE_C1_SIGNING_STRING, CAVAGE_C1_SIGNATURE),
        (CAVAGE_C2_HEADER, CAVAGE_C2_SIGNING_STRING, CAVAGE_C2_SIGNATURE),
        (CAVAGE_C3_HEADER, CAVAGE_C3_SIGNING_STRING, CAVAGE_C3_SIGNATURE),
    ],
    ids=["C.1", "C.2", "C.3"],
)
def test_appendix_c_vectors_byte_for_byte(header, signing_string, signature):
    sig = cavage.parse_signature_header(header)
    built = cavage.build_signing_string(sig, "POST", CAVAGE_PATH, CAVAGE_HEADERS)
    assert built == signing_string
    assert rsa_sign(CAVAGE_PRIVATE_KEY, built) == signature
    assert base64.b64encode(sig.signature).decode() == signature
    assert cavage.verify_signature(sig, "POST", CAVAGE_PATH, CAVAGE_HEADERS, CAVAGE_PUBLIC_KEY)


def test_appendix_c3_pre_12_form():
    sig = cavage.parse_signature_header(CAVAGE_C3_OLD_HEADER)
    built = cavage.build_signing_string(sig, "POST", CAVAGE_PATH, CAVAGE_HEADERS)
    assert rsa_sign(CAVAGE_PRIVATE_KEY, built) == CAVAGE_C3_OLD_SIGNATURE


def test_c1_defaults():
    sig = cavage.parse_signature_header(CAVAGE_C1_HEADER)
    assert (sig.key_id, sig.algorithm, sig.headers) == ("Test", "rsa-sha256", ("date",))
    assert not sig.headers_given


def test_c3_old_verifies_with_policy():
    headers = {**CAVAGE_HEADERS, "Signature": CAVAGE_C3_OLD_HEADER}
    verified = cavage.verify_request(
        "POST", CAVAGE_PATH, headers, CAVAGE_BODY, CAVAGE_PUBLIC_KEY, now=CAVAGE_NOW
    )
    assert verified.key_id == "Test"
    assert verified.target_with_query


def test_c3_12_created_with_rsa_sha256_refused_by_policy():
    headers = {**CAVAGE_HEADERS, "Signature": CAVAGE_C3_HEADER}
    with pytest.raises(MalformedSignature, match=r"\(created\) for rsa-sha256"):
        cavage.verify_request(
            "POST", CAVAGE_PATH, headers, CAVAGE_BODY, CAVAGE_PUBLIC_KEY, now=CAVAGE_NOW
        )


# --- parsing ---


def test_parse_tolerates_signature_prefix_and_spaces():
    sig = cavage.parse_signature_header("Signature " + CAVAGE_C2_HEADER.replace(",", ", "))
    assert sig.headers == ("(request-target)", "host", "date")


def test_parse_default_hs2019_headers_created():
    sig = cavage.parse_signature_header('keyId="k",signature="AAAA",created=5')
    assert (sig.algorithm, sig.headers, sig.created) == ("hs2019", ("(created)",), 5)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (None, NotSigned),
        ("", NotSigned),
        ('algorithm="rsa-sha256",signature="AAAA"', MalformedSignature),
        ('keyId="k",algorithm="rsa-sha256"', MalformedSignature),
        ('keyId="k",signature="!!"', MalformedSignature),
        ('keyId="k" signature="AAAA"', MalformedSignature),
        ('keyId="k",signature="AAAA",created=abc', MalformedSignature),
        ("x" * 20000, MalformedSignature),
    ],
)
def test_parse_errors(value, error):
    with pytest.raises(error) as err:
        cavage.parse_signature_header(value)
    assert err.value.reason


# --- round trips ---


def signed(method: str, url: str, body: bytes | None, *, key=RFC_RSA_PRIVATE_KEY, now=NOW):
    headers = cavage.sign_request(method, url, {}, body, KEY_ID, key, now=now)
    return headers


def test_post_round_trip_signs_mastodon_header_set():
    headers = signed("POST", INBOX, BODY)
    assert headers["Host"] == "remote.example:8443"
    assert headers["Date"] == format_http_date(NOW)
    assert headers["Digest"].startswith("SHA-256=")
    assert headers["Content-Type"] == "application/activity+json"
    sig = cavage.parse_signature_header(headers["Signature"])
    assert sig.algorithm == "rsa-sha256"
    assert sig.headers == ("(request-target)", "host", "date", "digest", "content-type")
    verified = cavage.verify_request(
        "POST", "/users/bob/inbox?x=1", headers, BODY, RFC_RSA_PUBLIC_KEY, now=NOW
    )
    assert verified.key_id == KEY_ID
    assert verified.target_with_query
    signing = cavage.build_signing_string(sig, "POST", "/users/bob/inbox?x=1", headers)
    assert signing.splitlines()[0] == "(request-target): post /users/bob/inbox?x=1"


def test_get_round_trip_signs_accept():
    headers = signed("GET", "https://remote.example/users/bob", None)
    sig = cavage.parse_signature_header(headers["Signature"])
    assert sig.headers == ("(request-target)", "host", "date", "accept")
    assert "application/activity+json" in headers["Accept"]
    cavage.verify_request("GET", "/users/bob", headers, None, RFC_RSA_PUBLIC_KEY, now=NOW)


def test_default_port_dropped_from_host():
    headers = signed("GET", "https://remote.example:443/users/bob", None)
    assert headers["Host"] == "remote.example"
    headers = signed("GET", "http://127.0.0.1:8001/users/bob", None)
    assert headers["Host"] == "127.0.0.1:8001"


def test_existing_headers_are_reused():
    given = {"Date": "Sun, 01 Mar 2026 11:59:00 GMT", "Content-Type": "application/ld+json"}
    headers = cavage.sign_request("POST", INBOX, given, BODY, KEY_ID, RFC_RSA_PRIVATE_KEY)
    assert headers["Date"] == given["Date"]
    assert headers["Content-Type"] == "application/ld+json"


def test_hs2019_ed25519_round_trip():
    headers = signed("POST", INBOX, BODY, key=RFC_ED25519_PRIVATE_KEY)
    assert 'algorithm="hs2019"' in headers["Signature"]
    cavage.verify_request(
        "POST", "/users/bob/inbox?x=1", headers, BODY, RFC_ED25519_PUBLIC_KEY, now=NOW
    )


def test_key_resolver_callable():
    headers = signed("POST", INBOX, BODY)
    seen = []

    def resolver(key_id: str) -> str:
        seen.append(key_id)
        return RFC_RSA_PUBLIC_KEY

    cavage.verify_request("POST", INBOX, headers, BODY, resolver, now=NOW)
    assert seen == [KEY_ID]


# --- rejections ---


def make_signature(
    names: str,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    algorithm: str | None = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
    key: str = RFC_RSA_PRIVATE_KEY,
) -> dict[str, str]:
    """Sign an arbitrary header set (to build requests our signer would never send)."""
    sig = cavage.CavageSignature(
        key_id=KEY_ID,
        algorithm=algorithm or "hs2019",
        headers=tuple(names.split()),
        signature=b"",
        created=created,
        expires=expires,
    )
    value = rsa_sign(key, cavage.build_signing_string(sig, method, path, headers))
    parts = [f'keyId="{KEY_ID}"']
    if algorithm:
        parts.append(f'algorithm="{algorithm}"')
    if created is not None:
        parts.append(f"created={created}")
    if expires is not None:
        parts.append(f"expires={expires}")
    parts += [f'headers="{names}"', f'signature="{value}"']
    return {**headers, "Signature": ",".join(parts)}


def base_headers(when: datetime = NOW, body: bytes = BODY) -> dict[str, str]:
    from federation.signatures.digest import build_digest

    return {
        "Host": "remote.example",
        "Date": format_http_date(when),
        "Digest": build_digest(body),
        "Content-Type": "application/activity+json",
    }


def verify(method, path, headers, body=BODY, key=RFC_RSA_PUBLIC_KEY, now=NOW):
    return cavage.verify_request(method, path, headers, body, key, now=now)


def test_unsigned_request():
    with pytest.raises(NotSigned, match="Request not signed"):
        verify("POST", "/inbox", base_headers())


def test_wrong_key():
    headers = signed("POST", "https://remote.example/inbox", BODY)
    with pytest.raises(VerificationFailed, match=f"Verification failed for {KEY_ID}"):
        verify("POST", "/inbox", headers, key=CAVAGE_PUBLIC_KEY)


def test_tampered_body_is_a_digest_mismatch():
    headers = signed("POST", "https://remote.example/inbox", BODY)
    with pytest.raises(DigestInvalid, match="Invalid Digest value"):
        verify("POST", "/inbox", headers, body=BODY + b" ")


def test_tampered_header_fails_verification():
    headers = signed("POST", "https://remote.example/inbox", BODY)
    headers["Content-Type"] = "text/plain"
    with pytest.raises(VerificationFailed):
        verify("POST", "/inbox", headers)


def test_date_two_hours_old():
    headers = signed("POST", "https://remote.example/inbox", BODY, now=NOW - timedelta(hours=2))
    with pytest.raises(SignatureExpired, match="outside acceptable time window"):
        verify("POST", "/inbox", headers)


def test_date_window_edges():
    for minutes, ok in [(64, True), (66, False), (-59, True), (-61, False)]:
        headers = signed(
            "POST", "https://remote.example/inbox", BODY, now=NOW - timedelta(minutes=minutes)
        )
        if ok:
            verify("POST", "/inbox", headers)
        else:
            with pytest.raises(SignatureExpired):
                verify("POST", "/inbox", headers)


def test_date_in_future_over_one_hour():
    headers = signed("POST", "https://remote.example/inbox", BODY, now=NOW + timedelta(minutes=61))
    with pytest.raises(SignatureExpired):
        verify("POST", "/inbox", headers)


def test_unparseable_date():
    headers = make_signature(
        "(request-target) host date digest", "POST", "/inbox", {**base_headers(), "Date": "soon"}
    )
    with pytest.raises(SignatureExpired, match="Invalid Date header"):
        verify("POST", "/inbox", headers)


def test_get_without_host_is_refused():
    headers = make_signature("(request-target) date", "GET", "/users/bob", base_headers())
    with pytest.raises(InsufficientCoverage, match="Host"):
        verify("GET", "/users/bob", headers, body=None)


def test_post_without_digest_is_refused():
    headers = make_signature("(request-target) host date", "POST", "/inbox", base_headers())
    with pytest.raises(InsufficientCoverage, match="Digest"):
        verify("POST", "/inbox", headers)


def test_must_cover_date_or_created():
    headers = make_signature("(request-target) host digest", "POST", "/inbox", base_headers())
    with pytest.raises(InsufficientCoverage, match="Date"):
        verify("POST", "/inbox", headers)


def test_signed_digest_header_missing():
    headers = make_signature("(request-target) host date digest", "POST", "/inbox", base_headers())
    del headers["Digest"]
    with pytest.raises(DigestInvalid):
        verify("POST", "/inbox", headers)


def test_created_with_rsa_sha256_is_refused():
    created = int(NOW.timestamp())
    headers = make_signature(
        "(request-target) (created) host digest", "POST", "/inbox", base_headers(), created=created
    )
    with pytest.raises(MalformedSignature, match=r"Invalid pseudo-header \(created\)"):
        verify("POST", "/inbox", headers)


def test_created_with_hs2019_is_accepted_and_windowed():
    created = int(NOW.timestamp())
    headers = make_signature(
        "(request-target) (created) host digest",
        "POST",
        "/inbox",
        base_headers(),
        algorithm="hs2019",
        created=created,
    )
    assert verify("POST", "/inbox", headers).created == NOW
    with pytest.raises(SignatureExpired):
        verify("POST", "/inbox", headers, now=NOW + timedelta(hours=2))


def test_hs2019_default_when_algorithm_absent():
    headers = make_signature(
        "(request-target) host date digest", "POST", "/inbox", base_headers(), algorithm=None
    )
    assert verify("POST", "/inbox", headers).algorithm == "hs2019"


def test_expires_capped_at_twelve_hours():
    created = int((NOW - timedelta(hours=14)).timestamp())
    expires = int((NOW + timedelta(days=1)).timestamp())
    headers = make_signature(
        "(request-target) (created) (expires) host digest",
        "POST",
        "/inbox",
        base_headers(),
        algorithm="hs2019",
        created=created,
        expires=expires,
    )
    with pytest.raises(SignatureExpired):
        verify("POST", "/inbox", headers)


def test_unsupported_algorithm():
    headers = make_signature(
        "(request-target) host date digest", "POST", "/inbox", base_headers(), algorithm="hmac"
    )
    with pytest.raises(UnsupportedAlgorithm):
        verify("POST", "/inbox", headers)


def test_request_target_without_query_accepted_misskey_style():
    headers = make_signature("(request-target) host date digest", "POST", "/inbox", base_headers())
    verified = verify("POST", "/inbox?foo=bar", headers)
    assert not verified.target_with_query


def test_ed25519_key_cannot_verify_rsa_sha256():
    headers = signed("POST", "https://remote.example/inbox", BODY)
    with pytest.raises(VerificationFailed):
        verify("POST", "/inbox", headers, key=RFC_ED25519_PUBLIC_KEY)


def test_extra_headers_like_misskey_accept_are_supported():
    headers = {**base_headers(), "Accept": "application/activity+json"}
    del headers["Digest"]
    headers = make_signature("(request-target) date host accept", "GET", "/notes/1", headers)
    verify("GET", "/notes/1", headers, body=None)


def test_absolute_url_is_accepted_as_target():
    headers = signed("POST", "https://remote.example/inbox?a=1", BODY)
    verify("POST", "https://remote.example/inbox?a=1", headers)

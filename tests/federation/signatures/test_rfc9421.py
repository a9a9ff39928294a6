from datetime import UTC, datetime, timedelta

import pytest

from federation.signatures import rfc9421
from federation.signatures._common import (
    DigestInvalid,
    InsufficientCoverage,
    MalformedSignature,
    NotSigned,
    SignatureExpired,
    UnsupportedAlgorithm,
    VerificationFailed,
)
from federation.signatures.keys import generate_rsa_keypair
from tests.federation.vectors import (
    B21_INPUT,
    B21_SIGNATURE,
    B22_BASE,
    B22_INPUT,
    B22_SIGNATURE,
    B23_INPUT,
    B23_SIGNATURE,
    B26_BASE,
    B26_INPUT,
    B26_SIGNATURE,
    CAVAGE_PUBLIC_KEY,
    PROXY_BASE,
    PROXY_COMPONENTS,
    PROXY_HEADERS,
    PROXY_INPUT,
    PROXY_SIGNATURE,
    PROXY_URL,
    RFC_BODY,
    RFC_ED25519_PRIVATE_KEY,
    RFC_ED25519_PUBLIC_KEY,
    RFC_HEADERS,
    RFC_RSA_PRIVATE_KEY,
    RFC_RSA_PSS_PUBLIC_KEY,
    RFC_RSA_PUBLIC_KEY,
    RFC_URL,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY_ID = "https://local.example/users/alice#main-key"
INBOX = "https://remote.example/users/bob/inbox"
BODY = b'{"type":"Follow"}'


# --- RFC 9421 vectors ---


def test_section_4_3_proxy_sig_byte_for_byte():
    out = rfc9421.sign_request(
        "POST",
        PROXY_URL,
        PROXY_HEADERS,
        RFC_BODY,
        "test-key-rsa",
        RFC_RSA_PRIVATE_KEY,
        components=PROXY_COMPONENTS,
        created=1618884480,
        expires=1618884540,
        label="proxy_sig",
    )
    assert out["Signature-Input"] == PROXY_INPUT
    assert out["Signature"] == PROXY_SIGNATURE
    headers = {**PROXY_HEADERS, **out}
    sig = rfc9421.parse_signature(headers)
    assert rfc9421.signature_base(sig.components, sig.params, "POST", PROXY_URL, headers) == (
        PROXY_BASE
    )
    verified = rfc9421.verify_request(
        "POST", PROXY_URL, headers, RFC_BODY, RFC_RSA_PUBLIC_KEY, check_time=False
    )
    assert (verified.key_id, verified.algorithm, verified.label) == (
        "test-key-rsa",
        "rsa-v1_5-sha256",
        "proxy_sig",
    )
    with pytest.raises(SignatureExpired):
        rfc9421.verify_request("POST", PROXY_URL, headers, RFC_BODY, RFC_RSA_PUBLIC_KEY, now=NOW)


def test_b26_ed25519_byte_for_byte():
    out = rfc9421.sign_request(
        "POST",
        RFC_URL,
        RFC_HEADERS,
        RFC_BODY,
        "test-key-ed25519",
        RFC_ED25519_PRIVATE_KEY,
        components=("date", "@method", "@path", "@authority", "content-type", "content-length"),
        created=1618884473,
        include_alg=False,
        label="sig-b26",
    )
    assert out["Signature-Input"] == B26_INPUT
    assert out["Signature"] == B26_SIGNATURE
    headers = {**RFC_HEADERS, **out}
    sig = rfc9421.parse_signature(headers)
    assert rfc9421.signature_base(sig.components, sig.params, "POST", RFC_URL, headers) == B26_BASE
    assert rfc9421.verify_signature(sig, "POST", RFC_URL, headers, RFC_ED25519_PUBLIC_KEY) == (
        "ed25519"
    )


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [(B21_INPUT, B21_SIGNATURE), (B22_INPUT, B22_SIGNATURE), (B23_INPUT, B23_SIGNATURE)],
    ids=["B.2.1", "B.2.2", "B.2.3"],
)
def test_b21_to_b23_rsa_pss_verify(signature_input, signature):
    headers = {**RFC_HEADERS, "Signature-Input": signature_input, "Signature": signature}
    sig = rfc9421.parse_signature(headers)
    algorithm = rfc9421.verify_signature(sig, "POST", RFC_URL, headers, RFC_RSA_PSS_PUBLIC_KEY)
    assert algorithm == "rsa-pss-sha512"
    with pytest.raises(VerificationFailed):
        rfc9421.verify_signature(sig, "POST", RFC_URL, headers, RFC_RSA_PUBLIC_KEY)


def test_b22_query_param_base():
    headers = {**RFC_HEADERS, "Signature-Input": B22_INPUT, "Signature": B22_SIGNATURE}
    sig = rfc9421.parse_signature(headers)
    assert rfc9421.signature_base(sig.components, sig.params, "POST", RFC_URL, headers) == B22_BASE


def test_b21_fails_the_fediverse_policy():
    headers = {**RFC_HEADERS, "Signature-Input": B21_INPUT, "Signature": B21_SIGNATURE}
    with pytest.raises(InsufficientCoverage, match="@method"):
        rfc9421.verify_request(
            "POST", RFC_URL, headers, RFC_BODY, RFC_RSA_PSS_PUBLIC_KEY, check_time=False
        )


# --- round trips ---


def sign(method="POST", url=INBOX, body=BODY, key=RFC_RSA_PRIVATE_KEY, now=NOW, **kwargs):
    return rfc9421.sign_request(method, url, {}, body, KEY_ID, key, now=now, **kwargs)


def test_post_round_trip_is_mastodon_shaped():
    headers = sign()
    created = int(NOW.timestamp())
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={created};'
        f'keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert headers["Content-Digest"].startswith("sha-256=:")
    verified = rfc9421.verify_request("POST", INBOX, headers, BODY, RFC_RSA_PUBLIC_KEY, now=NOW)
    assert verified.covered == ("@method", "@target-uri", "content-digest")
    assert verified.created == NOW


def test_get_round_trip_with_query():
    url = "https://remote.example/users/bob/outbox?page=true"
    headers = sign("GET", url, None)
    assert '("@method" "@target-uri")' in headers["Signature-Input"]
    rfc9421.verify_request("GET", url, headers, None, RFC_RSA_PUBLIC_KEY, now=NOW)
    with pytest.raises(VerificationFailed):
        rfc9421.verify_request("GET", url.split("?")[0], headers, None, RFC_RSA_PUBLIC_KEY, now=NOW)


def test_pss_and_ed25519_round_trips():
    headers = sign(algorithm="rsa-pss-sha512")
    verified = rfc9421.verify_request("POST", INBOX, headers, BODY, RFC_RSA_PUBLIC_KEY, now=NOW)
    assert verified.algorithm == "rsa-pss-sha512"
    headers = sign(key=RFC_ED25519_PRIVATE_KEY, include_alg=False)
    verified = rfc9421.verify_request("POST", INBOX, headers, BODY, RFC_ED25519_PUBLIC_KEY, now=NOW)
    assert verified.algorithm == "ed25519"


def test_fedify_component_set_is_accepted():
    components = ("@method", "@target-uri", "@authority", "host", "date", "content-digest")
    given = {"Host": "remote.example", "Date": "Sun, 01 Mar 2026 12:00:00 GMT"}
    out = rfc9421.sign_request(
        "POST", INBOX, given, BODY, KEY_ID, RFC_RSA_PRIVATE_KEY, components=components, now=NOW
    )
    headers = {**given, **out}
    verified = rfc9421.verify_request("POST", INBOX, headers, BODY, RFC_RSA_PUBLIC_KEY, now=NOW)
    assert verified.covered == components


def test_key_from_resolver():
    headers = sign()
    verified = rfc9421.verify_request(
        "POST", INBOX, headers, BODY, lambda key_id: RFC_RSA_PUBLIC_KEY, now=NOW
    )
    assert verified.key_id == KEY_ID


# --- rejections ---


def verify(headers, method="POST", url=INBOX, body=BODY, key=RFC_RSA_PUBLIC_KEY, now=NOW):
    return rfc9421.verify_request(method, url, headers, body, key, now=now)


def test_unsigned():
    with pytest.raises(NotSigned):
        verify({})


def test_wrong_key():
    _, other_public = generate_rsa_keypair()
    with pytest.raises(VerificationFailed, match=f"Verification failed for {KEY_ID}"):
        verify(sign(), key=other_public)
    with pytest.raises(VerificationFailed):
        verify(sign(), key=CAVAGE_PUBLIC_KEY)


def test_tampered_body():
    with pytest.raises(DigestInvalid, match="Content-Digest"):
        verify(sign(), body=BODY + b"x")


def test_post_without_content_digest():
    headers = sign(components=("@method", "@target-uri"))
    with pytest.raises(InsufficientCoverage, match="content-digest"):
        verify(headers)


def test_without_target_uri():
    headers = sign(components=("@method", "content-digest"))
    with pytest.raises(InsufficientCoverage, match="@target-uri"):
        verify(headers)


def test_authority_and_path_stand_in_for_target_uri():
    verify(sign(components=("@method", "@authority", "@path", "content-digest")))


def test_time_window():
    with pytest.raises(SignatureExpired):
        verify(sign(now=NOW - timedelta(hours=2)))
    with pytest.raises(SignatureExpired):
        verify(sign(now=NOW + timedelta(minutes=61)))
    verify(sign(now=NOW - timedelta(minutes=64)))


def test_missing_keyid_or_created():
    headers = sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace(f';keyid="{KEY_ID}"', "")
    with pytest.raises(MalformedSignature, match="keyid"):
        verify(headers)
    headers = sign()
    created = int(NOW.timestamp())
    headers["Signature-Input"] = headers["Signature-Input"].replace(f"created={created};", "")
    with pytest.raises(MalformedSignature, match="created"):
        verify(headers)


def test_two_signatures_refused():
    headers = sign()
    headers["Signature-Input"] += ", " + headers["Signature-Input"].replace("sig1=", "sig2=")
    headers["Signature"] += ", " + headers["Signature"].replace("sig1=", "sig2=")
    with pytest.raises(MalformedSignature, match="one signature"):
        verify(headers)


def test_unsupported_alg():
    headers = sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        "rsa-v1_5-sha256", "hmac-sha256"
    )
    with pytest.raises(UnsupportedAlgorithm):
        verify(headers)


def test_alg_must_fit_the_key():
    headers = sign()
    headers["Signature-Input"] = headers["Signature-Input"].replace("rsa-v1_5-sha256", "ed25519")
    with pytest.raises(VerificationFailed):
        verify(headers)


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1=garbage(", "sig1=:AAAA:"),
        ('sig1=("@method");created=1;keyid="k"', "sig2=:AAAA:"),
        ('sig1=("@method");created=1;keyid="k"', 'sig1="text"'),
        ('sig1="not a list"', "sig1=:AAAA:"),
        ('sig1=("@METHOD");created=1;keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method" "@method");created=1;keyid="k"', "sig1=:AAAA:"),
    ],
)
def test_malformed_headers(signature_input, signature):
    with pytest.raises(MalformedSignature) as err:
        rfc9421.parse_signature({"Signature-Input": signature_input, "Signature": signature})
    assert err.value.reason


def test_signature_input_without_signature():
    with pytest.raises(MalformedSignature):
        rfc9421.parse_signature({"Signature-Input": 'sig1=("@method");created=1;keyid="k"'})


def test_unknown_derived_component():
    headers = sign(body=None, method="GET", components=("@method", "@target-uri"))
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        '"@target-uri"', '"@target-uri" "@status"'
    )
    with pytest.raises(MalformedSignature, match="@status"):
        verify(headers, method="GET", body=None)

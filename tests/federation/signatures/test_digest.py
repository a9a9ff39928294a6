import pytest

from federation.signatures.digest import (
    DigestMismatch,
    InvalidDigest,
    UnsupportedDigestAlgorithm,
    build_content_digest,
    build_digest,
    parse_content_digest,
    parse_digest,
    verify_content_digest,
    verify_digest,
)

BODY = b'{"hello": "world"}'
SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
SHA512 = "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="


def test_build_digest_matches_spec_examples():
    assert build_digest(BODY) == f"SHA-256={SHA256}"
    assert build_digest(BODY, "SHA-512") == f"SHA-512={SHA512}"
    assert build_content_digest(BODY) == f"sha-256=:{SHA256}:"
    assert build_content_digest(BODY, "sha-512") == f"sha-512=:{SHA512}:"


def test_parse_digest_comma_list_case_insensitive():
    parsed = parse_digest(f"md5=abc, sha-256={SHA256},SHA-512={SHA512}")
    assert parsed == {"md5": "abc", "sha-256": SHA256, "sha-512": SHA512}


@pytest.mark.parametrize(
    "value",
    [f"SHA-256={SHA256}", f"sha-256={SHA256}", f"Sha-512={SHA512}", f"md5=x, SHA-256={SHA256}"],
)
def test_verify_digest_accepts(value):
    assert verify_digest(value, BODY) in ("sha-256", "sha-512")


def test_verify_digest_mismatch_reason():
    with pytest.raises(DigestMismatch) as err:
        verify_digest(f"SHA-256={SHA256}", b"tampered")
    assert err.value.reason.startswith("Invalid Digest value. Computed SHA-256 digest:")


def test_verify_digest_rejects_hex_and_unknown():
    with pytest.raises(InvalidDigest):
        verify_digest("SHA-256=" + "ab" * 32, BODY)
    with pytest.raises(UnsupportedDigestAlgorithm):
        verify_digest("MD5=abc", BODY)
    with pytest.raises(InvalidDigest):
        verify_digest("garbage", BODY)


def test_content_digest_parse_and_verify():
    value = f"sha-256=:{SHA256}:, sha-512=:{SHA512}:"
    assert set(parse_content_digest(value)) == {"sha-256", "sha-512"}
    assert verify_content_digest(value, BODY) == "sha-256"
    assert verify_content_digest(f"sha-512=:{SHA512}:", BODY) == "sha-512"
    with pytest.raises(DigestMismatch):
        verify_content_digest(f"sha-256=:{SHA256}:", b"other")
    with pytest.raises(InvalidDigest):
        verify_content_digest(f"sha-256={SHA256}", BODY)
    with pytest.raises(UnsupportedDigestAlgorithm):
        verify_content_digest("md5=:AAAA:", BODY)

"""Domain normalization, Mastodon's obfuscation and digest, suffix matching."""

import hashlib

import pytest

from fedianon.blocklists import (
    DomainError,
    NormalizedDomain,
    domain_digest,
    domain_suffixes,
    longest_match,
    matches,
    normalize_domain,
    obfuscate,
    rule_for,
)
from fedianon.errors import ValidationFailed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("  Example.COM  ", "example.com"),
        ("example.com.", "example.com"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("münchen。de", "xn--mnchen-3ya.de"),  # an ideographic full stop separates labels too
        ("faß.example", "fass.example"),  # IDNA 2003 mapping, as Mastodon's Addressable
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("123.example", "123.example"),
    ],
)
def test_normalize_gives_lowercase_punycode(raw: str, expected: str) -> None:
    assert normalize_domain(raw) == NormalizedDomain(expected, wildcard=False)


def test_a_leading_wildcard_is_stripped_and_reported() -> None:
    assert normalize_domain("*.Bad.Example") == NormalizedDomain("bad.example", wildcard=True)
    assert normalize_domain(" *.bücher.example. ") == NormalizedDomain(
        "xn--bcher-kva.example", wildcard=True
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty domain"),
        ("   ", "empty domain"),
        ("*.", "bare wildcard"),
        ("exa mple.com", "whitespace"),
        ("https://bad.example/", "a URL"),
        ("http://bad.example", "a URL"),
        ("bad.example/about", "path"),
        ("bad.example:8443", "port"),
        ("1.2.3.4", "IP address"),
        ("::1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("1.2.3", "top-level label is numeric"),
        ("localhost", "single label"),
        ("EXAMPLE", "single label"),
        ("a" * 64 + ".example", "longer than 63"),
        (".".join(["a" * 60] * 5), "longer than 253"),
        ("under_score.example", "invalid character '_'"),
        ("bad!.example", "invalid character '!'"),
        ("a..example", "empty label"),
        (".example.com", "empty label"),
        ("-bad.example", "hyphen"),
        ("xn--zz.example", "not valid punycode"),
        ("admin@bad.example", "account address"),
        ("dai****.com", "obfuscated domain cannot be applied"),
        ("*.*.example.com", "obfuscated domain cannot be applied"),
    ],
)
def test_normalize_rejects_what_cannot_be_a_rule(raw: str, reason: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_domain(raw)
    assert reason in caught.value.reason


def test_domain_error_is_a_422_and_a_value_error() -> None:
    error = DomainError("empty domain")
    assert isinstance(error, ValidationFailed) and error.status_code == 422
    assert isinstance(error, ValueError)
    assert error.message == error.reason == "empty domain"


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        # len 14, len/4 = 3: indices 4..10 are masked, the dot at 10 stays (Mastodon's docs).
        ("dajiaoyuan.com", "daji******.com"),
        # len 10, len/4 = 2: indices 3..7 are masked, the dot at 6 stays.
        ("fedi.cloud", "fed*.***ud"),
        ("abcdef.com", "abc***.*om"),
        # len 11, len/4 = 2: indices 3..8.
        ("example.com", "exa****.*om"),
        # len 4, len/4 = 1: only index 2.
        ("a.bc", "a.*c"),
        # len 3, len/4 = 0: everything after the first character but the dot.
        ("a.b", "a.*"),
    ],
)
def test_obfuscate_as_mastodon_public_domain(domain: str, public: str) -> None:
    assert obfuscate(domain) == public
    assert len(obfuscate(domain)) == len(domain)


def test_digest_is_sha256_hex_of_the_real_domain() -> None:
    assert domain_digest("example.com") == hashlib.sha256(b"example.com").hexdigest()
    assert len(domain_digest("x.example")) == 64


def test_suffix_matching() -> None:
    assert matches("example.com", "example.com")
    assert matches("a.example.com", "example.com")
    assert matches("a.b.example.com", "example.com")
    assert not matches("badexample.com", "example.com")
    assert not matches("example.com", "a.example.com")
    assert not matches("example.org", "example.com")
    # Hosts seen at enforcement time arrive in any case, with a port or a trailing dot.
    assert matches("A.Example.COM", "example.com")
    assert matches("a.example.com:8443", "example.com")
    assert matches("a.example.com.", "example.com")
    assert matches("x.bücher.example", "xn--bcher-kva.example")


def test_the_longest_rule_wins() -> None:
    rules = {"example.com": "suspend", "ok.example.com": "noop", "com.example": "silence"}
    assert rule_for("example.com", rules) == "suspend"
    assert rule_for("x.example.com", rules) == "suspend"
    assert rule_for("ok.example.com", rules) == "noop"
    assert rule_for("deep.ok.example.com", rules) == "noop"
    assert rule_for("example.org", rules) is None
    assert rule_for("EXAMPLE.COM", rules) == "suspend"
    assert longest_match("a.ok.example.com", set(rules)) == "ok.example.com"
    assert longest_match("nothing.example", set(rules)) is None
    assert domain_suffixes("a.b.c") == ["a.b.c", "b.c", "c"]

"""Seeded fuzzing of the header/resource/document readers: only domain errors escape."""

import contextlib
import random
import string

from federation import nodeinfo, webfinger
from federation.signatures import SignatureError, cavage, rfc9421
from federation.signatures.digest import DigestError, verify_content_digest, verify_digest
from federation.signatures.keys import KeyFormatError, load_public_key

ALPHABET = string.printable + 'é²\u0000"=:;,()@'
PIECES = [
    'keyId="k"',
    'signature="AAAA"',
    'headers="(request-target) host date"',
    "algorithm=hs2019",
    "created=1",
    'sig1=("@method" "@target-uri")',
    ";created=1",
    ';keyid="k"',
    "sig1=:AAAA:",
    "sha-256=:",
    "SHA-256=",
    "acct:",
    "@",
    "[::1]",
    ":8080",
    "https://",
    "-----BEGIN PUBLIC KEY-----",
    "z6Mk",
]


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 6)):
        if rng.random() < 0.5:
            parts.append(rng.choice(PIECES))
        else:
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))))
    return rng.choice(["", ",", " ", ", "]).join(parts)


def test_header_and_resource_readers_only_raise_domain_errors():
    rng = random.Random(99)
    for _ in range(3000):
        text = random_text(rng)
        for reader, errors in [
            (cavage.parse_signature_header, SignatureError),
            (
                lambda t: rfc9421.parse_signature({"Signature-Input": t, "Signature": t}),
                SignatureError,
            ),
            (lambda t: verify_digest(t, b"x"), DigestError),
            (lambda t: verify_content_digest(t, b"x"), DigestError),
            (webfinger.parse_resource, webfinger.WebFingerError),
            (load_public_key, KeyFormatError),
        ]:
            try:
                reader(text)
            except errors as exc:
                assert exc.reason


def test_jrd_and_nodeinfo_readers_only_raise_domain_errors():
    rng = random.Random(5)
    values = [None, 1, "x", [], {}, [{}], {"rel": "self"}, {"links": "x"}, {"software": {}}]
    for _ in range(500):
        document = {
            rng.choice(
                ["links", "subject", "aliases", "software", "usage", "protocols"]
            ): rng.choice(values)
            for _ in range(rng.randint(0, 4))
        }
        with contextlib.suppress(webfinger.InvalidJRD):
            webfinger.parse_jrd(document)
        with contextlib.suppress(nodeinfo.NodeInfoError):
            nodeinfo.parse_nodeinfo(document)
        with contextlib.suppress(nodeinfo.NodeInfoError):
            nodeinfo.parse_discovery(document)

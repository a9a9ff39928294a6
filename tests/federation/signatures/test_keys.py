import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.signatures.keys import (
    KeyFormatError,
    base58btc_decode,
    base58btc_encode,
    decode_multikey,
    encode_multikey,
    generate_ed25519_keypair,
    generate_rsa_keypair,
    key_type,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from tests.federation.vectors import (
    CAVAGE_PRIVATE_KEY,
    CAVAGE_PUBLIC_KEY,
    RFC_ED25519_PUBLIC_KEY,
    RFC_RSA_PUBLIC_KEY,
)

MITRA_RSA_MULTIKEY = (
    "z4MXj1wBzi9jUstyPzDJGKjQPQWMi9NPMz1xNE4MeJjMpUcPYR7LfniZmXoXhfQ6motM7AAgWw9nHbFmhnNvAfaZMd"
    "QgBo2j1ptQNRogJPGzesYi7Yf81T2Kqju3CTCEJje5brBDdhKMpq56h6SwFAtcbPZBykN527ocN2JfvmiqVYNTqPVw"
    "oKGuVGKXNx6h87jVGq1kxzj7Q9LBFQnMHbCnMeUJ3KtqJQcPdGwbMw7LWjz4jpHpi6wb7KXBdVnSyKMwB7KyNJFJYq"
    "zauPi1UgtTKRzEMNUdCjAFsYff7v93Rr7Yzy4siE4cRVCdMNSQp3KphqczgLNejPKLjMMT9UC7XLitDdd2t3xaEzua"
    "mHVBNrFVBFEJ4"
)
MITRA_ED25519_MULTIKEY = "z6MkweqJajqa5jRAJTBVxxu47oCdB7HzmYbBKN8VGbFJmKkC"
MITRA_RSA_PEM_START = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzUNdOf1fXnMDtcw/elvC"


def test_generate_rsa_keypair_is_pkcs8_and_spki_2048():
    private_pem, public_pem = generate_rsa_keypair()
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    private = load_private_key(private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert public_key_pem(private.public_key()) == public_pem


def test_generate_ed25519_keypair():
    private_pem, public_pem = generate_ed25519_keypair()
    assert key_type(load_private_key(private_pem)) == "ed25519"
    assert key_type(load_public_key(public_pem)) == "ed25519"


def test_load_spki_pkcs1_and_ed25519_public_keys():
    assert isinstance(load_public_key(CAVAGE_PUBLIC_KEY), rsa.RSAPublicKey)
    pkcs1 = load_public_key(RFC_RSA_PUBLIC_KEY)
    assert isinstance(pkcs1, rsa.RSAPublicKey)
    assert pkcs1.key_size == 2048
    assert isinstance(load_public_key(RFC_ED25519_PUBLIC_KEY), ed25519.Ed25519PublicKey)


def test_load_pkcs1_private_key():
    key = load_private_key(CAVAGE_PRIVATE_KEY)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert public_key_pem(key.public_key()) == load_and_dump(CAVAGE_PUBLIC_KEY)


def load_and_dump(pem: str) -> str:
    return public_key_pem(load_public_key(pem))


def test_pem_with_mangled_whitespace_and_escaped_newlines():
    body = CAVAGE_PUBLIC_KEY.replace("\n", "\\n")
    assert load_and_dump(body) == load_and_dump(CAVAGE_PUBLIC_KEY)
    crlf = "  " + CAVAGE_PUBLIC_KEY.replace("\n", "\r\n   ")
    assert load_and_dump(crlf) == load_and_dump(CAVAGE_PUBLIC_KEY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "z0OIl",
        "zz",
        "x" * 30000,
    ],
)
def test_bad_public_keys_raise_key_format_error(text):
    with pytest.raises(KeyFormatError) as err:
        load_public_key(text)
    assert err.value.reason


def test_bad_private_key():
    with pytest.raises(KeyFormatError):
        load_private_key(CAVAGE_PUBLIC_KEY)


def test_multikey_rsa_from_mitra_matches_its_pem():
    key = decode_multikey(MITRA_RSA_MULTIKEY)
    assert isinstance(key, rsa.RSAPublicKey)
    assert MITRA_RSA_PEM_START in public_key_pem(key)
    assert encode_multikey(key) == MITRA_RSA_MULTIKEY


def test_multikey_ed25519_round_trip():
    key = decode_multikey(MITRA_ED25519_MULTIKEY)
    assert isinstance(key, ed25519.Ed25519PublicKey)
    assert encode_multikey(key) == MITRA_ED25519_MULTIKEY
    assert isinstance(load_public_key(MITRA_ED25519_MULTIKEY), ed25519.Ed25519PublicKey)


def test_multikey_unknown_codec():
    text = "z" + base58btc_encode(bytes([0x12, 0x00]) + b"\x01" * 32)
    with pytest.raises(KeyFormatError, match="multicodec"):
        decode_multikey(text)


def test_base58_round_trip_with_leading_zeros():
    data = b"\x00\x00hello"
    assert base58btc_decode(base58btc_encode(data)) == data

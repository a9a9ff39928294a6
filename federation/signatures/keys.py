"""Key material: RSA-2048 generation, PEM loading, FEP-521a Multikey decoding.

Local actors get RSA-2048 keys (PKCS#8 private PEM, SPKI public PEM), as Mastodon
publishes them. Remote keys arrive in more shapes: SPKI ``BEGIN PUBLIC KEY`` (RSA or
Ed25519), PKCS#1 ``BEGIN RSA PUBLIC KEY``, PEM with mangled line breaks, or a
Multikey ``publicKeyMultibase`` (``z`` + base58btc of a multicodec-prefixed key).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = [
    "KeyFormatError",
    "KeyMaterialError",
    "PrivateKey",
    "PublicKey",
    "base58btc_decode",
    "base58btc_encode",
    "decode_multikey",
    "encode_multikey",
    "generate_ed25519_keypair",
    "generate_rsa_keypair",
    "key_type",
    "load_private_key",
    "load_public_key",
    "public_key_pem",
]

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
KeyType = Literal["rsa", "ed25519"]

#: multicodec codes (FEP-521a): ed25519-pub 0xed, rsa-pub 0x1205 (varint-encoded on the wire).
MULTICODEC_ED25519_PUB = 0xED
MULTICODEC_RSA_PUB = 0x1205

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_PEM_RE = re.compile(
    r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----",
    re.DOTALL,
)
_MAX_KEY_TEXT = 20_000


class KeyMaterialError(Exception):
    """Base class for key errors in this module."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeyFormatError(KeyMaterialError):
    """The key text could not be decoded into a supported public or private key."""


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """Return ``(private_pem_pkcs8, public_pem_spki)`` for a new RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_key_pem(key.public_key())


def generate_ed25519_keypair() -> tuple[str, str]:
    """Return ``(private_pem_pkcs8, public_pem_spki)`` for a new Ed25519 key."""
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_key_pem(key.public_key())


def public_key_pem(key: PublicKey) -> str:
    """Serialize a public key as SPKI ``BEGIN PUBLIC KEY`` PEM (what peers expect)."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_type(key: PublicKey | PrivateKey) -> KeyType:
    """``"rsa"`` or ``"ed25519"``."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "rsa"
    return "ed25519"


def _pem_blocks(text: str) -> list[tuple[str, bytes]]:
    """Extract ``(label, der)`` pairs, tolerating odd whitespace and escaped newlines."""
    if len(text) > _MAX_KEY_TEXT:
        raise KeyFormatError("key text is too long")
    text = text.replace("\\n", "\n").replace("\r", "")
    blocks: list[tuple[str, bytes]] = []
    for match in _PEM_RE.finditer(text):
        label = match.group(1).strip()
        body = "".join(match.group(2).split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise KeyFormatError(f"invalid base64 in PEM block {label!r}") from exc
        blocks.append((label, der))
    return blocks


def load_public_key(text: str) -> PublicKey:
    """Load a remote public key: SPKI PEM (RSA/Ed25519), PKCS#1 RSA PEM, or a Multikey.

    A string starting with ``z`` and no PEM armour is read as ``publicKeyMultibase``.
    """
    if not isinstance(text, str) or not text.strip():
        raise KeyFormatError("empty public key")
    stripped = text.strip()
    if "-----BEGIN" not in stripped:
        if stripped.startswith("z"):
            return decode_multikey(stripped)
        raise KeyFormatError("public key is neither PEM nor multibase")
    blocks = _pem_blocks(stripped)
    if not blocks:
        raise KeyFormatError("no PEM block found in public key")
    label, der = blocks[0]
    try:
        if label == "PUBLIC KEY":
            key = serialization.load_der_public_key(der)
        elif label == "RSA PUBLIC KEY":
            key = serialization.load_der_public_key(_pkcs1_to_spki(der))
        else:
            raise KeyFormatError(f"unsupported PEM block {label!r} for a public key")
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"cannot decode {label}: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


def load_private_key(text: str) -> PrivateKey:
    """Load a PKCS#8 (``BEGIN PRIVATE KEY``) or PKCS#1 (``BEGIN RSA PRIVATE KEY``) key."""
    if not isinstance(text, str) or "-----BEGIN" not in text:
        raise KeyFormatError("private key is not PEM")
    blocks = _pem_blocks(text)
    if not blocks:
        raise KeyFormatError("no PEM block found in private key")
    label, der = blocks[0]
    if label not in ("PRIVATE KEY", "RSA PRIVATE KEY"):
        raise KeyFormatError(f"unsupported PEM block {label!r} for a private key")
    pem = (
        f"-----BEGIN {label}-----\n"
        + "\n".join(_chunks(base64.b64encode(der).decode("ascii"), 64))
        + f"\n-----END {label}-----\n"
    )
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"cannot decode {label}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# --- minimal DER, enough to wrap PKCS#1 RSAPublicKey into SubjectPublicKeyInfo ---

_RSA_ALGORITHM_ID = bytes.fromhex("300d06092a864886f70d0101010500")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _pkcs1_to_spki(der: bytes) -> bytes:
    bit_string = b"\x03" + _der_length(len(der) + 1) + b"\x00" + der
    content = _RSA_ALGORITHM_ID + bit_string
    return b"\x30" + _der_length(len(content)) + content


# --- base58btc and Multikey (FEP-521a) ---


def base58btc_encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 encoding (leading zero bytes become ``1``)."""
    zeros = len(data) - len(data.lstrip(b"\x00"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """Decode bitcoin-alphabet base58; raises ``KeyFormatError`` on a bad character."""
    if len(text) > _MAX_KEY_TEXT:
        raise KeyFormatError("multibase text is too long")
    num = 0
    for char in text:
        try:
            num = num * 58 + _B58_INDEX[char]
        except KeyError as exc:
            raise KeyFormatError(f"invalid base58 character {char!r}") from exc
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\x00" * zeros + body


def _read_varint(data: bytes) -> tuple[int, int]:
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise KeyFormatError("truncated multicodec prefix")


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_multikey(multibase: str) -> PublicKey:
    """Decode ``publicKeyMultibase``: ``z`` + base58btc(varint codec + key bytes).

    Ed25519 (codec 0xed, bytes ``ed 01``) carries the 32 raw key bytes; RSA (codec 0x1205,
    bytes ``85 24``) carries a PKCS#1 ``RSAPublicKey`` DER.
    """
    if not isinstance(multibase, str) or not multibase.startswith("z"):
        raise KeyFormatError("multibase key must start with 'z' (base58btc)")
    raw = base58btc_decode(multibase[1:])
    codec, offset = _read_varint(raw)
    body = raw[offset:]
    try:
        if codec == MULTICODEC_ED25519_PUB:
            if len(body) != 32:
                raise KeyFormatError("Ed25519 multikey must carry 32 key bytes")
            return ed25519.Ed25519PublicKey.from_public_bytes(body)
        if codec == MULTICODEC_RSA_PUB:
            key = serialization.load_der_public_key(_pkcs1_to_spki(body))
            if not isinstance(key, rsa.RSAPublicKey):
                raise KeyFormatError("RSA multikey did not decode to an RSA key")
            return key
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"cannot decode multikey: {exc}") from exc
    raise KeyFormatError(f"unsupported multicodec 0x{codec:x}")


def encode_multikey(key: PublicKey) -> str:
    """Encode a public key as ``publicKeyMultibase`` (inverse of ``decode_multikey``)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        body = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "z" + base58btc_encode(_write_varint(MULTICODEC_ED25519_PUB) + body)
    body = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return "z" + base58btc_encode(_write_varint(MULTICODEC_RSA_PUB) + body)

"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fedianon.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher()
# Verified against when the handle is unknown, so timing does not reveal which handles exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"Password is too short (minimum is {MIN_LENGTH} characters)")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"Password is too long (maximum is {MAX_LENGTH} characters)")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

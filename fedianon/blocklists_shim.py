"""Domain-name normalization for a user's own domain blocks (until the blocklist package lands)."""

from __future__ import annotations

from fedianon.errors import ValidationFailed


def normalize_user_domain(raw: str) -> str:
    value = (raw or "").strip().lower().rstrip(".")
    if value.startswith("*."):
        value = value[2:]
    try:
        value = value.encode("idna").decode("ascii") if not value.isascii() else value
    except UnicodeError:
        raise ValidationFailed("Validation failed: Domain is not a valid domain name") from None
    if not value or "/" in value or " " in value or "." not in value.split(":")[0]:
        raise ValidationFailed("Validation failed: Domain is not a valid domain name")
    return value

"""Snowflake ids: (milliseconds since the epoch << 16) | sequence.

Sortable by creation time, 64-bit, sent to clients as strings (Mastodon's convention).
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def new_id(at: datetime | None = None) -> int:
    """A fresh snowflake; `at` backdates it (remote posts keep their published time)."""
    global _last_ms, _sequence
    if at is not None:
        ms = int(at.timestamp() * 1000)
        return (ms << _SEQUENCE_BITS) | secrets.randbits(_SEQUENCE_BITS)
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _last_ms:
            ms = _last_ms
            _sequence = (_sequence + 1) & _SEQUENCE_MASK
            if _sequence == 0:
                ms += 1
        else:
            _sequence = secrets.randbits(_SEQUENCE_BITS - 4)
        _last_ms = ms
        return (ms << _SEQUENCE_BITS) | _sequence


def id_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp((snowflake >> _SEQUENCE_BITS) / 1000, tz=UTC)


def parse_id(value: object) -> int | None:
    """A client-supplied id, or None when it is not a positive 63-bit integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 < number < 2**63 else None

import logging
from datetime import UTC, datetime

import pytest

from fedianon.ids import id_time, new_id, parse_id
from fedianon.privacy import (
    InvalidEmail,
    ScrubFilter,
    domain_allowed,
    email_digest,
    normalize_email,
    scrub,
)
from fedianon.timeutil import iso


def test_snowflakes_are_unique_increasing_and_carry_their_time() -> None:
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert abs((id_time(ids[0]) - datetime.now(UTC)).total_seconds()) < 5
    backdated = new_id(datetime(2020, 1, 2, tzinfo=UTC))
    assert id_time(backdated).year == 2020
    assert all(0 < i < 2**63 for i in ids)


@pytest.mark.parametrize("value", ["abc", "", "-1", "0", "1" * 25, "１２", None, 1.5, True])
def test_parse_id_rejects_non_ids(value: object) -> None:
    assert parse_id(value) is None


def test_datetime_format_is_millisecond_z() -> None:
    assert iso(datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)) == "2024-05-06T07:08:09.123Z"


def test_email_normalization_and_domain_rules() -> None:
    address = normalize_email("  Jane.Doe@Campus.Example ")
    assert address.value == "jane.doe@campus.example"
    assert "jane" not in repr(address) and "jane" not in str(address)
    assert domain_allowed(address, ("campus.example",))
    assert not domain_allowed(address, ("other.example",))
    assert domain_allowed(normalize_email("x@cs.uni.example"), ("*.uni.example",))
    assert not domain_allowed(normalize_email("x@evil-uni.example"), ("*.uni.example",))
    for bad in (
        "no-at-sign",
        "a@b",
        "@campus.example",
        "a..b@campus.example",
        "a@-x.example",
        "a b@c.example",
    ):
        with pytest.raises(InvalidEmail):
            normalize_email(bad)


def test_digest_is_keyed_and_stable() -> None:
    address = normalize_email("someone@campus.example")
    assert email_digest("k1" * 20, address) == email_digest(
        "k1" * 20, normalize_email("SOMEONE@campus.example")
    )
    assert email_digest("k1" * 20, address) != email_digest("k2" * 20, address)


def test_scrub_removes_mail_and_ip_addresses() -> None:
    text = "from 127.0.0.1 and ::1 and 2001:db8::1 to alice@campus.example at 10.0.0.12:8000"
    cleaned = scrub(text)
    for secret in ("127.0.0.1", "alice", "campus.example", "2001:db8::1", "10.0.0.12"):
        assert secret not in cleaned
    assert scrub("GET /api/v1/statuses/123 200 4ms") == "GET /api/v1/statuses/123 200 4ms"


def test_log_filter_scrubs_arguments_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("fedianon.test.scrub")
    logger.addFilter(ScrubFilter())
    try:
        try:
            raise ValueError("bad address bob@campus.example")
        except ValueError:
            logger.exception("client %s sent %s", "192.168.1.20", "bob@campus.example")
    finally:
        logger.filters.clear()
    assert "bob" not in caplog.text and "192.168.1.20" not in caplog.text

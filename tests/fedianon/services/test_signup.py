"""Sign-up and password reset, through the service functions, with every bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fedianon.errors import Forbidden, RateLimited, Unavailable, ValidationFailed
from fedianon.models.accounts import Account, EmailVerification
from fedianon.services import accounts, signup
from fedianon.services.signup import CodeRejected
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from fedianon.urls import LocalUrls

ADDRESS = "Student.One@campus.test"


def code_from(mail: tuple[str, str, str]) -> str:
    match = re.search(r"\b(\d{6})\b", mail[2])
    assert match, mail
    return match.group(1)


@pytest.fixture
def limiter():  # type: ignore[no-untyped-def]
    return signup.default_limiter()


async def start(
    settings: Settings, limiter, captured_mail, address: str = ADDRESS
) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    started = await signup.start_signup(settings, limiter, address)
    return started.token, code_from(captured_mail[-1])


async def test_full_signup_keeps_only_a_digest(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    assert captured_mail[-1][0] == "student.one@campus.test"
    await signup.confirm_signup_code(settings, limiter, token, code)
    account = await signup.complete_signup(
        settings, LocalUrls(settings.base_url), token, "quiet_otter_42", "a good password"
    )
    assert account.username == "quiet_otter_42"
    assert account.email_digest and len(account.email_digest) == 64
    assert await EmailVerification.all().count() == 0
    assert await accounts.authenticate("quiet_otter_42", "a good password") is not None
    assert await accounts.authenticate("quiet_otter_42", "wrong password") is None


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("someone@elsewhere.example", "Only campus addresses"),
        ("not an address", "not a valid mail address"),
        ("x@campus.test.evil.example", "Only campus addresses"),
    ],
)
async def test_bad_addresses_are_refused_and_nothing_is_stored(
    settings: Settings, db: str, limiter, captured_mail, address: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match=message):
        await signup.start_signup(settings, limiter, address)
    assert captured_mail == []
    assert await EmailVerification.all().count() == 0


async def test_wildcard_campus_domain_accepts_subdomains(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    await signup.start_signup(settings, limiter, "x@cs.uni.test")
    assert len(captured_mail) == 1


async def test_signup_closed_without_campus_domains(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        await signup.start_signup(settings.with_overrides(campus_domains=()), limiter, ADDRESS)


async def test_wrong_code_counts_down_and_sixth_attempt_is_refused(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRejected, match=f"{left} attempt"):
            await signup.confirm_signup_code(settings, limiter, token, wrong)
    with pytest.raises(CodeRejected, match="last attempt"):
        await signup.confirm_signup_code(settings, limiter, token, wrong)
    with pytest.raises(RateLimited, match="Too many wrong codes"):
        await signup.confirm_signup_code(settings, limiter, token, code)  # even the right code
    with pytest.raises(CodeRejected):
        await signup.confirm_signup_code(settings, limiter, token, code)
    assert await Account.filter(domain=None, email_digest__isnull=False).count() == 0


async def test_expired_code_is_refused(settings: Settings, db: str, limiter, captured_mail) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    await EmailVerification.all().update(expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(CodeRejected, match="expired"):
        await signup.confirm_signup_code(settings, limiter, token, code)
    assert await EmailVerification.all().count() == 0


async def test_reused_code_is_refused(settings: Settings, db: str, limiter, captured_mail) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    await signup.confirm_signup_code(settings, limiter, token, code)
    with pytest.raises(CodeRejected, match="already been used"):
        await signup.confirm_signup_code(settings, limiter, token, code)
    await signup.complete_signup(
        settings, LocalUrls(settings.base_url), token, "first_one", "a good password"
    )
    with pytest.raises(CodeRejected):
        await signup.confirm_signup_code(settings, limiter, token, code)
    with pytest.raises(CodeRejected):
        await signup.complete_signup(
            settings, LocalUrls(settings.base_url), token, "second_one", "a good password"
        )
    assert await Account.filter(username="second_one").count() == 0


async def test_code_from_another_browser_token_does_not_work(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    _token, code = await start(settings, limiter, captured_mail)
    other = await signup.start_signup(settings, limiter, "other@campus.test")
    with pytest.raises(CodeRejected):
        await signup.confirm_signup_code(settings, limiter, other.token, code)


@pytest.mark.parametrize(
    ("handle", "password", "message"),
    [
        ("Bad-Handle!", "a good password", "may only contain"),
        ("x" * 31, "a good password", "too long"),
        ("", "a good password", "Choose a handle"),
        ("admin", "a good password", "reserved"),
        ("fine_handle", "short", "too short"),
    ],
)
async def test_bad_handles_and_weak_passwords(
    settings: Settings, db: str, limiter, captured_mail, handle: str, password: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    await signup.confirm_signup_code(settings, limiter, token, code)
    with pytest.raises(ValidationFailed, match=message):
        await signup.complete_signup(
            settings, LocalUrls(settings.base_url), token, handle, password
        )
    assert await Account.filter(domain=None, email_digest__isnull=False).count() == 0
    assert await EmailVerification.all().count() == 1  # the person can try again


async def test_taken_handle(settings: Settings, db: str, limiter, captured_mail) -> None:  # type: ignore[no-untyped-def]
    await accounts.create_local_account(
        LocalUrls(settings.base_url), handle="taken_name", password="a good password"
    )
    token, code = await start(settings, limiter, captured_mail)
    await signup.confirm_signup_code(settings, limiter, token, code)
    with pytest.raises(ValidationFailed, match="already taken"):
        await signup.complete_signup(
            settings, LocalUrls(settings.base_url), token, "TAKEN_name", "a good password"
        )
    assert await EmailVerification.all().count() == 1


async def test_one_account_per_address_without_revealing_it(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    await signup.confirm_signup_code(settings, limiter, token, code)
    await signup.complete_signup(
        settings, LocalUrls(settings.base_url), token, "only_one", "a good password"
    )
    again = await signup.start_signup(settings, limiter, ADDRESS)
    assert again.token  # the page looks the same
    assert "already exists" in captured_mail[-1][2]  # only the mailbox learns it
    assert not re.search(r"\b\d{6}\b", captured_mail[-1][2])
    assert await EmailVerification.all().count() == 0


async def test_mail_failure_stores_nothing_and_address_can_retry(
    settings: Settings, db: str, limiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fedianon.mail import MailError

    async def failing(settings, to, mail):  # type: ignore[no-untyped-def]
        raise MailError("the mail server did not accept the message (ConnectionRefusedError)")

    monkeypatch.setattr("fedianon.services.signup.send_mail", failing)
    with pytest.raises(Unavailable, match="could not send the mail"):
        await signup.start_signup(settings, limiter, ADDRESS)
    assert await EmailVerification.all().count() == 0
    sent: list[str] = []

    async def working(settings, to, mail):  # type: ignore[no-untyped-def]
        sent.append(mail.body)

    monkeypatch.setattr("fedianon.services.signup.send_mail", working)
    await signup.start_signup(settings, limiter, ADDRESS)
    assert len(sent) == 1 and await EmailVerification.all().count() == 1


async def test_signup_rate_limit_per_address(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        await signup.start_signup(settings, limiter, ADDRESS)
    with pytest.raises(RateLimited) as info:
        await signup.start_signup(settings, limiter, ADDRESS.upper())
    assert info.value.retry_after > 0
    await signup.start_signup(settings, limiter, "someone.else@campus.test")


async def test_password_reset_by_address(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    token, code = await start(settings, limiter, captured_mail)
    await signup.confirm_signup_code(settings, limiter, token, code)
    account = await signup.complete_signup(
        settings, LocalUrls(settings.base_url), token, "forgetful", "old password 1"
    )
    reset = await signup.start_reset(settings, limiter, ADDRESS)
    reset_code = code_from(captured_mail[-1])
    with pytest.raises(ValidationFailed, match="too short"):
        await signup.complete_reset(settings, limiter, reset.token, reset_code, "short")
    with pytest.raises(CodeRejected):
        await signup.complete_reset(
            settings,
            limiter,
            reset.token,
            "000000" if reset_code != "000000" else "111111",
            "new password 2",
        )
    changed = await signup.complete_reset(
        settings, limiter, reset.token, reset_code, "new password 2"
    )
    assert changed.id == account.id and changed.session_version == account.session_version + 1
    assert await accounts.authenticate("forgetful", "new password 2") is not None
    assert await accounts.authenticate("forgetful", "old password 1") is None
    with pytest.raises(CodeRejected):
        await signup.complete_reset(settings, limiter, reset.token, reset_code, "third password 3")


async def test_reset_for_unknown_address_sends_nothing_and_looks_the_same(
    settings: Settings, db: str, limiter, captured_mail
) -> None:  # type: ignore[no-untyped-def]
    started = await signup.start_reset(settings, limiter, "nobody@campus.test")
    assert started.token and captured_mail == []
    with pytest.raises(CodeRejected):
        await signup.complete_reset(settings, limiter, started.token, "123456", "new password 2")

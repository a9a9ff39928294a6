"""Campus sign-up and password reset by mailed code.

The address is used in memory to check its domain, to compute its digest and to send the
mail; only the digest, a keyed digest of the code and a digest of the browser's token are
stored. If the mail cannot be sent, nothing is stored at all.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import F

from fedianon.db import transaction
from fedianon.errors import Forbidden, RateLimited, Unavailable, ValidationFailed
from fedianon.mail import Mail, MailError, send_mail
from fedianon.models.accounts import Account, EmailVerification
from fedianon.privacy import (
    EmailAddress,
    InvalidEmail,
    domain_allowed,
    email_digest,
    keyed_digest,
    normalize_email,
    secret_digest,
)
from fedianon.ratelimit import Limit, RateLimiter
from fedianon.services import accounts, passwords
from fedianon.services.handles import normalize_handle, validate_handle
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from fedianon.urls import LocalUrls

CODE_LIFETIME = timedelta(minutes=15)
CONFIRMED_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = 5
SIGNUP = "signup"
RESET = "reset"


def default_limiter() -> RateLimiter:
    return RateLimiter(
        limits={
            "signup": Limit(5, 3600),
            "reset": Limit(5, 3600),
            "code": Limit(20, 600),
            "signin": Limit(10, 900),
        }
    )


class CodeRejected(ValidationFailed):
    """The code was wrong, expired, used or tried too often; the message says which."""


@dataclass(frozen=True)
class Started:
    token: str  # kept by the browser (in its session); only its digest is stored


def _parse_address(raw: str) -> EmailAddress:
    try:
        return normalize_email(raw)
    except InvalidEmail as exc:
        raise ValidationFailed(str(exc)) from None


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _code_digest(settings: Settings, token: str, code: str) -> str:
    return keyed_digest(settings.secret_key, "email-code", token, code)


async def start_signup(settings: Settings, limiter: RateLimiter, raw_address: str) -> Started:
    if not settings.sign_up_open:
        raise Forbidden("Sign-up is closed on this instance.")
    address = _parse_address(raw_address)
    if not domain_allowed(address, settings.campus_domains):
        allowed = ", ".join(settings.campus_domains)
        raise ValidationFailed(f"Only campus addresses can sign up here ({allowed}).")
    limiter.hit(
        "signup", address.value, "Too many sign-up attempts for this address; please wait an hour."
    )
    digest = email_digest(settings.email_pepper, address)
    token = secrets.token_urlsafe(32)
    taken = (
        await Account.filter(email_digest=digest, domain=None).count()
        >= settings.accounts_per_address
    )
    if taken:
        # Same page, same timing class: only the mail tells the holder of the address.
        await _send(
            settings,
            address,
            Mail(
                subject=f"Your sign-up at {settings.domain}",
                body=(
                    f"Someone (probably you) tried to sign up at {settings.base_url} with this address.\n\n"
                    "An account already exists for it. If you forgot your password, reset it at\n"
                    f"{settings.base_url}/auth/password/new\n\nIf this was not you, ignore this mail."
                ),
            ),
        )
        return Started(token=token)
    code = _new_code()
    await _send(
        settings,
        address,
        Mail(
            subject=f"Your confirmation code for {settings.domain}: {code}",
            body=(
                f"Your confirmation code is {code}\n\n"
                f"Enter it on the sign-up page of {settings.base_url} within 15 minutes.\n"
                "Your address is not stored: only a keyed fingerprint of it is kept, and your posts\n"
                "will appear under a pseudonym.\n\nIf you did not ask for this, ignore this mail."
            ),
        ),
    )
    async with transaction():
        await EmailVerification.filter(email_digest=digest, purpose=SIGNUP).delete()
        await EmailVerification.create(
            purpose=SIGNUP,
            token_digest=secret_digest(token),
            email_digest=digest,
            code_digest=_code_digest(settings, token, code),
            expires_at=utcnow() + CODE_LIFETIME,
        )
    return Started(token=token)


async def _send(settings: Settings, address: EmailAddress, mail: Mail) -> None:
    try:
        await send_mail(settings, address, mail)
    except MailError:
        raise Unavailable(
            "We could not send the mail right now: the mail server did not answer. Please try again in a few minutes."
        ) from None


async def _find(token: str, purpose: str) -> EmailVerification | None:
    if not token:
        return None
    return await EmailVerification.get_or_none(token_digest=secret_digest(token), purpose=purpose)


async def _check_code(
    settings: Settings,
    limiter: RateLimiter,
    verification: EmailVerification | None,
    token: str,
    code: str,
) -> EmailVerification:
    if verification is None:
        raise CodeRejected("That code is not valid any more. Please request a new one.")
    limiter.hit("code", verification.token_digest)
    if verification.confirmed_at is not None:
        raise CodeRejected("This code has already been used.")
    if verification.expires_at <= utcnow():
        await verification.delete()
        raise CodeRejected("This code has expired. Please request a new one.")
    # Count the attempt atomically before comparing, so parallel guesses cannot exceed the cap.
    claimed = await EmailVerification.filter(id=verification.id, attempts__lt=MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        await EmailVerification.filter(id=verification.id).delete()
        raise RateLimited("Too many wrong codes. Please request a new code.", retry_after=1)
    verification.attempts += 1
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6) or not hmac.compare_digest(
        verification.code_digest, _code_digest(settings, token, code)
    ):
        left = MAX_ATTEMPTS - verification.attempts
        if left <= 0:
            raise CodeRejected(
                "That code is not right, and that was the last attempt. Please request a new code."
            )
        raise CodeRejected(
            f"That code is not right. {left} attempt{'s' if left != 1 else ''} left."
        )
    return verification


async def confirm_signup_code(
    settings: Settings, limiter: RateLimiter, token: str, code: str
) -> None:
    verification = await _check_code(settings, limiter, await _find(token, SIGNUP), token, code)
    updated = await EmailVerification.filter(id=verification.id, confirmed_at__isnull=True).update(
        confirmed_at=utcnow(), expires_at=utcnow() + CONFIRMED_LIFETIME
    )
    if not updated:
        raise CodeRejected("This code has already been used.")


async def signup_confirmed(token: str) -> bool:
    verification = await _find(token, SIGNUP)
    return bool(verification and verification.confirmed_at and verification.expires_at > utcnow())


async def complete_signup(
    settings: Settings, urls: LocalUrls, token: str, handle: str, password: str
) -> Account:
    """Create the pseudonymous account; the verification is consumed in the same transaction."""
    handle = validate_handle(normalize_handle(handle))
    passwords.check_policy(password)
    verification = await _find(token, SIGNUP)
    if (
        verification is None
        or verification.confirmed_at is None
        or verification.expires_at <= utcnow()
    ):
        raise CodeRejected("Your confirmation has expired. Please start the sign-up again.")
    async with transaction():
        if (
            await Account.filter(email_digest=verification.email_digest, domain=None).count()
            >= settings.accounts_per_address
        ):
            await verification.delete()
            raise Forbidden("An account already exists for this address.")
        account = await accounts.create_local_account(
            urls, handle=handle, password=password, email_digest=verification.email_digest
        )
        deleted = await EmailVerification.filter(id=verification.id).delete()
        if not deleted:
            raise CodeRejected("This confirmation was already used.")
    return account


async def start_reset(settings: Settings, limiter: RateLimiter, raw_address: str) -> Started:
    address = _parse_address(raw_address)
    limiter.hit(
        "reset", address.value, "Too many reset attempts for this address; please wait an hour."
    )
    digest = email_digest(settings.email_pepper, address)
    token = secrets.token_urlsafe(32)
    account = await Account.filter(
        email_digest=digest, domain=None, deleted_at__isnull=True
    ).first()
    if account is None:
        return Started(token=token)  # same answer: no one learns whether the address has an account
    code = _new_code()
    await _send(
        settings,
        address,
        Mail(
            subject=f"Your password reset code for {settings.domain}: {code}",
            body=(
                f"Your password reset code is {code}\n\nEnter it at {settings.base_url}/auth/password/edit "
                "within 15 minutes, with your new password.\n\nIf you did not ask for this, ignore this mail."
            ),
        ),
    )
    async with transaction():
        await EmailVerification.filter(email_digest=digest, purpose=RESET).delete()
        await EmailVerification.create(
            purpose=RESET,
            token_digest=secret_digest(token),
            email_digest=digest,
            code_digest=_code_digest(settings, token, code),
            account=account,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    return Started(token=token)


async def complete_reset(
    settings: Settings, limiter: RateLimiter, token: str, code: str, password: str
) -> Account:
    passwords.check_policy(password)
    verification = await _check_code(settings, limiter, await _find(token, RESET), token, code)
    async with transaction():
        deleted = await EmailVerification.filter(id=verification.id).delete()
        if not deleted:
            raise CodeRejected("This code has already been used.")
        account = await Account.get(id=verification.account_id)  # type: ignore[attr-defined]
        await accounts.set_password(account, password)
    return account

"""Sending mail inline with aiosmtplib: a short timeout and one retry, nothing queued.

The plaintext address only passes through memory here; it is never logged (the console
transport prints a masked address).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from fedianon.privacy import EmailAddress
from fedianon.settings import Settings

log = logging.getLogger("fedianon.mail")
TIMEOUT_SECONDS = 10


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def build_message(settings: Settings, to: EmailAddress, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to.value
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.host)
    message.set_content(mail.body)
    return message


async def send_mail(settings: Settings, to: EmailAddress, mail: Mail) -> None:
    """Send one mail, retrying once. Raises MailError (without the address) on failure."""
    smtp = settings.smtp
    if smtp.mode == "console":
        log.warning("mail (console transport) to %s: %s\n%s", to.masked(), mail.subject, mail.body)
        return
    message = build_message(settings, to, mail)
    last_error: Exception | None = None
    for attempt in range(2):
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.mode == "smtps",
                start_tls=smtp.starttls,
                timeout=TIMEOUT_SECONDS,
            )
            return
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            last_error = exc
            if attempt == 0:
                await asyncio.sleep(0.5)
    reason = last_error.__class__.__name__ if last_error else "unknown"
    log.warning("mail to the SMTP server failed (%s)", reason)
    raise MailError(f"the mail server did not accept the message ({reason})")

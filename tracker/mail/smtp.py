"""SMTP delivery of recorded messages (standard library smtplib: one connection for a batch)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from ..models import MailMessage, utcnow


def configured(config) -> bool:
    return bool(config.get("MAIL_SERVER"))


def build(message: MailMessage, sender: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second (mail clients show the last they can)."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.to_address
    email["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].partition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"m{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"  # no out-of-office replies
    if message.unsubscribe_url:
        # RFC 8058 one-click: mail clients POST to the address without opening a page.
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


class Connection:
    """An SMTP session opened on first use and closed at the end of a batch."""

    def __init__(self, config) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        timeout = float(config["MAIL_TIMEOUT"])
        context = ssl.create_default_context()
        if config["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return smtp

    def send(self, message: MailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.send_message(build(message, self.config["MAIL_DEFAULT_SENDER"]))

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None

"""Outgoing e-mail over SMTP, with settings from the environment.

Without ``MAIL_SERVER`` nothing is sent: outside production the message is written to the
log instead, so a developer can follow a password-reset link without a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

logger = logging.getLogger(__name__)

#: Seconds to wait for the SMTP server before giving up.
SMTP_TIMEOUT = 15


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Return a plain-text message from the configured sender."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid()
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text e-mail; return True when the SMTP server accepted it.

    Failures are logged, never raised: the caller's page should not break because the
    mail server is down.
    """
    config = current_app.config
    message = build_message(to, subject, body)
    if not config["MAIL_SERVER"]:
        if config["ENV_NAME"] == "production":
            logger.error("MAIL_SERVER is not set; an e-mail to %s was not sent", to)
        else:
            logger.warning(
                "MAIL_SERVER is not set; this e-mail was not sent:\nTo: %s\nSubject: %s\n\n%s",
                to,
                subject,
                body,
            )
        return False
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send e-mail to %s through %s", to, config["MAIL_SERVER"])
        return False
    logger.info("E-mail %r sent to %s", subject, to)
    return True

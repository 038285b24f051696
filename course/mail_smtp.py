"""Handing one email to the SMTP server: the message as built, which refusals are for
good, and which failures are the server's rather than the message's."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from socket import getfqdn

from flask import current_app

# The queue's logger: the "sent" line follows its "queued" line under one name.
logger = logging.getLogger("course.mail")

#: Seconds to wait for the SMTP server before giving up on an attempt.
SMTP_TIMEOUT = 15

_ADDRESS = re.compile(r"[^\s<>@,;:'\"()\[\]]+@[^\s<>@,;:'\"()\[\]]+")


def redact(error: object) -> str:
    """An error's text with email addresses left out (SMTP answers often repeat them).

    The log names a message by its reference and subject, never by whom it was for: a log
    is kept and shared more widely than the database, and needs no personal data.
    """
    return _ADDRESS.sub("<address>", str(error))


class PermanentFailure(Exception):
    """The SMTP server refused the message for good (a 5xx answer): no retry."""


def build_message(to: str, subject: str, body: str, ref: str | None = None) -> EmailMessage:
    """Return a plain-text message from the configured sender (its Message-ID made of
    ``ref``, the queued message's random ``token``, when given)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The sender's own domain, not this host's name ("localhost" in many containers),
    # which spam filters take for a sign of a misconfigured sender.
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2]
    # The same Message-ID on every try: a retry after a reply lost on the way reads as
    # the same message to the receiver, and the mail server's log names the app's ref.
    # The ref is random, so no recipient learns from it how much mail the site sends.
    message["Message-ID"] = f"<{ref}@{domain or getfqdn()}>" if ref else make_msgid(
        domain=domain or None)
    message.set_content(body)
    return message


#: Failures of the server or of the settings, not of one message: the connection, the
#: greeting, STARTTLS, the login, the sender address. The rest of the pass then waits for
#: its retry without connecting, so a server that never answers holds a pass SMTP_TIMEOUT
#: seconds, not that much for each message due.
_SERVER_REFUSALS = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected,
                    smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError,
                    smtplib.SMTPNotSupportedError, smtplib.SMTPSenderRefused)


def is_server_failure(exc: OSError) -> bool:
    """Whether a failed try failed for the server or the settings, not for its message."""
    # Every SMTP error is an OSError too; of those only the ones above are the server's.
    return isinstance(exc, _SERVER_REFUSALS) or not isinstance(exc, smtplib.SMTPException)


def deliver(ref: str, to: str, subject: str, body: str,
            attachment: tuple[str, bytes] | None = None) -> None:
    """Hand one message to the SMTP server (or, without one, to the log), with the PDF
    ``attachment`` (its file name and bytes) if given.

    :raise PermanentFailure: when the server refuses it for good; other SMTP and network
        errors as they come, to be tried again.
    """
    config = current_app.config
    message = build_message(to, subject, body, ref)
    if attachment:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    if not config["MAIL_SERVER"]:  # development: the link is in the log, to follow by hand
        logger.warning(
            "MAIL_SERVER is not set; this email was not sent:\nTo: %s\nSubject: %s\n\n%s%s",
            to, subject, body, f"\n(attached: {attachment[0]})" if attachment else "",
        )
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        # A refusal before the recipients (the greeting, STARTTLS, the login, the sender
        # address) is about the settings, not this message: it refuses every message
        # alike, so it is retried like an outage, and a wrong MAIL_PASSWORD no longer
        # deletes the whole queue unsent.
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        _send_refusing_for_good(smtp, message)
    logger.info("Email %s (%r) sent", ref, subject)


def _send_refusing_for_good(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    """Send; a 5xx answer to the recipient or the message raises ``PermanentFailure``."""
    try:
        smtp.send_message(message)
    except smtplib.SMTPSenderRefused:
        raise  # MAIL_FROM refused: a setting, retried (see above)
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(str(exc.recipients)) from exc
        raise

"""Outgoing email: queued with the caller's transaction, sent off the request path.

``send_mail`` only adds the message to the ``outgoing_mail`` table, so a slow or
unreachable SMTP server never holds a worker, and a request that queues a message takes
as long as one that does not. After the commit a sender thread in the same process
delivers it, trying again with growing pauses while the server fails; ``flask mail
send`` delivers whatever is due (for a scheduled job, or after a restart).

Without ``MAIL_SERVER`` nothing is sent: outside production the message is written to the
log instead, so a developer can follow a password-reset link without a mail server.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from course.db import utcnow
from course.extensions import db
from course.models import Certificate, CertificateStatus, OutgoingMail, User
from course.provider import base_url

logger = logging.getLogger(__name__)

#: Seconds to wait for the SMTP server before giving up on an attempt.
SMTP_TIMEOUT = 15
#: Pauses before the second, third ... attempt; a message still refused after the last
#: one (about a day in all, as long as a sign-up link lasts by default) is dropped and
#: logged. An hour dropped the sign-up links and certificates of a night's outage.
RETRY_PAUSES = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=8),
)
#: The longest the sender thread sleeps while a retry is pending.
POLL_SECONDS = 30.0
BATCH = 20
_QUEUED = "course.mail.queued"


_ADDRESS = re.compile(r"[^\s<>@,;:'\"()\[\]]+@[^\s<>@,;:'\"()\[\]]+")


def redact(error: object) -> str:
    """An error's text with email addresses left out (SMTP answers often repeat them).

    The log names a message by its id and subject, never by whom it was for: a log is
    kept and shared more widely than the database, and needs no personal data.
    """
    return _ADDRESS.sub("<address>", str(error))


class PermanentFailure(Exception):
    """The SMTP server refused the message for good (a 5xx answer): no retry."""


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Return a plain-text message from the configured sender."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The sender's own domain, not this host's name ("localhost" in many containers),
    # which spam filters take for a sign of a misconfigured sender.
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, certificate_code: str | None = None
              ) -> OutgoingMail:
    """Queue a plain-text email in the current transaction; it goes out after the commit,
    with the PDF of the certificate ``certificate_code`` attached if it is still valid.

    The caller commits (a rolled-back request sends nothing). Nothing here waits for
    the mail server.
    """
    row = OutgoingMail(to_address=to, subject=subject[:200], body=body,
                       certificate_code=certificate_code)
    db.session.add(row)
    db.session.flush()
    # Logged in the request that asked for it: the "sent" line comes later, from the
    # sender, without a request id, and the mail's number ties the two together.
    logger.info("Email %s (%r) queued", row.id, row.subject)
    session = db.session()
    if not session.info.get(_QUEUED):
        session.info[_QUEUED] = True
        event.listen(session, "after_commit", _wake_after_commit, once=True)
    return row


def reaches_nobody(address: str) -> bool:
    """True for an address no mail can reach: the ``.invalid`` stand-in an LMS launch gives
    the account it opens (the top-level domain is reserved for exactly that)."""
    return address.lower().endswith(".invalid")


def tell_account_holder(
    user: User, subject: str, text: str, path: str = "/me", link_label: str = "",
    certificate_code: str | None = None,
) -> None:
    """Email a person about their own records, with a link to ``path`` (queued).

    Nothing is sent for a deleted account, nor for one made by an LMS launch: its
    ``.invalid`` address is one no mail reaches.
    """
    if user.deleted_at is not None or reaches_nobody(user.email):
        return
    link = base_url() + path
    send_mail(user.email, subject, f"Hello {user.full_name},\n\n{text}\n\n{link_label}{link}\n",
              certificate_code)


def _wake_after_commit(session: Session) -> None:
    session.info.pop(_QUEUED, None)
    sender_for(current_app._get_current_object()).wake()


# --- delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    to: str
    subject: str
    body: str
    attempts: int
    #: The attachment's file name and bytes, if any.
    attachment: tuple[str, bytes] | None = None


def deliver_due(batch: int = BATCH) -> float | None:
    """Deliver the queued messages that are due; return seconds until the next one is.

    Returns None when the outbox is empty. Each message is claimed in its own short
    transaction first, so senders in other processes never deliver it twice, and no
    transaction stays open while the SMTP server answers.
    """
    if not mail_can_leave(current_app.config):
        return None  # kept queued: sent once MAIL_SERVER is set, never dropped unseen
    while True:
        now = utcnow()
        due = db.session.scalars(
            select(OutgoingMail.id)
            .where(OutgoingMail.next_attempt_at <= now, _unclaimed(now))
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(batch)
        ).all()
        db.session.commit()
        for mail_id in due:
            claimed = _claim(mail_id)
            if claimed is not None:
                _attempt(claimed)
        if len(due) < batch:
            break
    following = db.session.scalar(
        select(func.min(func.coalesce(OutgoingMail.claimed_until, OutgoingMail.next_attempt_at)))
    )
    db.session.commit()
    if following is None:
        return None
    return max(0.0, (following - utcnow()).total_seconds())


def mail_can_leave(config: Any) -> bool:
    """Whether queued mail is sent: through MAIL_SERVER, or outside production to the log."""
    return bool(config["MAIL_SERVER"]) or config["ENV_NAME"] != "production"


def _unclaimed(now):
    return or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now)


def _claim_lease() -> timedelta:
    # How long a claimed message is left to its sender before another may try it: a
    # sender killed mid-message leaves its claim behind, and one slower than the lease
    # may see its message sent twice.
    return timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])


def _claim(mail_id: int) -> _Claimed | None:
    now = utcnow()
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, _unclaimed(now))
        .values(claimed_until=now + _claim_lease(), attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    row = db.session.get(OutgoingMail, mail_id, populate_existing=True) if claimed else None
    attachment = row and row.certificate_code and _certificate_pdf(row.certificate_code)
    if row and row.certificate_code and not attachment:
        # The certificate it announces was revoked, replaced or reinstated as another
        # before this left, and each of those emails the holder its own news: sent late,
        # this one would hand a licensing board a code that no longer verifies.
        logger.info("Dropped email %s (%r): certificate %s is no longer valid",
                    row.id, row.subject, row.certificate_code)
        db.session.delete(row)
        row = None
    found = row and _Claimed(row.id, row.to_address, row.subject, row.body, row.attempts,
                             attachment or None)
    db.session.commit()
    return found or None


def _certificate_pdf(code: str) -> tuple[str, bytes] | None:
    """The stored PDF of a certificate still valid, as an attachment."""
    pdf = db.session.scalar(select(Certificate.pdf).where(
        Certificate.code == code, Certificate.status == CertificateStatus.VALID))
    return (f"certificate-{code}.pdf", pdf) if pdf else None


def _attempt(mail: _Claimed) -> None:
    config = current_app.config
    try:
        _deliver(mail)
    except PermanentFailure as exc:
        logger.error("The mail server refused email %s (%r) for good: %s",
                     mail.id, mail.subject, redact(exc))
        _forget(mail.id)
    except (OSError, smtplib.SMTPException) as exc:
        if mail.attempts > len(RETRY_PAUSES):
            logger.error("Gave up on email %s (%r) after %s attempts: %s",
                         mail.id, mail.subject, mail.attempts, redact(exc))
            _forget(mail.id)
            return
        pause = RETRY_PAUSES[mail.attempts - 1]
        db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail.id)
            .values(claimed_until=None, next_attempt_at=utcnow() + pause,
                    last_error=str(exc)[:500])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        # The port too: a wrong MAIL_PORT (465, say) looks like a server that is down.
        logger.error("Could not send email %s (%r) through %s:%s; trying again in %s: %s",
                     mail.id, mail.subject, config["MAIL_SERVER"], config["MAIL_PORT"], pause,
                     redact(exc))
    else:
        _forget(mail.id)


def _forget(mail_id: int) -> None:
    # Sent messages are not kept: a reset link's text has no business in the database.
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id == mail_id))
    db.session.commit()


def _deliver(mail: _Claimed) -> None:
    """Hand one message to the SMTP server (or, without one, to the log)."""
    config = current_app.config
    message = build_message(mail.to, mail.subject, mail.body)
    if mail.attachment:
        name, data = mail.attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    if not config["MAIL_SERVER"]:  # development: the link is in the log, to follow by hand
        logger.warning(
            "MAIL_SERVER is not set; this email was not sent:\nTo: %s\nSubject: %s\n\n%s%s",
            mail.to, mail.subject, mail.body,
            f"\n(attached: {mail.attachment[0]})" if mail.attachment else "",
        )
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(str(exc.recipients)) from exc
        raise
    logger.info("Email %s (%r) sent", mail.id, mail.subject)


# --- the sender thread -----------------------------------------------------------------


class MailSender:
    """One thread per process that drains the outbox while it holds messages.

    It starts when a message is queued (or on the process's first request if messages
    wait), sleeps while a retry is pending, and ends once the outbox is empty.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._reset()

    def _reset(self) -> None:
        # A forked worker inherits the parent's objects but not its thread.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def wake(self) -> None:
        """Have the thread look at the outbox now, starting it if need be."""
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            if self._stopping:
                return
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="coursemail-sender", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish its current message and end; wait for it."""
        with self._lock:
            self._stopping = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.clear()
            pause = self._deliver()
            with self._lock:
                if self._stopping or (pause is None and not self._wake.is_set()):
                    self._thread = None
                    return
            self._wake.wait(POLL_SECONDS if pause is None else min(pause, POLL_SECONDS))

    def _deliver(self) -> float | None:
        with self.app.app_context():
            try:
                return deliver_due()
            except Exception:
                # A database that is busy or restarting must not leave messages behind
                # until the next one is queued: try again after the usual pause.
                logger.exception("The mail sender met an error; it tries again in %d s",
                                 POLL_SECONDS)
                return POLL_SECONDS
            finally:
                db.session.remove()


def sender_for(app: Flask) -> MailSender:
    """Return the app's mail sender, made on first use."""
    sender = app.extensions.get("course_mail_sender")
    if sender is None:
        sender = app.extensions.setdefault("course_mail_sender", MailSender(app))
    return sender


def init_app(app: Flask) -> None:
    """Start the sender on a process's first request when messages are waiting."""
    checked: set[int] = set()
    if not mail_can_leave(app.config):
        app.logger.warning(
            "MAIL_SERVER is not set: sign-up links, password resets and notices wait in "
            "the queue, unsent, until it is. Learners cannot finish signing up meanwhile."
        )

    @app.before_request
    def _resume_waiting_mail() -> None:
        if os.getpid() in checked:
            return
        checked.add(os.getpid())
        # A worker that was killed may have left messages queued.
        try:
            waiting = db.session.scalar(select(OutgoingMail.id).limit(1)) is not None
        except SQLAlchemyError:
            # No outbox yet (a database not migrated): the request itself may not need it.
            db.session.rollback()
            return
        if waiting:
            sender_for(app).wake()

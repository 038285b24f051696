"""Outgoing email: queued with the caller's transaction, sent off the request path.

``send_mail`` only adds the message to the ``outgoing_mail`` table, so a slow or
unreachable SMTP server never holds a worker, and a request that queues a message takes
as long as one that does not. After the commit a sender thread in the same process
delivers it, trying again with growing pauses while the server fails; ``flask mail
send`` delivers whatever is due (for a scheduled job, or after a restart).
A message refused for good, or still failing after the last retry, is kept as failed (never
sent again by itself) for the operator to see, send again or drop (``flask mail``).

Without ``MAIL_SERVER`` nothing is sent: outside production the message is written to the
log instead, so a developer can follow a password-reset link without a mail server.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from course.db import reads_outside_writes, utcnow, write_transaction
from course.extensions import db
from course.mail_sender import sender_for
from course.mail_smtp import PermanentFailure, deliver, is_server_failure, redact
from course.models import Certificate, CertificateStatus, OutgoingMail, User
from course.provider import base_url

logger = logging.getLogger(__name__)

#: Pauses before the second, third ... attempt; a message still refused after the last
#: one (about a day in all, as long as a sign-up link lasts by default) is kept as failed
#: and logged. An hour gave up on the sign-up links and certificates of a night's outage.
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
BATCH = 20
_QUEUED = "course.mail.queued"
#: A failed message's next try: none. Left in the past, it was due to the previous
#: release, which knows no failed mail and still sends between ``flask db upgrade`` and
#: the restart: it tried such a message again and deleted it at the next refusal.
NO_NEXT_ATTEMPT = datetime(9999, 12, 31, tzinfo=UTC)


def send_mail(to: str, subject: str, body: str, certificate_code: str | None = None
              ) -> OutgoingMail:
    """Queue a plain-text email in the current transaction; it goes out after the commit,
    with the PDF of the certificate ``certificate_code`` attached if it is still valid.

    The caller commits (a rolled-back request sends nothing). Nothing here waits for
    the mail server.
    """
    row = OutgoingMail(to_address=to, subject=subject[:200], body=body,
                       certificate_code=certificate_code, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    # Logged in the request that asked for it: the "sent" line comes later, from the
    # sender, without a request id, and the mail's reference ties the two together.
    logger.info("Email %s (%r) queued", row.token, row.subject)
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
    ref: str
    to: str
    subject: str
    body: str
    attempts: int
    #: The attachment's file name and bytes, if any.
    attachment: tuple[str, bytes] | None = None


@dataclass
class Tally:
    """What ``deliver_due`` did with the messages it tried, and the last failure's text."""

    sent: int = 0
    #: Failed, and waiting to be tried again.
    retrying: int = 0
    #: Refused for good, or failed a last time: kept as failed, not tried again.
    failed: int = 0
    last_error: str = ""


def deliver_due(batch: int = BATCH, tally: Tally | None = None) -> float | None:
    """Deliver the queued messages that are due; return seconds until the next one is.

    Returns None when the outbox is empty; ``tally``, if given, counts what was tried.
    Each message is claimed in its own short transaction first, so senders in other
    processes never deliver it twice, and no transaction stays open while the SMTP
    server answers.
    """
    if not mail_can_leave(current_app.config):
        return None  # kept queued: sent once MAIL_SERVER is set, never dropped unseen
    # Only the claims and outcomes write: the lookups take no SQLite write lock, so a
    # sender thread in a web worker never holds up a learner's save to read the outbox.
    with reads_outside_writes():
        return _deliver_due(batch, tally if tally is not None else Tally())


def _deliver_due(batch: int, tally: Tally) -> float | None:
    server_failed: str | None = None
    while True:
        now = utcnow()
        due = db.session.scalars(
            select(OutgoingMail.id)
            .where(OutgoingMail.next_attempt_at <= now, OutgoingMail.failed_at.is_(None),
                   _unclaimed(now))
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(batch)
        ).all()
        db.session.commit()
        for mail_id in due:
            claimed = _claim(mail_id)
            if claimed is not None:
                server_failed = _attempt(claimed, tally, server_failed)
        if len(due) < batch:
            break
    following = db.session.scalar(
        select(func.min(func.coalesce(OutgoingMail.claimed_until, OutgoingMail.next_attempt_at)))
        .where(OutgoingMail.failed_at.is_(None))
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
    with write_transaction():
        return _claim_now(mail_id)


def _claim_now(mail_id: int) -> _Claimed | None:
    now = utcnow()
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.failed_at.is_(None), _unclaimed(now))
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
                    row.token, row.subject, row.certificate_code)
        db.session.delete(row)
        row = None
    found = row and _Claimed(row.id, row.token, row.to_address,
                             row.subject, row.body, row.attempts, attachment or None)
    return found or None


def _certificate_pdf(code: str) -> tuple[str, bytes] | None:
    """The stored PDF of a certificate still valid, as an attachment."""
    pdf = db.session.scalar(select(Certificate.pdf).where(
        Certificate.code == code, Certificate.status == CertificateStatus.VALID))
    return (f"certificate-{code}.pdf", pdf) if pdf else None


def _attempt(mail: _Claimed, tally: Tally, server_failed: str | None = None) -> str | None:
    """Try one message (or, when ``server_failed`` says the server already failed this
    pass, only count the try); return the server's failure, if it failed."""
    if server_failed is not None:
        _retry_later(mail, tally, server_failed, "not tried: the server failed the pass")
        return server_failed
    try:
        deliver(mail.ref, mail.to, mail.subject, mail.body, mail.attachment)
    except PermanentFailure as exc:
        logger.error("The mail server refused email %s (%r) for good: %s; kept as failed",
                     mail.ref, mail.subject, redact(exc))
        tally.failed, tally.last_error = tally.failed + 1, str(exc)
        _fail(mail.id, str(exc))
    except (OSError, smtplib.SMTPException) as exc:
        error = str(exc) or type(exc).__name__
        _retry_later(mail, tally, error)
        return error if is_server_failure(exc) else None
    else:
        tally.sent += 1
        _forget(mail.id)
    return None


def _retry_later(mail: _Claimed, tally: Tally, error: str, note: str = "") -> None:
    tally.last_error = error
    if mail.attempts > len(RETRY_PAUSES):
        logger.error("Gave up on email %s (%r) after %s attempts: %s; kept as failed",
                     mail.ref, mail.subject, mail.attempts, redact(error))
        tally.failed += 1
        _fail(mail.id, error)
        return
    tally.retrying += 1
    pause = RETRY_PAUSES[mail.attempts - 1]
    with write_transaction():
        db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail.id)
            .values(claimed_until=None, next_attempt_at=utcnow() + pause, last_error=error[:500])
            .execution_options(synchronize_session=False)
        )
    # The port too: a wrong MAIL_PORT (465, say) looks like a server that is down.
    config = current_app.config
    logger.error("Could not send email %s (%r) through %s:%s; trying again in %s: %s%s",
                 mail.ref, mail.subject, config["MAIL_SERVER"], config["MAIL_PORT"], pause,
                 redact(error), f" ({note})" if note else "")


def _fail(mail_id: int, error: str) -> None:
    # Kept, not deleted: a learner who asks where their reset link or certificate went
    # gets an answer, and the operator can send it again once the cause is mended.
    with write_transaction():
        db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id)
            .values(claimed_until=None, failed_at=utcnow(), last_error=error[:500],
                    next_attempt_at=NO_NEXT_ATTEMPT)
            .execution_options(synchronize_session=False)
        )


def _forget(mail_id: int) -> None:
    # Sent messages are not kept: a reset link's text has no business in the database.
    with write_transaction():
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.id == mail_id))


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
            waiting = db.session.scalar(select(OutgoingMail.id).where(
                OutgoingMail.failed_at.is_(None)).limit(1)) is not None
        except SQLAlchemyError:
            # No outbox yet (a database not migrated): the request itself may not need it.
            db.session.rollback()
            return
        if waiting:
            sender_for(app).wake()

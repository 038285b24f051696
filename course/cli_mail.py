"""``flask mail``: deliver queued email, and tell monitoring when it is stuck."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from course.db import utcnow
from course.extensions import db
from course.mail import Tally, deliver_due, mail_can_leave, mail_ref, redact
from course.models import OutgoingMail
from course.templating import counted

mail_cli = AppGroup("mail", help="Deliver queued email and see what waits.")

#: Minutes a message may wait before ``mail status --check`` calls it stuck: longer than
#: the first four retries (about 22 minutes), so a short outage alerts no one.
STUCK_AFTER_MINUTES = 30
#: Stuck messages listed by name; the rest are counted.
LISTED = 20


def _one_line(text: str) -> str:
    # An SMTP answer may span lines; a monitoring check shows the first one only.
    return " ".join(redact(text).split())


@mail_cli.command("send")
@click.option("--now", "retry_now", is_flag=True,
              help="Also send what waits for a retry: for when the mail server is back.")
def send_mail_command(retry_now: bool) -> None:
    """Deliver the queued email that is due now; say how many messages still wait.

    Exits with status 1, saying why on one line, when a message it tried was not sent.
    """
    if retry_now:
        # A failed message waits out its back-off (up to 8 hours) even once the operator
        # has mended the mail server.
        db.session.execute(update(OutgoingMail).where(OutgoingMail.next_attempt_at > utcnow())
                           .values(next_attempt_at=utcnow()))
        db.session.commit()
    tally = Tally()
    deliver_due(tally=tally)
    waiting = db.session.scalar(select(func.count()).select_from(OutgoingMail)) or 0
    failed_before = db.session.scalar(
        select(func.count()).select_from(OutgoingMail).where(OutgoingMail.last_error.is_not(None))
    )
    db.session.commit()
    verb = "waits" if waiting == 1 else "wait"
    if not mail_can_leave(current_app.config):
        raise click.ClickException(
            f"MAIL_SERVER is not set: nothing was sent; {counted(waiting, 'message')} {verb}"
        )
    if tally.retrying or tally.dropped:
        # A timer or cron job learns that mail is broken only from the exit status. Only
        # this run's tries name the server as set now: an error from before MAIL_PORT was
        # mended would send the operator back to mend it again.
        config = current_app.config
        dropped = (f"{counted(tally.dropped, 'message')} refused for good and deleted "
                   "unsent; ") if tally.dropped else ""
        raise click.ClickException(
            f"not all email could be sent: {tally.sent} of "
            f"{tally.sent + tally.retrying + tally.dropped} tried went out; {dropped}"
            f"{counted(waiting, 'message')} {verb} for a retry. The last try through "
            f"{config['MAIL_SERVER']}:{config['MAIL_PORT']} failed: "
            f"{_one_line(tally.last_error)}"
        )
    later = (" after an earlier failure (`flask mail send --now` tries "
             f"{'it' if waiting == 1 else 'them'} now)") if failed_before else ""
    click.echo(f"Queued email delivered; {counted(waiting, 'message')} {verb} for a "
               f"retry{later}.")


@dataclass(frozen=True)
class Waiting:
    """One queued message, as the status lists it (never whom it is for)."""

    ref: str
    subject: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def waiting_mail(older_than: timedelta | None = None) -> list[Waiting]:
    """The queued messages, oldest first (only those queued longer ago than ``older_than``)."""
    query = select(OutgoingMail).order_by(OutgoingMail.created_at, OutgoingMail.id)
    if older_than is not None:
        query = query.where(OutgoingMail.created_at < utcnow() - older_than)
    return [Waiting(mail_ref(row.id, row.created_at), row.subject, row.created_at,
                    row.attempts, row.next_attempt_at, row.last_error)
            for row in db.session.scalars(query)]


def _minutes(delta: timedelta) -> str:
    return counted(max(0, int(delta.total_seconds() // 60)), "minute")


@mail_cli.command("status")
@click.option("--check", is_flag=True,
              help="Exit with status 1 when a message is stuck (for monitoring); sends nothing.")
@click.option("--stuck-after", type=click.IntRange(min=1), default=STUCK_AFTER_MINUTES,
              show_default=True, metavar="MINUTES",
              help="A message queued this long ago and still unsent is stuck.")
def status_command(check: bool, stuck_after: int) -> None:
    """Count the queued email and list what is stuck: queued for longer than
    --stuck-after minutes, failing or never tried. Sends nothing."""
    waiting = waiting_mail()
    db.session.commit()
    now, limit = utcnow(), timedelta(minutes=stuck_after)
    if not waiting:
        click.echo("No email waits.")
        return
    failing = sum(1 for mail in waiting if mail.last_error)
    click.echo(f"{counted(len(waiting), 'message')} queued, {failing} failing; the oldest was "
               f"queued {_minutes(now - waiting[0].created_at)} ago.")
    stuck = [mail for mail in waiting if now - mail.created_at > limit]
    for mail in stuck[:LISTED]:
        if mail.last_error:
            tried = (f"{counted(mail.attempts, 'try', 'tries')}, the last failed: "
                     f"{_one_line(mail.last_error)}")
        elif mail.attempts:
            tried = "being sent, or its sender stopped mid-send"
        else:
            tried = "never tried: check that `flask mail send` runs and MAIL_SERVER is set"
        click.echo(f"STUCK: email {mail.ref} ({mail.subject!r}), queued "
                   f"{_minutes(now - mail.created_at)} ago, next try in "
                   f"{_minutes(mail.next_attempt_at - now)}; {tried}")
    if len(stuck) > LISTED:
        click.echo(f"STUCK: and {counted(len(stuck) - LISTED, 'more message')}")
    if check and stuck:
        raise SystemExit(1)

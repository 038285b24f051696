"""``flask mail``: deliver queued email, tell monitoring when it needs a person, and
send again or drop what the mail server refused for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, func, select, update

from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.mail import Tally, deliver_due, mail_can_leave
from course.mail_smtp import redact
from course.models import OutgoingMail
from course.templating import counted

mail_cli = AppGroup("mail", help="Deliver queued email and see what waits or failed.")

#: Minutes a message may wait before ``mail status --check`` and ``mail send`` call it
#: stuck: longer than the first four retries (about 22 minutes), so a short outage
#: alerts no one.
STUCK_AFTER_MINUTES = 30
#: Stuck or failed messages listed by name; the rest are counted.
LISTED = 20

_STUCK_AFTER = click.option(
    "--stuck-after", type=click.IntRange(min=1), default=STUCK_AFTER_MINUTES,
    show_default=True, metavar="MINUTES",
    help="A message queued this long ago and still unsent is stuck.")


def _one_line(text: str) -> str:
    # An SMTP answer may span lines; a monitoring check shows the first one only.
    return " ".join(redact(text).split())


@dataclass(frozen=True)
class Waiting:
    """One message, queued or failed, as ``mail status`` lists it (never whom it is for)."""

    ref: str
    subject: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    failed_at: datetime | None = None
    acknowledged_at: datetime | None = None


def _listed(query, to: str | None) -> list[Waiting]:
    if to:
        query = query.where(func.lower(OutgoingMail.to_address) == to.strip().lower())
    return [Waiting(row.token, row.subject, row.created_at, row.attempts, row.next_attempt_at,
                    row.last_error, row.failed_at, row.acknowledged_at)
            for row in db.session.scalars(query)]


def waiting_mail(older_than: timedelta | None = None, to: str | None = None) -> list[Waiting]:
    """The messages still to be sent, oldest first (only those queued longer ago than
    ``older_than``, or to the address ``to``, when given)."""
    query = (select(OutgoingMail).where(OutgoingMail.failed_at.is_(None))
             .order_by(OutgoingMail.created_at, OutgoingMail.id))
    if older_than is not None:
        query = query.where(OutgoingMail.created_at < utcnow() - older_than)
    return _listed(query, to)


def failed_mail(to: str | None = None) -> list[Waiting]:
    """The messages refused for good or given up on, newest failure first."""
    return _listed(select(OutgoingMail).where(OutgoingMail.failed_at.is_not(None))
                   .order_by(OutgoingMail.failed_at.desc(), OutgoingMail.id.desc()), to)


def _attention(stuck_after: int) -> str:
    """What needs a person now, on one line ("" when nothing does)."""
    stuck = len(waiting_mail(timedelta(minutes=stuck_after)))
    unseen = db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.failed_at.is_not(None), OutgoingMail.acknowledged_at.is_(None))) or 0
    said = []
    if stuck:
        said.append(f"{counted(stuck, 'message')} queued over "
                    f"{counted(stuck_after, 'minute')} ago still unsent")
    if unseen:
        said.append(f"{counted(unseen, 'message')} failed for good and not acknowledged")
    return "; ".join(said)


def prune_failed() -> int:
    """Delete the failed messages older than ``MAIL_FAILED_RETENTION_DAYS``; return how many."""
    days = current_app.config["MAIL_FAILED_RETENTION_DAYS"]
    removed = db.session.execute(delete(OutgoingMail).where(
        OutgoingMail.failed_at < utcnow() - timedelta(days=days))).rowcount
    db.session.commit()
    return removed


@mail_cli.command("send")
@click.option("--now", "retry_now", is_flag=True,
              help="Also send what waits for a retry: for when the mail server is back.")
@_STUCK_AFTER
def send_mail_command(retry_now: bool, stuck_after: int) -> None:
    """Deliver the queued email that is due now; say how many messages still wait.

    Exits with status 1, saying why on one line, only when email needs a person: a
    message stuck for --stuck-after minutes, or one refused for good and not yet
    acknowledged. A single failed try that waits for its retry is said, not failed.
    """
    if retry_now:
        # A failed message waits out its back-off (up to 8 hours) even once the operator
        # has mended the mail server.
        db.session.execute(update(OutgoingMail).where(
            OutgoingMail.next_attempt_at > utcnow(), OutgoingMail.failed_at.is_(None))
            .values(next_attempt_at=utcnow()))
        db.session.commit()
    tally = Tally()
    deliver_due(tally=tally)
    prune_failed()
    queued = waiting_mail()
    waiting = len(queued)
    failed_before = sum(1 for mail in queued if mail.last_error)
    attention = _attention(stuck_after)
    db.session.commit()
    verb = "waits" if waiting == 1 else "wait"
    if not mail_can_leave(current_app.config):
        raise click.ClickException(
            f"MAIL_SERVER is not set: nothing was sent; {counted(waiting, 'message')} {verb}"
        )
    said = ""
    if tally.retrying or tally.failed:
        # Only this run's tries name the server as set now: an error from before
        # MAIL_PORT was mended would send the operator back to mend it again.
        config = current_app.config
        failed = (f"{counted(tally.failed, 'message')} refused for good, kept as failed; "
                  if tally.failed else "")
        said = (f"not all email could be sent: {tally.sent} of "
                f"{tally.sent + tally.retrying + tally.failed} tried went out; {failed}"
                f"{counted(waiting, 'message')} {verb} for a retry. The last try through "
                f"{config['MAIL_SERVER']}:{config['MAIL_PORT']} failed: "
                f"{_one_line(tally.last_error)}")
    if attention:
        # The exit status a timer or cron job shows means "a person is needed", not "a
        # try failed": an outage of a few minutes, retried by itself, fails no unit.
        raise click.ClickException(f"{said + ' ' if said else ''}Needs attention: {attention} "
                                   "(`flask mail status` lists them).")
    if said:
        click.echo(f"{said[0].upper()}{said[1:]} Retried by itself; nothing needs you yet.",
                   err=True)
        return
    later = (" after an earlier failure (`flask mail send --now` tries "
             f"{'it' if waiting == 1 else 'them'} now)") if failed_before else ""
    click.echo(f"Queued email delivered; {counted(waiting, 'message')} {verb} for a "
               f"retry{later}.")


def _age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return counted(minutes, "minute")
    return counted(minutes // 60, "hour") if minutes < 48 * 60 else counted(
        minutes // 1440, "day")


@mail_cli.command("status")
@click.option("--check", is_flag=True,
              help="Exit with status 1 while email needs a person (for monitoring); sends "
                   "nothing.")
@_STUCK_AFTER
@click.option("--to", metavar="ADDRESS",
              help="Only the email to this address: for a learner who asks where theirs went.")
def status_command(check: bool, stuck_after: int, to: str | None) -> None:
    """Count the queued email and list what is stuck (queued for longer than --stuck-after
    minutes, failing or never tried) and what failed for good. Sends nothing."""
    waiting, failed = waiting_mail(to=to), failed_mail(to=to)
    db.session.commit()
    now, limit = utcnow(), timedelta(minutes=stuck_after)
    if not waiting and not failed:
        click.echo("No email to that address waits or failed." if to else "No email waits.")
        return
    stuck = [mail for mail in waiting if now - mail.created_at > limit]
    if waiting:
        failing = sum(1 for mail in waiting if mail.last_error)
        click.echo(f"{counted(len(waiting), 'message')} queued, {failing} failing; the oldest "
                   f"was queued {_age(now - waiting[0].created_at)} ago.")
    for mail in stuck[:LISTED]:
        if mail.last_error:
            tried = (f"{counted(mail.attempts, 'try', 'tries')}, the last failed: "
                     f"{_one_line(mail.last_error)}")
        elif mail.attempts:
            tried = "being sent, or its sender stopped mid-send"
        else:
            tried = "never tried: check that `flask mail send` runs and MAIL_SERVER is set"
        click.echo(f"STUCK: email {mail.ref} ({mail.subject!r}), queued "
                   f"{_age(now - mail.created_at)} ago, next try in "
                   f"{_age(mail.next_attempt_at - now)}; {tried}")
    if len(stuck) > LISTED:
        click.echo(f"STUCK: and {counted(len(stuck) - LISTED, 'more message')}")
    unseen = [mail for mail in failed if mail.acknowledged_at is None]
    if failed:
        click.echo(f"{counted(len(failed), 'message')} failed for good, {len(unseen)} not "
                   "acknowledged (`flask mail retry`, `drop` or `acknowledge` REF); each is "
                   f"kept {counted(current_app.config['MAIL_FAILED_RETENTION_DAYS'], 'day')}.")
    for mail in failed[:LISTED]:
        seen = ", acknowledged" if mail.acknowledged_at else ""
        click.echo(f"FAILED: email {mail.ref} ({mail.subject!r}), queued "
                   f"{_age(now - mail.created_at)} ago, failed {_age(now - mail.failed_at)} "
                   f"ago after {counted(mail.attempts, 'try', 'tries')}{seen}: "
                   f"{_one_line(mail.last_error or '')}")
    if len(failed) > LISTED:
        click.echo(f"FAILED: and {counted(len(failed) - LISTED, 'more message')}")
    if check and (stuck or unseen):
        raise SystemExit(1)


def _failed_rows(refs: tuple[str, ...], every: bool) -> list[OutgoingMail]:
    """The failed messages named by ``refs`` (or every one); a name that is not one fails."""
    if bool(refs) == every:
        raise click.UsageError("name the failed messages by REF (as `flask mail status` "
                               "lists them), or give --all")
    query = select(OutgoingMail).where(OutgoingMail.failed_at.is_not(None))
    if refs:
        query = query.where(OutgoingMail.token.in_(refs))
    rows = list(db.session.scalars(query.order_by(OutgoingMail.id)))
    unknown = sorted(set(refs) - {row.token for row in rows})
    if unknown:
        raise click.ClickException(
            f"no failed email {', '.join(unknown)}: `flask mail status` lists them")
    return rows


def _record(rows: list[OutgoingMail], action: str) -> None:
    # Whoever looks into a learner's missing email later sees who acted on it, and when.
    # The SMTP answer often repeats the recipient's address: filed under the message's
    # reference, not the account, no purge or deletion would ever find it there.
    for row in rows:
        record_event(None, action, "email", row.token,
                     {"subject": row.subject, "failed": row.last_error and redact(row.last_error)})


_REFS = click.argument("refs", nargs=-1, metavar="[REF]...")
_ALL = click.option("--all", "every", is_flag=True, help="Every failed message.")


@mail_cli.command("retry")
@_REFS
@_ALL
def retry_command(refs: tuple[str, ...], every: bool) -> None:
    """Send failed email again, with its retries, once the cause is mended; say what went.

    A reset or sign-up link in an old message may have lapsed: drop such a message and
    ask the learner to request a new one.
    """
    rows = _failed_rows(refs, every)
    _record(rows, "mail.retried")
    for row in rows:
        row.failed_at = row.acknowledged_at = row.claimed_until = row.last_error = None
        row.attempts, row.next_attempt_at = 0, utcnow()
    db.session.commit()
    tally = Tally()
    deliver_due(tally=tally)
    click.echo(f"{counted(len(rows), 'failed message')} queued again: {tally.sent} sent now"
               + (f", {tally.retrying} waiting for a retry" if tally.retrying else "")
               + (f", {tally.failed} refused again" if tally.failed else "") + ".")


@mail_cli.command("drop")
@_REFS
@_ALL
def drop_command(refs: tuple[str, ...], every: bool) -> None:
    """Delete failed email unsent, for good (the audit log keeps its reference and subject)."""
    rows = _failed_rows(refs, every)
    _record(rows, "mail.dropped")
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    click.echo(f"{counted(len(rows), 'failed message')} deleted unsent.")


@mail_cli.command("acknowledge")
@_REFS
@_ALL
def acknowledge_command(refs: tuple[str, ...], every: bool) -> None:
    """Mark failed email as seen: still listed, no longer failing `mail status --check`."""
    rows = _failed_rows(refs, every)
    _record([row for row in rows if row.acknowledged_at is None], "mail.acknowledged")
    for row in rows:
        row.acknowledged_at = row.acknowledged_at or utcnow()
    db.session.commit()
    click.echo(f"{counted(len(rows), 'failed message')} acknowledged; kept until "
               f"{current_app.config['MAIL_FAILED_RETENTION_DAYS']} days after failing.")

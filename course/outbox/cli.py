"""``flask outbox``: send queued LMS scores and LRS statements, and see what waits."""

from __future__ import annotations

import time
from datetime import UTC, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, literal_column, select, update

from course.audit import record_event
from course.db import utcnow, write_transaction
from course.extensions import db
from course.models import OutboxMessage
from course.outbox import worker

outbox_cli = AppGroup("outbox", help="Send what the LMS and the LRS should hear about.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending as messages come due.")
@click.option("--interval", default=10.0, show_default=True,
              help="Seconds between passes with --loop.")
@click.option("--channel", "channels", multiple=True, type=click.Choice(sorted(worker.SENDERS)),
              help="Only this channel (repeatable); all by default.")
def send_command(loop: bool, interval: float, channels: tuple[str, ...]) -> None:
    """Send every due message once (for a timer), or keep sending with --loop (a service)."""
    while True:
        report = worker.send_due(list(channels) or None)
        for channel in sorted(set(report.sent) | set(report.failed)):
            failed = report.failed.get(channel, 0)
            click.echo(f"{channel}: {report.sent.get(channel, 0)} sent, {failed} failed"
                       + (" (will retry)" if failed else ""))
        if not loop:
            held = _say_held(report)
            db.session.remove()
            if not (report.sent or report.failed or held):  # a pass run by hand says it ran
                click.echo("Nothing was due; `flask outbox status` shows what waits.")
            return
        db.session.remove()
        time.sleep(interval)


def _waiting(channel: str) -> str:
    """'3 messages' waiting on a channel, or '' when none waits."""
    count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.sent_at.is_(None))
    ) or 0
    return f"{count} {'message' if count == 1 else 'messages'}" if count else ""


def _say_held(report: worker.SendReport) -> bool:
    """Name each channel held back by a missing setting while messages wait on it."""
    said = False
    for channel, setting in sorted(report.held.items()):
        waiting = _waiting(channel)
        if waiting:
            click.echo(f"{channel}: none sent, {setting} is not set; {waiting} kept until it is.")
            said = True
    return said


@outbox_cli.command("status")
def status_command() -> None:
    """Count messages waiting, failing and sent, per channel."""
    # The same SQL text in SELECT and GROUP BY (no bound parameters), as PostgreSQL needs.
    waiting = OutboxMessage.sent_at.is_(None)
    failed = OutboxMessage.attempts > literal_column("0")
    rows = db.session.execute(
        select(OutboxMessage.channel, waiting, failed, func.count())
        .group_by(OutboxMessage.channel, waiting, failed)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for channel, waiting, failed, count in rows:
        state = ("failing" if failed else "waiting") if waiting else "sent"
        counts.setdefault(channel, {}).setdefault(state, 0)
        counts[channel][state] += count
    if not counts:
        click.echo("The outbox is empty.")
    for channel, states in sorted(counts.items()):
        click.echo(f"{channel}: " + ", ".join(
            f"{states.get(s, 0)} {s}" for s in ("waiting", "failing", "sent")))
        if states.get("failing"):
            # What an operator must fix is in the error, not in the count.
            message_id, error = db.session.execute(
                select(OutboxMessage.message_id, OutboxMessage.last_error)
                .where(OutboxMessage.channel == channel, OutboxMessage.sent_at.is_(None),
                       OutboxMessage.attempts > 0)
                .order_by(OutboxMessage.id.desc()).limit(1)).one()
            click.echo(f"  the newest failing one, {message_id}: {error}")
        setting = worker.waiting_for(channel)
        if setting is not None and (states.get("waiting") or states.get("failing")):
            click.echo(f"  none is sent until {setting} is set")


xapi_cli = AppGroup("xapi", help="xAPI statements for the learning record store.")


@xapi_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending as statements come due.")
@click.option("--interval", default=10.0, show_default=True,
              help="Seconds between passes with --loop.")
@click.pass_context
def xapi_send_command(ctx: click.Context, loop: bool, interval: float) -> None:
    """Send queued statements to the LRS (the same as ``outbox send --channel xapi``)."""
    ctx.invoke(send_command, loop=loop, interval=interval, channels=("xapi",))


@xapi_cli.command("resend")
@click.option("--since", "since", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day (UTC) whose statements go again.")
@click.option("--until", "until", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day (UTC), inclusive; today by default.")
def resend_command(since, until) -> None:
    """Queue again every statement made in a date range (e.g. after the LRS lost data).

    Statements keep their ids, so an LRS that still holds one keeps a single copy.
    """
    start = since.replace(tzinfo=UTC)
    end = (until.replace(tzinfo=UTC) if until else utcnow()) + timedelta(days=1)
    end = end.replace(hour=0, minute=0, second=0, microsecond=0)
    with write_transaction():
        count = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == "xapi", OutboxMessage.created_at >= start,
                   OutboxMessage.created_at < end)
            .values(sent_at=None, attempts=0, last_error=None, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        last_day = (end - timedelta(days=1)).date()
        record_event(None, "xapi.requeued", "outbox", "xapi",
                     {"since": start.date().isoformat(), "until": last_day.isoformat(),
                      "statements": count})  # fmt: skip
    noun = "statement" if count == 1 else "statements"
    click.echo(f"{count} {noun} queued again; `flask --app wsgi xapi send` sends them.")

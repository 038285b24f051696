"""``flask outbox``: send queued LMS scores and LRS statements, and see what waits."""

from __future__ import annotations

import time
from datetime import UTC, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import update

from course.audit import record_event
from course.db import utcnow, write_transaction
from course.extensions import db
from course.models import OutboxMessage
from course.outbox import status, worker
from course.templating import counted

outbox_cli = AppGroup("outbox", help="Send what the LMS and the LRS should hear about.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending as messages come due.")
@click.option("--interval", default=10.0, show_default=True,
              help="Seconds between passes with --loop.")
@click.option("--channel", "channels", multiple=True, type=click.Choice(sorted(worker.SENDERS)),
              help="Only this channel (repeatable); all by default.")
def send_command(loop: bool, interval: float, channels: tuple[str, ...]) -> None:
    """Send every due message once (for a timer), or keep sending with --loop (a service)."""
    if loop:
        # Run by hand, or read in the journal, a quiet loop looks hung.
        click.echo(f"Sending due messages ({', '.join(channels) or 'every channel'}) every "
                   f"{interval:g} s until stopped.")
    held_before: dict[str, str] = {}
    while True:
        report = worker.send_due(list(channels) or None)
        for channel in sorted(set(report.sent) | set(report.failed) | set(report.refused)):
            failed, refused = report.failed.get(channel, 0), report.refused.get(channel, 0)
            click.echo(f"{channel}: {report.sent.get(channel, 0)} sent, {failed} failed"
                       + (" (will retry)" if failed else "")
                       + (f", {refused} refused for good (not retried)" if refused else ""))
        held = _held_with_messages(report)
        if not loop:
            _say_held(held)
            db.session.remove()
            if not (report.sent or report.failed or report.refused or held):
                # A pass run by hand says it ran.
                click.echo("Nothing was due; `flask outbox status` shows what waits.")
            return
        # Said when it changes, not on every pass: a channel held back with nothing
        # waiting yet is said once messages queue for it.
        settings = {channel: setting for channel, (setting, _) in held.items()}
        if settings != held_before:
            _say_held(held)
            held_before = settings
        db.session.remove()
        time.sleep(interval)


def _held_with_messages(report: worker.SendReport) -> dict[str, tuple[str, int]]:
    """Each channel held back by a missing setting while messages wait on it: the setting
    and how many wait."""
    if not report.held:  # the usual pass: no need to count the outbox
        return {}
    unsent = {state.channel: state.unsent for state in status.channel_states()}
    return {channel: (setting, unsent[channel]) for channel, setting in sorted(report.held.items())
            if unsent.get(channel, 0)}


def _say_held(held: dict[str, tuple[str, int]]) -> None:
    for channel, (setting, count) in held.items():
        click.echo(f"{channel}: none sent, {setting} is not set; "
                   f"{counted(count, 'message')} kept until it is.")


@outbox_cli.command("status")
@click.option("--check", is_flag=True,
              help="Exit with status 1 when a message is overdue (for monitoring).")
def status_command(check: bool) -> None:
    """Count messages waiting, failing, sent and refused, per channel."""
    states = status.channel_states()
    if not states:
        click.echo("The outbox is empty.")
    for state in states:
        click.echo(f"{state.channel}: {state.waiting} waiting, {state.failing} failing, "
                   f"{state.sent} sent" + (f", {state.refused} refused" if state.refused else ""))
        if state.last_sent_at is not None:
            click.echo(f"  last sent {state.last_sent_at.replace(microsecond=0).isoformat()}")
        if state.overdue_minutes:
            click.echo(f"  OVERDUE: a message due {counted(state.overdue_minutes, 'minute')} "
                       "ago has not been tried; check that the outbox worker runs")
        if state.newest_error is not None:
            click.echo(f"  the newest failing one, {state.newest_failing_id}: "
                       f"{state.newest_error}")
        if state.waiting_for is not None:
            click.echo(f"  none is sent until {state.waiting_for} is set")
        if state.refused:
            _say_refused(state)
    if check and any(state.overdue_minutes for state in states):
        raise SystemExit(1)


def _say_refused(state: status.ChannelState) -> None:
    """List the refused messages by id with the receiver's reason, newest first."""
    click.echo("  refused for good, not tried again (`xapi resend` queues a day's statements"
               " again once the cause is fixed):")
    for message_id, reason in state.refused_messages:
        click.echo(f"    {message_id}: {reason}")
    if (more := state.refused - len(state.refused_messages)) > 0:
        click.echo(f"    and {more} more")


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
            .values(sent_at=None, attempts=0, refusals=0, last_error=None,
                    next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        last_day = (end - timedelta(days=1)).date()
        record_event(None, "xapi.requeued", "outbox", "xapi",
                     {"since": start.date().isoformat(), "until": last_day.isoformat(),
                      "statements": count})  # fmt: skip
    noun = "statement" if count == 1 else "statements"
    click.echo(f"{count} {noun} queued again; `flask --app wsgi xapi send` sends them.")

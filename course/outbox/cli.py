"""``flask outbox``: send queued LMS scores and LRS statements, and see what waits."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

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
            click.echo(f"{channel}: {report.sent.get(channel, 0)} sent, "
                       f"{report.failed.get(channel, 0)} failed (will retry)")
        db.session.remove()
        if not loop:
            return
        time.sleep(interval)


@outbox_cli.command("status")
def status_command() -> None:
    """Count messages waiting, failing and sent, per channel."""
    rows = db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.sent_at.is_(None),
               OutboxMessage.attempts > 0, func.count())
        .group_by(OutboxMessage.channel, OutboxMessage.sent_at.is_(None),
                  OutboxMessage.attempts > 0)
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

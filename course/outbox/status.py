"""What the outbox holds, per channel: for `outbox status` and the admin overview, so
whoever runs the site sees a refusing LMS or LRS without reading the server's log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal_column, select

from course.extensions import db
from course.models import OutboxMessage
from course.outbox import worker

#: What each channel carries, as the admin overview names it.
CHANNEL_NAMES = {
    "lti": "Scores and completions to LMSs (LTI)",
    "xapi": "Statements to the learning record store (xAPI)",
}


@dataclass(frozen=True)
class ChannelState:
    """One channel's messages: waiting (never tried), failing (tried), and sent."""

    channel: str
    waiting: int
    failing: int
    sent: int
    #: The newest failing message's id and the error it got, when one fails.
    newest_failing_id: str | None = None
    newest_error: str | None = None
    #: The setting the channel waits for before anything is sent, if any.
    waiting_for: str | None = None

    @property
    def name(self) -> str:
        """The channel as a person reads it."""
        return CHANNEL_NAMES.get(self.channel, self.channel)

    @property
    def unsent(self) -> int:
        """Messages not delivered yet, failing or not."""
        return self.waiting + self.failing


def channel_states() -> list[ChannelState]:
    """Every channel that holds a message, with its counts and newest failure; reads only."""
    # The same SQL text in SELECT and GROUP BY (no bound parameters), as PostgreSQL needs.
    waiting = OutboxMessage.sent_at.is_(None)
    failed = OutboxMessage.attempts > literal_column("0")
    rows = db.session.execute(
        select(OutboxMessage.channel, waiting, failed, func.count())
        .group_by(OutboxMessage.channel, waiting, failed)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for channel, is_waiting, has_failed, count in rows:
        state = ("failing" if has_failed else "waiting") if is_waiting else "sent"
        counts.setdefault(channel, {}).setdefault(state, 0)
        counts[channel][state] += count
    return [_state(channel, found) for channel, found in sorted(counts.items())]


def _state(channel: str, counts: dict[str, int]) -> ChannelState:
    newest = None
    if counts.get("failing"):
        # What an operator must fix is in the error, not in the count.
        newest = db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.last_error)
            .where(OutboxMessage.channel == channel, OutboxMessage.sent_at.is_(None),
                   OutboxMessage.attempts > 0)
            .order_by(OutboxMessage.id.desc()).limit(1)
        ).one()
    unsent = counts.get("waiting", 0) + counts.get("failing", 0)
    return ChannelState(
        channel=channel,
        waiting=counts.get("waiting", 0),
        failing=counts.get("failing", 0),
        sent=counts.get("sent", 0),
        newest_failing_id=newest[0] if newest else None,
        newest_error=newest[1] if newest else None,
        waiting_for=worker.waiting_for(channel) if unsent else None,
    )

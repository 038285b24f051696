"""What the outbox holds, per channel: for `outbox status` and the admin overview, so
whoever runs the site sees a refusing LMS or LRS without reading the server's log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, literal_column, select

from course.db import utcnow
from course.extensions import db
from course.models import LtiGradeTarget, OutboxMessage
from course.outbox import worker

#: Refused messages `outbox status` lists by id, newest first.
REFUSED_LISTED = 20
#: A message due this long ago and never taken: the worker, which passes every two
#: minutes (or every ten seconds as a service), has stopped or cannot keep up.
OVERDUE_AFTER = timedelta(minutes=10)
#: What each channel carries, as the admin overview names it.
CHANNEL_NAMES = {
    "lti": "Scores and completions to LMSs (LTI)",
    "xapi": "Statements to the learning record store (xAPI)",
}


@dataclass(frozen=True)
class ChannelState:
    """One channel's messages: waiting (never tried), failing (tried), sent, and refused."""

    channel: str
    waiting: int
    failing: int
    sent: int
    #: The newest failing message's id and the error it got, when one fails.
    newest_failing_id: str | None = None
    newest_error: str | None = None
    #: The setting the channel waits for before anything is sent, if any.
    waiting_for: str | None = None
    #: Messages the receiver refused for good (not tried again, and not in ``sent``), and
    #: the newest of them, up to REFUSED_LISTED, each as its id and the receiver's reason.
    refused: int = 0
    refused_messages: tuple[tuple[str, str], ...] = ()
    #: Whole minutes the longest-due unsent message has waited past its time, once over
    #: ``OVERDUE_AFTER`` and not held back by a missing setting (0: none): nothing has
    #: taken it since.
    overdue_minutes: int = 0
    #: The latest delivery of the channel still kept (None: none kept).
    last_sent_at: datetime | None = None

    @property
    def name(self) -> str:
        """The channel as a person reads it."""
        return CHANNEL_NAMES.get(self.channel, self.channel)

    @property
    def shown(self) -> bool:
        """Whether someone should look: messages not delivered yet, or refused."""
        return bool(self.unsent or self.refused)

    @property
    def unsent(self) -> int:
        """Messages not delivered yet, failing or not."""
        return self.waiting + self.failing


@dataclass(frozen=True)
class XapiSetup:
    """Whether statements are made at all, and the LRS's host they go to, if one is set."""

    enabled: bool
    host: str | None


def xapi_setup() -> XapiSetup:
    """Read the xAPI settings as the admin overview states them."""
    config = current_app.config
    # Off makes no statement and no message, so nothing else on the page would show it.
    endpoint = config.get("XAPI_ENDPOINT") or ""
    return XapiSetup(enabled=bool(config.get("XAPI_ENABLED")),
                     host=urlsplit(endpoint).hostname if endpoint else None)


def channel_states(now: datetime | None = None) -> list[ChannelState]:
    """Every channel that holds a message, with its counts and newest failure; reads only."""
    # Two statements, each read from the (channel, sent_at, ...) index: months of sent
    # statements are counted without reading their rows (a fifth of the time of one
    # grouping of the whole table at 300,000 rows on SQLite), and only unsent rows are read.
    counts: dict[str, dict[str, int]] = {}
    # A stopped worker shows only in times: the latest delivery and the longest-due
    # message, both read from the same index as the counts.
    times: dict[str, dict[str, datetime]] = {}
    sent = db.session.execute(
        select(OutboxMessage.channel, func.count(), func.max(OutboxMessage.sent_at))
        .where(OutboxMessage.sent_at.is_not(None)).group_by(OutboxMessage.channel)
    )
    for channel, count, latest in sent:
        counts.setdefault(channel, {})["sent"] = count
        times.setdefault(channel, {})["last_sent"] = latest
    # The same SQL text in SELECT and GROUP BY (no bound parameters), as PostgreSQL needs.
    failed = OutboxMessage.attempts > literal_column("0")
    unsent = db.session.execute(
        select(OutboxMessage.channel, failed, func.count(),
               func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.sent_at.is_(None)).group_by(OutboxMessage.channel, failed)
    )
    for channel, has_failed, count, due in unsent:
        counts.setdefault(channel, {})["failing" if has_failed else "waiting"] = count
        held = times.setdefault(channel, {})
        held["due"] = min(held.get("due", due), due)
    # Read from the refusals index: the few refused among the settled rows.
    refused = db.session.execute(
        select(OutboxMessage.channel, func.count())
        .where(OutboxMessage.refusals > 0, OutboxMessage.sent_at.is_not(None))
        .group_by(OutboxMessage.channel)
    )
    for channel, count in refused:
        counts.setdefault(channel, {})["refused"] = count
    now = now or utcnow()
    return [_state(channel, found, times.get(channel, {}), now)
            for channel, found in sorted(counts.items())]


def _state(channel: str, counts: dict[str, int], times: dict[str, datetime],
           now: datetime) -> ChannelState:
    newest = None
    if counts.get("failing"):
        # What an operator must fix is in the error, not in the count.
        newest = db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.last_error)
            .where(OutboxMessage.channel == channel, OutboxMessage.sent_at.is_(None),
                   OutboxMessage.attempts > 0)
            .order_by(OutboxMessage.id.desc()).limit(1)
        ).one()
    listed: list[tuple[str, str]] = []
    if refused := counts.get("refused", 0):
        listed = [(message_id, error or "") for message_id, error in db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.last_error)
            .where(OutboxMessage.channel == channel, OutboxMessage.refused)
            .order_by(OutboxMessage.id.desc()).limit(REFUSED_LISTED)
        )]
    waiting, failing = counts.get("waiting", 0), counts.get("failing", 0)
    setting = worker.waiting_for(channel) if waiting or failing else None
    due = times.get("due")
    return ChannelState(
        channel=channel,
        waiting=waiting,
        failing=failing,
        sent=counts.get("sent", 0) - refused,
        refused=refused,
        refused_messages=tuple(listed),
        newest_failing_id=newest[0] if newest else None,
        newest_error=newest[1] if newest else None,
        waiting_for=setting,
        # Held back by a missing setting, messages wait by design: the setting is the news.
        overdue_minutes=overdue_minutes(due, now) if setting is None and due else 0,
        last_sent_at=times.get("last_sent"),
    )


def overdue_minutes(due: datetime, now: datetime) -> int:
    """Whole minutes a message due at ``due`` has waited, once over ``OVERDUE_AFTER``, else 0."""
    return int((now - due).total_seconds() // 60) if now - due > OVERDUE_AFTER else 0


@dataclass(frozen=True)
class PlatformScores:
    """Scores for one LMS: not delivered yet (of which failing), and the latest sent."""

    unsent: int = 0
    failing: int = 0
    last_sent_at: datetime | None = None
    #: Whole minutes the longest-due score has waited past its time, once over
    #: ``OVERDUE_AFTER`` (0: none): no worker has taken it.
    overdue_minutes: int = 0


def scores_by_platform(platform_ids: list[int],
                       now: datetime | None = None) -> dict[int, PlatformScores]:
    """Each platform's scores, so an agency with two LMSs sees which one stopped taking them."""
    to_platform = (select(LtiGradeTarget.platform_id).select_from(OutboxMessage)
                   .join(LtiGradeTarget, OutboxMessage.grade_target_id == LtiGradeTarget.id)
                   .where(OutboxMessage.channel == "lti"))
    unsent: dict[int, dict[str, int]] = {}
    failed = OutboxMessage.attempts > literal_column("0")
    now = now or utcnow()
    for platform_id, has_failed, count, due in db.session.execute(
        to_platform.add_columns(failed, func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.sent_at.is_(None)).group_by(LtiGradeTarget.platform_id, failed)
    ):
        found = unsent.setdefault(platform_id, {"unsent": 0, "failing": 0, "overdue_minutes": 0})
        found["unsent"] += count
        found["failing"] += count if has_failed else 0
        # As the overview's channel line: a stopped worker fails nothing, it only waits.
        found["overdue_minutes"] = max(found["overdue_minutes"], overdue_minutes(due, now))
    states = {}
    for platform_id in platform_ids:
        # Newest first down the (channel, sent_at) index, stopping at the platform's first:
        # no reading of months of sent scores.
        latest = db.session.scalar(
            to_platform.with_only_columns(OutboxMessage.sent_at)
            .where(OutboxMessage.sent_at.is_not(None), LtiGradeTarget.platform_id == platform_id)
            .order_by(OutboxMessage.sent_at.desc()).limit(1)
        )
        states[platform_id] = PlatformScores(**unsent.get(platform_id, {}), last_sent_at=latest)
    return states

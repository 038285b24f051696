"""The outbox worker: send due messages, retry failures with back-off, never twice at once."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from course.db import reads_outside_writes, utcnow, write_transaction
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.lti import ags
from course.lti.addresses import guarded_session
from course.models import LtiGradeTarget, LtiLinkLineItem, OutboxMessage
from course.outbox import lrs

log = logging.getLogger(__name__)

#: A claimed message is left alone by other workers this long (its sender may be slow).
LEASE = timedelta(minutes=5)
#: Back-off after each failure: 30 s, 1 min, 2 min... up to an hour between tries.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
#: Refusals of a statement itself (``lrs.REFUSES_FOR_GOOD``) before it is no longer tried:
#: with the back-off they span some 7 minutes, so an LRS that refused good statements
#: for a moment (a deploy, a proxy in front of it) does not settle them.
REFUSALS_TO_SETTLE = 5


@dataclass
class SendReport:
    """What one pass of the worker did, per channel."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    #: Messages settled as refused by the receiver in this pass: not tried again.
    refused: dict[str, int] = field(default_factory=dict)
    #: Channels not sent at all, each with the setting it waits for.
    held: dict[str, str] = field(default_factory=dict)

    def add(self, channel: str, ok: bool, count: int = 1, *, refused: bool = False) -> None:
        """Count messages sent, failed or (``refused``) settled as refused on a channel."""
        bucket = self.refused if refused else self.sent if ok else self.failed
        bucket[channel] = bucket.get(channel, 0) + count


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try after ``attempts`` failures, with jitter."""
    seconds = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def claim(channel: str, limit: int, now: datetime) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of a channel, oldest first, under a lease; commits.

    Every function here that sends ends its transaction first: outside a request each
    SQLite transaction takes the write lock, which learners' saves would wait for while
    a slow platform or LRS answered.
    """
    with write_transaction():
        ids = list(db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.channel == channel, OutboxMessage.sent_at.is_(None),
                   OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(limit)
        ))
        if not ids:
            return []
        # Only rows still due are taken: another worker may have claimed some meanwhile.
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None),
                   OutboxMessage.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        db.session.expire_all()
        # Loaded before the commit: no transaction (on SQLite, no write lock) may stay
        # open while the other end answers.
        return list(db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.next_attempt_at == now + LEASE)
            .order_by(OutboxMessage.id)
        ))


def settle(messages: list[OutboxMessage], error: str | None, *, note: str | None = None,
           refused: bool = False, retry_after: timedelta | None = None) -> int:
    """Mark messages sent (``note``: why one was settled without sending), or schedule
    their next try: after ``retry_after`` when the other end said, at most the longest
    back-off. A failure the receiver ``refused`` for good settles a message once it was
    refused REFUSALS_TO_SETTLE times; return how many were so settled. Commits."""
    now, settled = utcnow(), 0
    with write_transaction():
        for message in messages:
            message = db.session.merge(message)
            if error is None:
                message.sent_at, message.last_error, message.refusals = now, note, 0
                continue
            message.attempts += 1
            message.last_error = error[:2000]
            message.refusals += 1 if refused else 0
            if refused and message.refusals >= REFUSALS_TO_SETTLE:
                # Never delivered: the LRS's reason stays for `outbox status`, and the
                # purge removes the row (the learner's name, answers) with delivered ones.
                message.sent_at = now
                message.last_error = (f"refused by the LRS {message.refusals} times, not "
                                      f"tried again: {error}")[:2000]
                settled += 1
            elif retry_after is not None:
                wait = min(retry_after, timedelta(seconds=MAX_RETRY_SECONDS))
                message.next_attempt_at = now + wait
            else:
                message.next_attempt_at = now + backoff(message.attempts)
    return settled


def _put_back(message: OutboxMessage, reason: str) -> None:
    """Try a message again after the first back-off, not counting this as a failure."""
    with write_transaction():
        message = db.session.merge(message)
        message.last_error = reason
        message.next_attempt_at = utcnow() + timedelta(seconds=FIRST_RETRY_SECONDS)


class AlreadyScored(Exception):
    """The learner's scores reach this line item through another launch's grade target."""


class LineItemBeingMade(ags.DeliveryError):
    """Another worker is finding or making the link's line item; try again shortly."""


def _link_key(target: LtiGradeTarget) -> list[Any]:
    return [LtiLinkLineItem.platform_id == target.platform_id,
            LtiLinkLineItem.resource_link_id == target.resource_link_id,
            LtiLinkLineItem.lineitems_url == target.lineitems_url]


def _link_line_item(target: LtiGradeTarget, caller: ags.Caller) -> str:
    """Return the link's line item in the target's container, found or made on the
    platform by one worker at a time (another worker's claim: LineItemBeingMade)."""
    token, now = uuid.uuid4().hex, utcnow()
    with write_transaction():
        insert_ignoring_duplicates(LtiLinkLineItem, {
            "platform_id": target.platform_id, "resource_link_id": target.resource_link_id,
            "lineitems_url": target.lineitems_url})
        claimed = db.session.execute(
            update(LtiLinkLineItem)
            .where(*_link_key(target), LtiLinkLineItem.lineitem_url.is_(None),
                   or_(LtiLinkLineItem.claimed_until.is_(None),
                       LtiLinkLineItem.claimed_until < now))
            .values(claim=token, claimed_until=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        known = db.session.scalar(select(LtiLinkLineItem.lineitem_url).where(*_link_key(target)))
    if known:
        return known
    if not claimed:
        raise LineItemBeingMade("another worker is finding or making the link's line item")
    try:
        url = ags.find_or_create_line_item(target, caller)
    except BaseException:
        _release(target, token, None)  # the next pass tries again
        raise
    return _release(target, token, url) or url


def _release(target: LtiGradeTarget, token: str, url: str | None) -> str | None:
    """End a claim, storing the line item found or made unless the link has one already;
    return the link's line item (None when nothing was found or made)."""
    with write_transaction():
        db.session.execute(
            update(LtiLinkLineItem)
            .where(*_link_key(target), LtiLinkLineItem.claim == token)
            .values(claim=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        if url is None:
            return None
        # The first line item stored is the link's: a worker whose claim lapsed (a very
        # slow platform) and the one that took it over both end up scoring into it.
        db.session.execute(
            update(LtiLinkLineItem)
            .where(*_link_key(target), LtiLinkLineItem.lineitem_url.is_(None))
            .values(lineitem_url=url)
            .execution_options(synchronize_session=False)
        )
        stored = db.session.scalar(select(LtiLinkLineItem.lineitem_url).where(*_link_key(target)))
    if stored != url:
        log.warning("Line item %s was made after this worker's claim lapsed; the link "
                    "scores into %s, and %s can be deleted on the platform", url, stored, url)
    return stored


def _line_item_of(target: LtiGradeTarget, caller: ags.Caller) -> None:
    """Give a target from a launch that named no line item its link's own; commits.

    Another learner's target from the same link and container may know it already: then
    the platform is not asked again. A relaunch that moved the target to another
    container meanwhile leaves it untouched, for the next pass to look there.
    """
    container = target.lineitems_url
    url = db.session.scalar(
        select(LtiGradeTarget.lineitem_url)
        .where(LtiGradeTarget.platform_id == target.platform_id,
               LtiGradeTarget.resource_link_id == target.resource_link_id,
               LtiGradeTarget.lineitems_url == container,
               LtiGradeTarget.lineitem_url.is_not(None))
        .limit(1)
    ) or _link_line_item(target, caller)
    try:
        with write_transaction():
            db.session.execute(
                update(LtiGradeTarget)
                .where(LtiGradeTarget.id == target.id, LtiGradeTarget.lineitem_url.is_(None),
                       LtiGradeTarget.lineitems_url == container)
                .values(lineitem_url=url).execution_options(synchronize_session=False)
            )
            db.session.refresh(target)
    except IntegrityError as exc:
        raise AlreadyScored(f"line item {url} already takes this learner's scores") from exc
    if target.lineitem_url is None:
        raise ags.DeliveryError("a new launch moved the link to another line items container")


def _forget_line_item(target: LtiGradeTarget) -> None:
    """Drop a line item the tool made that the platform no longer has, for every target
    of its link, so the next pass finds or makes the link's line item again; commits."""
    gone = target.lineitem_url
    with write_transaction():
        for model in (LtiGradeTarget, LtiLinkLineItem):
            db.session.execute(
                update(model)
                .where(model.platform_id == target.platform_id,
                       model.resource_link_id == target.resource_link_id,
                       model.lineitem_url == gone)
                .values(lineitem_url=None).execution_options(synchronize_session=False)
            )


def _grade_target(message: OutboxMessage) -> tuple[LtiGradeTarget | None, bool]:
    """Load a message's grade target as stored now, with what sending needs, and whether
    a newer score for it went out already; end the read."""
    if message.grade_target_id is None:
        return None, False
    target = db.session.get(
        LtiGradeTarget, message.grade_target_id, populate_existing=True,
        options=[joinedload(LtiGradeTarget.platform), joinedload(LtiGradeTarget.course)],
    )
    newer = db.session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.channel == "lti",
               OutboxMessage.grade_target_id == message.grade_target_id,
               OutboxMessage.id > message.id, OutboxMessage.sent_at.is_not(None))
        .limit(1)
    )
    db.session.commit()
    return target, newer is not None


def _send_lti(messages: list[OutboxMessage], http: requests.Session, report: SendReport) -> None:
    with guarded_session(http) as platform_http:
        _send_scores(messages, ags.Caller.with_current_key(platform_http), report)


def _send_scores(messages: list[OutboxMessage], caller: ags.Caller, report: SendReport) -> None:
    # Hosts that did not answer in this batch, with the error: each further score sent
    # there would wait out the time-out again, and a batch of them would outlast the
    # claim's lease, so that another worker took the same scores and sent them twice.
    silent: dict[str, str] = {}
    for message in messages:
        target, superseded = _grade_target(message)
        unanswered = [silent[host] for host in _hosts(target) if host in silent]
        if unanswered and not superseded:
            settle([message], unanswered[0])
            report.add("lti", False)
            continue
        if target is None:  # no grade target: nowhere to send it (none are made so)
            log.error("Score %s has no grade target; settled unsent", message.message_id)
            settle([message], None, note="not sent: no grade target")
            continue
        if superseded:
            # A platform keeps a learner's latest score, and some refuse an older one:
            # sending this after the newer one would undo it or fail for ever.
            log.info("Score %s not sent: a newer one went first", message.message_id)
            settle([message], None, note="not sent: a newer score for this target went first")
            continue
        try:
            if target.lineitem_url is None:
                _line_item_of(target, caller)
            ags.post_score(target, message.payload, caller)
        except AlreadyScored as exc:
            # The same score goes out through the learner's other target: nothing to retry.
            log.info("Score %s not sent twice: %s", message.message_id, exc)
            settle([message], None)
        except LineItemBeingMade as exc:
            # Not the platform's fault: neither a failure nor a reason to stop the pass.
            log.info("Score %s waits: %s", message.message_id, exc)
            _put_back(message, str(exc))
        except (ags.DeliveryError, requests.RequestException, ValueError, KeyError) as exc:
            if isinstance(exc, ags.LineItemGone) and target.resource_link_id is not None:
                _forget_line_item(target)  # one the tool made: find or make it again
            error = (ags.unreachable(target.platform, exc)
                     if isinstance(exc, requests.RequestException)
                     else str(exc) or exc.__class__.__name__)
            log.warning("Score %s not delivered: %s", message.message_id, error)
            if isinstance(exc, requests.RequestException):
                url = exc.request.url if exc.request is not None else None
                silent[urlsplit(url or target.platform.auth_token_url).netloc] = error
            settle([message], error)
            report.add("lti", False)
        else:
            settle([message], None)
            report.add("lti", True)


def _hosts(target: LtiGradeTarget | None) -> set[str]:
    """The hosts a score for this target goes through: the token URL's and the line item's."""
    if target is None:
        return set()
    urls = (target.platform.auth_token_url, target.lineitem_url or target.lineitems_url)
    return {urlsplit(url).netloc for url in urls if url}


def _send_xapi(messages: list[OutboxMessage], http: requests.Session,
               report: SendReport) -> None:
    outcomes = lrs.send(messages, current_app.config, http)
    stored = [outcome.message for outcome in outcomes if outcome.error is None]
    if stored:
        settle(stored, None)
        report.add("xapi", True, len(stored))
    for outcome in outcomes:
        if outcome.error is None:
            continue
        message = outcome.message
        log.warning("Statement %s not stored: %s", message.message_id, outcome.error)
        if settle([message], outcome.error, refused=outcome.refused,
                  retry_after=outcome.retry_after):
            log.error("Statement %s refused by the LRS for good; not tried again",
                      message.message_id)
            report.add("xapi", False, refused=True)
        else:
            report.add("xapi", False)


SENDERS: dict[str, Callable[[list[OutboxMessage], requests.Session, SendReport], None]] = {
    "lti": _send_lti,
    "xapi": _send_xapi,
}


def waiting_for(channel: str) -> str | None:
    """The setting a channel's messages wait for before any can be sent, or None."""
    # Statements wait in the outbox while no LRS is configured; they go once it is.
    if channel == "xapi" and not current_app.config.get("XAPI_ENDPOINT"):
        return "XAPI_ENDPOINT"
    return None


def send_due(channels: list[str] | None = None, batch: int = 50) -> SendReport:
    """Send every message that is due now, channel by channel; return what happened."""
    report = SendReport()
    with reads_outside_writes(), requests.Session() as http:
        http.headers["User-Agent"] = f"{current_app.config['SITE_NAME']} outbox"
        for channel in channels or list(SENDERS):
            setting = waiting_for(channel)
            if setting is not None:
                report.held[channel] = setting
                continue
            size = current_app.config.get("XAPI_BATCH", batch) if channel == "xapi" else batch
            while True:
                messages = claim(channel, size, utcnow())
                if not messages:
                    break
                SENDERS[channel](messages, http, report)
                if report.failed.get(channel):
                    break  # the other end is unwell: leave the rest for the next pass
    return report

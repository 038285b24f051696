"""What an operator's cron job and monitoring learn about email that does not go out."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from course import mail
from course.db import utcnow
from course.extensions import db
from course.models import OutgoingMail
from tests.smtp_sink import Inbox


def _queue(app: Flask, *subjects: str) -> None:
    with app.app_context():
        for subject in subjects:
            # Added directly, so no sender wakes: the commands under test do the work.
            db.session.add(OutgoingMail(to_address="ana@example.com", subject=subject,
                                        body="B"))
        db.session.commit()


def _rows(app: Flask) -> list[OutgoingMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        db.session.commit()
        return rows


def test_mail_send_fails_when_the_server_refuses_every_message_until_acknowledged(
    app, runner, inbox: Inbox
) -> None:
    # Each message refused for good needs a person: the run must not read as a success.
    inbox.refuse = ["554 5.7.1 Message rejected"] * 2
    _queue(app, "Confirm your account", "Your certificate is ready")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "delivered" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: not all email could be sent: 0 of 2 tried went out; "
                           "2 messages refused for good, kept as failed;"), line
    assert line.endswith("Needs attention: 2 messages failed for good and not acknowledged "
                         "(`flask mail status` lists them).")
    assert "554" in line and "ana@example.com" not in result.output
    # Until someone acknowledges them, every run says so (the timer's unit stays failed).
    again = runner.invoke(args=["mail", "send"])
    assert again.exit_code == 1 and "2 messages failed for good" in again.stderr


def test_a_server_that_refuses_the_sender_keeps_the_queue_and_fails_the_run(
    app, runner, inbox: Inbox
) -> None:
    # A refused MAIL FROM (or login) refuses every message alike: it is the settings, so
    # the messages wait for the fix instead of being deleted unsent.
    inbox.refuse_sender = "553 5.7.1 Sender address rejected: not owned by user"
    _queue(app, "Reset your password")
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0  # retried by itself: no person needed yet
    assert "1 message waits for a retry" in result.stderr and "553" in result.stderr
    [row] = _rows(app)
    assert row.attempts == 1 and "553" in row.last_error and row.failed_at is None
    with app.app_context():  # half an hour on, the setting still wrong
        db.session.execute(update(OutgoingMail).values(
            created_at=utcnow() - timedelta(minutes=31), next_attempt_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "553" in result.stderr
    inbox.refuse_sender = ""  # MAIL_FROM mended
    assert runner.invoke(args=["mail", "send", "--now"]).exit_code == 0
    assert [m["Subject"] for m in inbox.wait_for(1)] == ["Reset your password"]


def test_mail_status_check_fails_on_a_stuck_message_and_sends_nothing(
    app, runner, inbox: Inbox
) -> None:
    _queue(app, "Confirm your account", "Reset your password")
    assert runner.invoke(args=["mail", "status", "--check"]).exit_code == 0  # fresh: not stuck
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == 1).values(
            created_at=utcnow() - timedelta(minutes=45), attempts=4,
            last_error="(421, b'4.3.2 Service not available')"))
        db.session.commit()
    result = runner.invoke(args=["mail", "status", "--check"])
    assert result.exit_code == 1
    assert "2 messages queued, 1 failing; the oldest was queued 45 minutes ago." in result.output
    [stuck] = [line for line in result.output.splitlines() if line.startswith("STUCK")]
    assert re.match(r"STUCK: email [0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4} \('Confirm your account'\), "
                    r"queued 45 "
                    r"minutes ago, next try in 0 minutes; 4 tries, the last failed: \(421, ", stuck)
    assert "ana@example.com" not in result.output
    assert inbox.messages == [] and [r.attempts for r in _rows(app)] == [4, 0]
    # A longer threshold, as a quieter site may choose: nothing is stuck yet.
    assert runner.invoke(args=["mail", "status", "--check", "--stuck-after", "60"]).exit_code == 0


def test_mail_status_says_when_no_email_waits(runner) -> None:
    result = runner.invoke(args=["mail", "status", "--check"])
    assert (result.exit_code, result.output) == (0, "No email waits.\n")


def test_the_log_tells_apart_two_messages_that_got_the_same_id(
    app: Flask, inbox: Inbox, caplog
) -> None:
    # SQLite gives a sent (deleted) message's id to the next one: "email 1" in the log
    # named a different message each day.
    mail.sender_for(app).stop()  # this test delivers by hand
    ids = []
    with app.app_context(), caplog.at_level(logging.INFO, logger="course.mail"):
        for _ in range(2):
            ids.append(mail.send_mail("ana@example.com", "Hello", "B").id)
            db.session.commit()
            mail.deliver_due()
        if db.engine.dialect.name == "sqlite":
            assert ids == [1, 1]
    queued = re.findall(r"Email (\S+) \('Hello'\) queued", caplog.text)
    sent = re.findall(r"Email (\S+) \('Hello'\) sent", caplog.text)
    assert len(set(queued)) == 2 and sent == queued
    # The mail server's log names each message by its Message-ID: the same reference.
    assert [m["Message-ID"].split("@")[0] for m in inbox.wait_for(2)] == [f"<{r}" for r in sent]


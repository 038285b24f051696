"""Email the mail server refused for good stays visible until the operator deals with it."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import or_, select, update

from course import mail, mail_smtp
from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, OutgoingMail
from tests.smtp_sink import Inbox

TOKEN = re.compile(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}")


def _refused(app: Flask, inbox: Inbox, *subjects: str) -> list[str]:
    """Queue one message per subject for Ana, have the server refuse each for good, and
    return their references."""
    mail.sender_for(app).stop()  # the commands under test do the work
    inbox.refuse = ["550 5.1.1 No such mailbox"] * len(subjects)
    with app.app_context():
        for subject in subjects:
            db.session.add(OutgoingMail(to_address="Ana@example.com", subject=subject, body="B"))
        db.session.commit()
        mail.deliver_due()
        refs = list(db.session.scalars(select(OutgoingMail.token).order_by(OutgoingMail.id)))
        db.session.commit()
    return refs


def _rows(app: Flask) -> list[OutgoingMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        db.session.commit()
        return rows


def _events(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = [(e.action, e.subject_id) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("mail.%")).order_by(AuditEvent.id))]
        db.session.commit()
        return rows


def test_status_lists_a_refused_message_and_check_fails_until_it_is_acknowledged(
    app: Flask, runner, inbox: Inbox
) -> None:
    [ref] = _refused(app, inbox, "Reset your password")
    result = runner.invoke(args=["mail", "status", "--check"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "1 message failed for good, 1 not acknowledged (`flask mail retry`, `drop` or "
        "`acknowledge` REF); each is kept 30 days.",
        f"FAILED: email {ref} ('Reset your password'), queued 0 minutes ago, failed 0 minutes "
        "ago after 1 try: 550 b'5.1.1 No such mailbox'",
    ]
    assert "ana@example.com" not in result.output.lower()
    # A learner asks where their email went: the operator looks up their address.
    assert ref in runner.invoke(args=["mail", "status", "--to", "ana@EXAMPLE.com"]).output
    other = runner.invoke(args=["mail", "status", "--to", "bo@example.com"])
    assert other.output == "No email to that address waits or failed.\n"
    done = runner.invoke(args=["mail", "acknowledge", ref])
    assert done.exit_code == 0, done.output
    seen = runner.invoke(args=["mail", "status", "--check"])
    assert seen.exit_code == 0
    assert "1 message failed for good, 0 not acknowledged" in seen.output
    assert f"FAILED: email {ref} ('Reset your password')" in seen.output
    assert "after 1 try, acknowledged: 550" in seen.output
    assert runner.invoke(args=["mail", "send"]).exit_code == 0  # the timer is quiet again
    assert _events(app) == [("mail.acknowledged", ref)]


def test_retry_sends_a_refused_message_again_with_the_same_message_id(
    app: Flask, runner, inbox: Inbox, caplog
) -> None:
    with caplog.at_level(logging.INFO, logger="course.mail"):
        first, second = _refused(app, inbox, "Your certificate is ready", "Reset your password")
        # The mailbox was created: the first goes again, the other stays failed.
        result = runner.invoke(args=["mail", "retry", first])
    assert result.exit_code == 0, result.output
    assert result.output == "1 failed message queued again: 1 sent now.\n"
    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Your certificate is ready"
    assert message["Message-ID"].startswith(f"<{first}@")
    assert re.search(rf"Email {first} \('Your certificate is ready'\) sent", caplog.text)
    assert [row.token for row in _rows(app)] == [second]
    assert _events(app) == [("mail.retried", first)]


def test_the_previous_release_still_serving_never_tries_a_failed_message_again(
    app: Flask, inbox: Inbox
) -> None:
    # Between 'flask db upgrade' and the restart the previous release still sends, and it
    # knows no failed mail: it took every message due and unclaimed (this is its query),
    # tried it again under another Message-ID and deleted it at the next refusal, so the
    # operator lost the record of what never went.
    _refused(app, inbox, "Reset your password")
    with app.app_context():
        later = utcnow() + timedelta(days=30)
        due = db.session.scalars(select(OutgoingMail.id).where(
            OutgoingMail.next_attempt_at <= later,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < later),
        )).all()
        db.session.commit()
    assert due == []


def test_drop_deletes_failed_messages_and_the_audit_log_keeps_what_they_were(
    app: Flask, runner, inbox: Inbox
) -> None:
    refs = _refused(app, inbox, "Reset your password", "Confirm your account")
    unknown = runner.invoke(args=["mail", "drop", "zzzz-zzzz-zzzz"])
    assert unknown.exit_code == 1 and "no failed email zzzz-zzzz-zzzz" in unknown.output
    assert runner.invoke(args=["mail", "drop"]).exit_code == 2  # neither REF nor --all
    result = runner.invoke(args=["mail", "drop", "--all"])
    assert result.output == "2 failed messages deleted unsent.\n"
    assert _rows(app) == [] and inbox.messages == []
    assert _events(app) == [("mail.dropped", refs[0]), ("mail.dropped", refs[1])]
    assert runner.invoke(args=["mail", "status", "--check"]).exit_code == 0


def test_a_queued_message_is_not_dropped_as_if_it_had_failed(app: Flask, runner) -> None:
    with app.app_context():
        row = OutgoingMail(to_address="ana@example.com", subject="Waiting", body="B")
        db.session.add(row)
        db.session.commit()
        ref = row.token
    mail.sender_for(app).stop()
    assert runner.invoke(args=["mail", "drop", ref]).exit_code == 1
    assert [row.token for row in _rows(app)] == [ref]


def test_failed_messages_go_after_the_retention_the_docs_state(
    app: Flask, runner, inbox: Inbox
) -> None:
    old, recent = _refused(app, inbox, "Old", "Recent")
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.token == old).values(
            failed_at=utcnow() - timedelta(days=31)))
        db.session.execute(update(OutgoingMail).where(OutgoingMail.token == recent).values(
            failed_at=utcnow() - timedelta(days=29)))
        db.session.commit()
    assert "30 days" in runner.invoke(args=["mail", "status"]).output
    runner.invoke(args=["mail", "send"])
    assert [row.token for row in _rows(app)] == [recent]


def test_a_message_id_is_random_not_the_row_id_and_queue_time(app: Flask, inbox: Inbox) -> None:
    # <12-20261207T091203.123456Z@...> told each recipient how many messages the site had
    # sent, and when.
    mail.sender_for(app).stop()
    inbox.refuse = ["451 4.3.0 Try again later"]
    with app.app_context():
        row = mail.send_mail("ana@example.com", "Hello", "B")
        db.session.commit()
        ref, created = row.token, row.created_at
        mail.deliver_due()  # refused for now
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        mail.deliver_due()
        other = mail.send_mail("ana@example.com", "Hello", "B").token
        db.session.commit()
    [message] = inbox.wait_for(1)
    assert TOKEN.fullmatch(ref) and other != ref
    local = message["Message-ID"].removeprefix("<").split("@")[0]
    assert local == ref  # the same on the retry as when it was queued
    assert f"{created:%Y%m%d}" not in message["Message-ID"] and not local.startswith("1-")


def _queue(app: Flask, *subjects: str) -> None:
    with app.app_context():
        for subject in subjects:
            db.session.add(OutgoingMail(to_address="ana@example.com", subject=subject, body="B"))
        db.session.commit()


def test_a_server_that_never_answers_holds_a_pass_once_not_once_a_message(
    make_app, monkeypatch, caplog
) -> None:
    # Through an outage every due message waited out the whole timeout in turn: twenty
    # of them held the timer's run (and each worker's sender) five minutes.
    monkeypatch.setattr(mail_smtp, "SMTP_TIMEOUT", 0.5)
    connections: list[socket.socket] = []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(0.1)

        def take() -> None:  # accepts, then never says a word
            while True:
                try:
                    connections.append(silent.accept()[0])
                except TimeoutError:
                    continue
                except OSError:
                    return

        threading.Thread(target=take, daemon=True).start()
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1])
        mail.sender_for(app).stop()
        _queue(app, "First", "Second", "Third")
        started = time.monotonic()
        with app.app_context(), caplog.at_level(logging.ERROR, logger="course.mail"):
            mail.deliver_due()
        took = time.monotonic() - started
    for conn in connections:
        conn.close()
    assert len(connections) == 1 and took < 1.4, (len(connections), took)
    rows = _rows(app)
    # Each still counts its try and waits for its own retry, as if it had been tried.
    assert [(r.attempts, r.last_error, r.failed_at) for r in rows] == [
        (1, "Connection unexpectedly closed: timed out", None)] * 3
    assert caplog.text.count("(not tried: the server failed the pass)") == 2


def test_one_message_refused_for_now_does_not_hold_up_the_next(app: Flask, inbox: Inbox) -> None:
    # A "try later" for one message is about that message: the server itself answers.
    mail.sender_for(app).stop()
    inbox.refuse = ["451 4.7.1 Greylisted, try again later"]
    _queue(app, "First", "Second")
    with app.app_context():
        mail.deliver_due()
    assert [m["Subject"] for m in inbox.wait_for(1)] == ["Second"]
    assert [(r.subject, r.attempts) for r in _rows(app)] == [("First", 1)]


def test_the_audit_log_keeps_no_address_an_smtp_refusal_repeats(
    app: Flask, runner, inbox: Inbox
) -> None:
    # The audit event is filed under the message's reference, not the account, so the
    # purge of a deleted account's events never finds an address left in its detail.
    mail.sender_for(app).stop()
    inbox.refuse = ["550 5.1.1 <Ana@example.com>: Recipient address rejected"]
    with app.app_context():
        db.session.add(OutgoingMail(to_address="Ana@example.com", subject="S", body="B"))
        db.session.commit()
        mail.deliver_due()
        db.session.commit()
    assert runner.invoke(args=["mail", "acknowledge", "--all"]).exit_code == 0
    assert runner.invoke(args=["mail", "drop", "--all"]).exit_code == 0
    with app.app_context():
        details = [e.detail for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("mail.%")))]
        db.session.commit()
    assert len(details) == 2
    assert all("<address>" in d["failed"] and "example.com" not in d["failed"].lower()
               for d in details)

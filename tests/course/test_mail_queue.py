"""Email goes out after the response, from a queue with retries, never inside a request."""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course import mail, mail_smtp
from course.db import utcnow, write_transaction
from course.extensions import db
from course.models import OutgoingMail
from course.users import create_user
from tests.smtp_sink import Inbox, smtp_server, wait_until

RESET = {"email": "ana@example.com"}
#: A message's random reference, as the log and `flask mail` name it.
TOKEN = r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}"


@pytest.fixture
def ana(app: Flask) -> None:
    with app.app_context():
        create_user(email="ana@example.com", password="correct horse battery", full_name="Ana")
        db.session.commit()


def queued(app: Flask) -> list[OutgoingMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutgoingMail)))
        db.session.commit()
        return rows


def test_a_slow_mail_server_never_holds_the_request(
    app: Flask, client: FlaskClient, inbox: Inbox, ana
) -> None:
    inbox.gate.clear()  # the server takes the connection, then hangs before accepting
    response = client.post("/auth/reset", data=RESET)
    assert response.status_code == 302  # answered while the mail server still hangs
    assert inbox.messages == []
    inbox.waiting.wait(15)
    [row] = queued(app)
    assert (row.to_address, row.attempts) == ("ana@example.com", 1)
    inbox.gate.set()
    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Reset your password for CE Course Engine"
    wait_until(lambda: queued(app) == [])  # delivered messages are not kept


def test_waiting_for_the_sender_ends_once_the_message_is_sent_and_gone(
    app: Flask, client: FlaskClient, inbox: Inbox, ana
) -> None:
    # Tests wait so before their next request: the thread writes as it sends.
    inbox.gate.clear()
    client.post("/auth/reset", data=RESET)
    assert not mail.sender_for(app).wait_until_idle(0.5)  # the server still hangs
    inbox.gate.set()
    assert mail.sender_for(app).wait_until_idle(15)
    assert len(inbox.messages) == 1 and queued(app) == []  # sent, and its row deleted


def test_a_server_that_says_try_later_gets_the_message_on_a_retry(
    app: Flask, client: FlaskClient, runner, inbox: Inbox, ana, caplog
) -> None:
    inbox.refuse = ["451 4.3.0 Try again later"]
    with caplog.at_level(logging.ERROR, logger="course.mail"):
        client.post("/auth/reset", data=RESET)
        wait_until(lambda: "trying again in 0:00:30" in caplog.text)
    # The log names the port as well as the server: a wrong MAIL_PORT is then plain.
    assert f"through 127.0.0.1:{app.config['MAIL_PORT']}; trying again" in caplog.text
    [row] = queued(app)
    assert row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert inbox.messages == []
    # Half a minute later (the clock moved on here), `flask mail send` delivers it. (The
    # app's own sender would too; it is stopped so that the command's work shows.)
    mail.sender_for(app).stop()
    with app.app_context():
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0
    assert "0 messages wait" in result.output
    assert len(inbox.wait_for(1)) == 1 and queued(app) == []


def test_a_message_the_server_refuses_for_good_is_kept_as_failed_and_logged(
    app: Flask, client: FlaskClient, inbox: Inbox, ana, caplog
) -> None:
    # It was deleted: nobody could tell afterwards that Ana's reset link never went.
    inbox.refuse = ["550 5.1.1 <ana@example.com>: No such mailbox"]  # answers repeat it
    with caplog.at_level(logging.ERROR, logger="course.mail"):
        client.post("/auth/reset", data=RESET)
        wait_until(lambda: "refused email" in caplog.text)
    wait_until(lambda: [row.failed_at is not None for row in queued(app)] == [True])
    [row] = queued(app)
    assert (row.attempts, row.acknowledged_at) == (1, None) and "550" in row.last_error
    assert "550" in caplog.text and inbox.messages == []
    assert "ana@example.com" not in caplog.text
    with app.app_context():  # never tried again by itself
        mail.sender_for(app).stop()
        assert mail.deliver_due() is None
    assert [row.attempts for row in queued(app)] == [1] and inbox.messages == []


def test_after_the_last_retry_the_message_is_kept_as_failed(
    app: Flask, inbox: Inbox, caplog
) -> None:
    inbox.refuse = ["421 4.3.2 Service not available"]
    with app.app_context():
        # Added directly, so no sender wakes: this test drives the delivery itself.
        attempts = len(mail.RETRY_PAUSES)
        db.session.add(OutgoingMail(to_address="ana@example.com", subject="Hello", body="B",
                                    attempts=attempts))
        db.session.commit()
        with caplog.at_level(logging.ERROR, logger="course.mail"):
            assert mail.deliver_due() is None
    assert re.search(rf"Gave up on email {TOKEN} \('Hello'\) after {attempts + 1} "
                     "attempts", caplog.text)
    assert "ana@example.com" not in caplog.text  # the log names no one
    [row] = queued(app)
    assert row.failed_at is not None and "421" in row.last_error


def test_a_message_an_hour_into_an_outage_is_tried_again_not_dropped(
    app: Flask, inbox: Inbox, caplog
) -> None:
    # A sign-up link lasts a day; the queue gave up after an hour, so a mail server down
    # for a night lost every sign-up link and certificate sent meanwhile.
    inbox.refuse = ["421 4.3.2 Service not available"]
    with app.app_context():
        db.session.add(OutgoingMail(to_address="ana@example.com", subject="Hello", body="B",
                                    attempts=5))  # the sixth try: about an hour in
        db.session.commit()
        with caplog.at_level(logging.ERROR, logger="course.mail"):
            mail.deliver_due()
        assert "trying again in 1:00:00" in caplog.text and "Gave up" not in caplog.text
        assert [row.attempts for row in db.session.scalars(select(OutgoingMail))] == [6]
    assert sum(mail.RETRY_PAUSES, timedelta()) >= timedelta(hours=23)


def test_a_rolled_back_request_sends_nothing(app: Flask, inbox: Inbox) -> None:
    with app.app_context(), pytest.raises(RuntimeError):
        with write_transaction():
            mail.send_mail("ana@example.com", "Never", "Body")
            raise RuntimeError("the page failed after queueing")
    assert queued(app) == []


def test_mail_left_by_a_killed_worker_goes_out_on_the_next_first_request(
    make_app
) -> None:
    handler = Inbox()
    with smtp_server(handler) as port:
        first = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with first.app_context():
            db.session.add(OutgoingMail(to_address="ana@example.com", subject="Left", body="B"))
            db.session.commit()  # committed, but the process died before its sender ran
        second = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        second.test_client().get("/")
        [message] = handler.wait_for(1)
    assert message["Subject"] == "Left"


def test_a_message_whose_sender_died_mid_send_goes_out_once_its_claim_lapses(
    make_app
) -> None:
    handler = Inbox()
    with smtp_server(handler) as port:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_CLAIM_SECONDS=2)
        with app.app_context():
            row = OutgoingMail(to_address="ana@example.com", subject="Claimed", body="B")
            db.session.add(row)
            db.session.commit()
            # A sender claims the message, then its process is killed before it sends.
            assert mail._claim(row.id) is not None
            # Another sender leaves it alone while the claim holds, and knows how long.
            wait = mail.deliver_due()
            assert handler.messages == []
            assert 1 < wait <= 2
            time.sleep(wait + 0.1)
            assert mail.deliver_due() is None
        [message] = handler.wait_for(1)
    assert message["Subject"] == "Claimed"


def test_production_without_a_mail_server_keeps_the_mail_queued_and_says_so(
    make_app, caplog
) -> None:
    # ENV_NAME as production sets it; the rest of the test settings stay.
    with caplog.at_level(logging.WARNING):
        app = make_app(MAIL_SERVER="", ENV_NAME="production", SECRET_KEY="k" * 40,
                       BASE_URL="https://ce.example.org")
    assert "MAIL_SERVER is not set: sign-up links, password resets" in caplog.text
    with app.app_context():
        mail.send_mail("ana@example.com", "Confirm your account", "Your link")
        db.session.commit()
        assert mail.deliver_due() is None
    [row] = queued(app)  # not dropped: it goes out once a server is set
    assert (row.subject, row.attempts) == ("Confirm your account", 0)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "MAIL_SERVER is not set: nothing was sent; 1 message waits" in result.output


def _one_message_for_a_dead_port(make_app) -> tuple[Flask, int]:
    """An app whose mail server is a port nothing listens on, with one message queued."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again here: nothing listens there
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        db.session.add(OutgoingMail(to_address="ana@example.com", subject="Hello", body="B"))
        db.session.commit()
    return app, port


def test_mail_send_says_when_the_mail_server_failed_and_fails_once_a_person_is_needed(
    make_app
) -> None:
    # An operator runs `flask mail send` to see whether mail goes out: a server that
    # cannot be reached must not be reported as "delivered".
    app, port = _one_message_for_a_dead_port(make_app)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "delivered" not in result.output
    [line] = result.stderr.splitlines()  # one line: what the journal shows
    assert "1 message waits for a retry" in line
    assert f"through 127.0.0.1:{port} failed: " in line
    assert "ana@example.com" not in result.output
    # One failed try, retried by itself, fails no timer: the unit failed every two
    # minutes through an outage of any length, and alerts meant nothing.
    assert result.exit_code == 0 and "nothing needs you yet" in line
    # Half an hour on, still unsent: now a person is needed, and the exit status says so.
    with app.app_context():
        db.session.execute(update(OutgoingMail).values(
            created_at=utcnow() - timedelta(minutes=31), next_attempt_at=utcnow()))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert f"through 127.0.0.1:{port} failed: " in line
    assert line.endswith("Needs attention: 1 message queued over 30 minutes ago still unsent "
                         "(`flask mail status` lists them).")


def test_mail_send_now_sends_what_waits_for_a_retry_once_the_server_is_back(
    make_app, inbox_for
) -> None:
    app, port = _one_message_for_a_dead_port(make_app)
    app.test_cli_runner().invoke(args=["mail", "send"])  # fails: waits for its retry
    inbox = inbox_for(app)  # the mail server mended
    waiting = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "1 message waits for a retry" in waiting.output and not inbox.messages
    sent = app.test_cli_runner().invoke(args=["mail", "send", "--now"])
    assert sent.exit_code == 0, sent.output
    assert "Queued email delivered; 0 messages wait" in sent.output
    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Hello"


def test_mail_send_blames_no_mended_server_for_an_earlier_failure(make_app, inbox_for) -> None:
    """A message failed before the fix waits out its retry: the server as set now did not
    fail it, and the operator is told how to send it at once."""
    app, port = _one_message_for_a_dead_port(make_app)
    app.test_cli_runner().invoke(args=["mail", "send"])  # fails: waits for its retry
    inbox_for(app)  # MAIL_PORT mended
    waiting = app.test_cli_runner().invoke(args=["mail", "send"]).output
    assert f"127.0.0.1:{app.config['MAIL_PORT']} failed" not in waiting
    assert ("1 message waits for a retry after an earlier failure (`flask mail send --now`"
            " tries it now).") in waiting


def test_a_message_id_names_the_senders_domain_not_this_hosts(app: Flask) -> None:
    app.config["MAIL_FROM"] = "Lakeshore CE <ce@lakeshore-ce.org>"
    with app.app_context():
        message = mail_smtp.build_message("ana@example.org", "Hello", "Body")
    assert message["Message-ID"].endswith("@lakeshore-ce.org>")

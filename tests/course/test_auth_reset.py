"""Password reset: the email really goes out over SMTP, and its link works once, in time."""

from __future__ import annotations

import logging
import re
import time
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from course.auth import resets
from course.extensions import db
from course.models import AuditEvent, OutgoingMail, User
from course.users import create_user
from tests.smtp_sink import Inbox, free_port, wait_until

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a fresh start today"
SENT_MESSAGE = "If an account exists for that address, we have sent it a link"


def make_user(app: Flask, email_address: str = "ana@example.com") -> int:
    with app.app_context():
        user = create_user(email=email_address, password=PASSWORD, full_name="Ana Ruiz")
        db.session.commit()
        return user.id


def sign_in(client: FlaskClient, password: str = PASSWORD):
    return client.post("/auth/login", data={"email": "ana@example.com", "password": password})


def signed_in(client: FlaskClient) -> bool:
    return client.get("/auth/profile").status_code == 200


def text(response) -> str:
    return response.get_data(as_text=True)


def link_path(message: EmailMessage) -> str:
    """Return the path of the reset link in a message."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    url = re.search(r"https?://\S+/auth/reset/\S+", body).group(0)
    return urlsplit(url).path


def request_link(client: FlaskClient, inbox: Inbox, address: str = "ana@example.com") -> str:
    arrived = len(inbox.messages)
    response = client.post("/auth/reset", data={"email": address}, follow_redirects=True)
    assert SENT_MESSAGE in text(response)
    return link_path(inbox.wait_for(arrived + 1)[-1])


def test_reset_mail_is_delivered_and_its_link_works_once(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    response = client.post("/auth/reset", data={"email": " ANA@example.com "})
    assert response.status_code == 302
    response = client.get(response.headers["Location"])
    assert SENT_MESSAGE in text(response)
    assert "for 60 minutes" in text(response)

    [message] = inbox.wait_for(1)
    assert inbox.recipients == [["ana@example.com"]]
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Reset your password for CE Course Engine"
    assert "Hello Ana Ruiz" in message.get_body().get_content()
    path = link_path(message)

    page = client.get(path)
    assert page.status_code == 200
    assert "Choose a new password" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(path, data={"new_password": NEW_PASSWORD}, follow_redirects=True)
    assert "Your password is changed. Please sign in with your new password." in text(response)

    assert "do not match" in text(sign_in(client))
    assert sign_in(client, NEW_PASSWORD).status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions == ["auth.password_reset"]

    # The same link a second time: refused, with a way to ask for a new one.
    again = client.get(path)
    assert again.status_code == 400
    assert "This link has already been used" in text(again)
    assert 'href="/auth/reset"' in text(again)
    response = client.post(path, data={"new_password": "someone else's choice"})
    assert response.status_code == 400
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    response = client.post("/auth/reset", data={"email": "nobody@example.com"})
    assert response.headers["Location"] == "/auth/reset/sent"
    assert SENT_MESSAGE in text(client.get("/auth/reset/sent"))
    with app.app_context():
        assert db.session.scalar(select(OutgoingMail)) is None  # nothing queued
    assert inbox.messages == []


def test_expired_link_is_refused(
    app: Flask, client: FlaskClient, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    path = request_link(client, inbox)
    later = int(time.time()) + app.config["PASSWORD_RESET_MINUTES"] * 60 + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)

    response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in text(response)
    assert "Ask for a new link" in text(response)
    response = client.post(path, data={"new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "do not match" not in text(sign_in(client))  # the old password still works


def test_link_still_works_just_before_it_expires(
    app: Flask, client: FlaskClient, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    path = request_link(client, inbox)
    later = int(time.time()) + app.config["PASSWORD_RESET_MINUTES"] * 60 - 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert client.get(path).status_code == 200


def test_damaged_link_is_refused(app: Flask, client: FlaskClient, inbox: Inbox) -> None:
    make_user(app)
    path = request_link(client, inbox)
    response = client.get(path[:-3] + "xyz")
    assert response.status_code == 400
    assert "This link is not complete" in text(response)
    with app.app_context():
        forged = URLSafeTimedSerializer("not-our-key", salt=resets.RESET_SALT)
        token = forged.dumps({"uid": 1, "fp": "x"})
    assert "This link is not complete" in text(client.get(f"/auth/reset/{token}"))


def test_a_newer_password_voids_older_links(app: Flask, client: FlaskClient, inbox: Inbox) -> None:
    make_user(app)
    first = request_link(client, inbox)
    second = request_link(client, inbox)
    assert client.post(second, data={"new_password": NEW_PASSWORD}).status_code == 302
    assert "This link has already been used" in text(client.get(first))


def test_a_link_sent_to_an_address_the_account_has_left_no_longer_works(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    user_id = make_user(app)
    path = request_link(client, inbox)
    with app.app_context():  # the owner moves the account to a new address
        db.session.get(User, user_id).email = "ana@home.example"
        db.session.commit()
    assert "This link has already been used" in text(client.get(path))
    assert client.post(path, data={"new_password": NEW_PASSWORD}).status_code != 302


def test_an_account_opened_from_an_lms_is_told_how_it_signs_in_and_gets_no_password(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    with app.app_context():
        user = create_user(email="ana@example.com", password_hash="!lti!x", full_name="Ana Ruiz")
        db.session.commit()
        token = resets.make_reset_token(user)
    arrived = len(inbox.messages)
    response = client.post("/auth/reset", data={"email": "ana@example.com"}, follow_redirects=True)
    assert SENT_MESSAGE in text(response)  # the same answer as for any address
    body = inbox.wait_for(arrived + 1)[-1].get_body(preferencelist=("plain",)).get_content()
    assert "has no password: open the course from the LMS" in body.replace("\n", " ")
    assert "/auth/reset/" not in body
    # Nor does a link made for it work: no password can be set on it.
    refused = client.post(f"/auth/reset/{token}", data={"new_password": NEW_PASSWORD})
    assert refused.status_code != 302
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == "!lti!x"


def test_weak_new_password_is_refused_and_the_link_kept(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    path = request_link(client, inbox)
    response = client.post(path, data={"new_password": "12345678"})
    assert response.status_code == 200
    assert "one of the most commonly used" in text(response)
    assert '<a href="#new_password">' in text(response)
    assert client.post(path, data={"new_password": NEW_PASSWORD}).status_code == 302


def test_reset_signs_out_every_device(app: Flask, client: FlaskClient, inbox: Inbox) -> None:
    make_user(app)
    laptop = app.test_client()
    sign_in(laptop)
    assert signed_in(laptop)
    path = request_link(client, inbox)
    client.post(path, data={"new_password": NEW_PASSWORD})
    assert not signed_in(laptop)
    with app.app_context():
        assert db.session.get(User, 1).password_changed_at is not None


def test_without_a_mail_server_the_link_is_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(app)
    app.config["MAIL_SERVER"] = ""
    with caplog.at_level(logging.WARNING, logger="course.mail"):
        response = client.post("/auth/reset", data={"email": "ana@example.com"})
        assert response.status_code == 302
        wait_until(lambda: "/auth/reset/" in caplog.text)
    logged = re.search(r"http://\S+(/auth/reset/\S+)", caplog.text)
    assert logged is not None
    assert client.get(logged.group(1)).status_code == 200


def test_a_mail_server_that_is_down_does_not_break_the_page(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(app)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with caplog.at_level(logging.ERROR, logger="course.mail"):
        response = client.post("/auth/reset", data={"email": "ana@example.com"})
        assert response.headers["Location"] == "/auth/reset/sent"
        wait_until(lambda: "Could not send email" in caplog.text)
    assert "trying again in 0:00:30" in caplog.text


def test_known_and_unknown_addresses_get_the_same_answer_without_waiting_for_mail(
    app: Flask, inbox: Inbox
) -> None:
    make_user(app)
    inbox.gate.clear()  # a mail server that hangs: the known address's request must not wait
    answers = []
    for address in ("ana@example.com", "nobody@example.com"):
        client = app.test_client()
        response = client.post("/auth/reset", data={"email": address})
        page = text(client.get(response.location))
        answers.append((response.status_code, response.location, page))
    assert answers[0] == answers[1]
    assert inbox.messages == []  # the known address's link is still on its way
    inbox.gate.set()
    assert inbox.next_to("ana@example.com")["Subject"].startswith("Reset your password")


def test_an_address_gets_at_most_five_links_until_a_quiet_day(
    app: Flask, client: FlaskClient, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(app)
    for _ in range(7):
        response = client.post("/auth/reset", data={"email": "ana@example.com"})
        assert response.headers["Location"] == "/auth/reset/sent"
    inbox.wait_for(5)
    wait_until(lambda: queued_mail(app) == 0)
    assert len(inbox.messages) == 5
    assert "Password reset not sent: 7 asked for this address today" in caplog.text


def queued_mail(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(OutgoingMail))
        db.session.commit()
        return count


def test_a_browser_that_signed_in_before_gets_a_link_past_the_limit(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    # A stranger asking for the address once a day kept the counter from ever resting,
    # and the owner could never reset the password: the owner's own browser still can.
    make_user(app)
    sign_in(client)  # this browser now holds the account's device cookie
    client.post("/auth/logout")
    stranger = app.test_client()
    for _ in range(6):
        stranger.post("/auth/reset", data={"email": "ana@example.com"})
    inbox.wait_for(5)
    wait_until(lambda: queued_mail(app) == 0)
    assert len(inbox.messages) == 5  # the stranger's sixth sent nothing
    client.post("/auth/reset", data={"email": "ana@example.com"})
    inbox.wait_for(6)
    assert "Reset your password" in inbox.messages[-1]["Subject"]


def test_an_admin_emails_a_reset_link_past_the_limit_and_it_is_audited(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    # A learner calls: a stranger's daily requests hold her links back, and she is on a
    # new phone. The admin sends one; it goes to her address, and the log says who and why.
    from course.models import Role
    from tests.course.factories import make_user as make_account
    from tests.course.factories import sign_in as sign_in_as

    user_id = make_user(app)
    for _ in range(6):
        app.test_client().post("/auth/reset", data={"email": "ana@example.com"})
    inbox.wait_for(5)
    wait_until(lambda: queued_mail(app) == 0)
    with app.app_context():
        admin = sign_in_as(app.test_client(), make_account(role=Role.ADMIN))
    url = f"/admin/learners/{user_id}/reset-link"
    refused = admin.post(url, data={"reason": ""})
    assert refused.status_code == 422 and "Give the reason." in text(refused)
    sent = admin.post(url, data={"reason": "Asked by phone"},
                      environ_base={"REMOTE_ADDR": "203.0.113.5"})  # fmt: skip
    assert "A password-reset link is on its way to ana@example.com." in text(
        admin.get(sent.location))
    inbox.wait_for(6)
    assert "Reset your password" in inbox.messages[-1]["Subject"]
    assert inbox.recipients[-1] == ["ana@example.com"]
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.reset_link_sent"))
        assert event.detail["reason"] == "Asked by phone" and event.ip_address == "203.0.113.5"
    # A learner cannot send one to anyone.
    assert sign_in(client).status_code == 302
    assert client.post(url, data={"reason": "x"}).status_code == 403

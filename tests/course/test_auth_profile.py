"""The profile: details, email and password changes, with the current password where due."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.auth.emailchange import apply_email_change, read_email_change, request_email_change
from course.auth.passwords import verify_password
from course.extensions import db
from course.mail import send_mail
from course.models import AuditEvent, User
from tests.course.factories import all_sign_in_failures
from tests.course.test_auth import PASSWORD, WRONG_MESSAGE, make_user, sign_in, signed_in, text
from tests.smtp_sink import Inbox, link_path, plain_text


def profile_data(**changes: str) -> dict[str, str]:
    data = {
        "full_name": "Ana Ruiz",
        "email": "ana@example.com",
        "licence_number": "",
        "licence_jurisdiction": "",
        "profession": "",
        "current_password": "",
    }
    data.update(changes)
    return data


def test_profile_needs_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/auth/profile", follow_redirects=True)
    assert "Please sign in to see that page." in text(response)


def test_profile_edit(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    response = client.post(
        "/auth/profile",
        data=profile_data(
            full_name="Ana María Ruiz-López",
            licence_number="LCSW 998877",
            licence_jurisdiction="Washington",
            profession="Child welfare caseworker or supervisor",
        ),
        follow_redirects=True,
    )
    assert "Your details are saved." in text(response)
    assert 'value="Ana María Ruiz-López"' in text(response)
    with app.app_context():
        user = db.session.get(User, 1)
        assert user.full_name == "Ana María Ruiz-López"
        assert user.licence_number == "LCSW 998877"
        assert user.licence_jurisdiction == "Washington"
        assert user.profession == "Child welfare caseworker or supervisor"
        updated = select(AuditEvent).where(AuditEvent.action == "user.details_updated")
        event = db.session.scalar(updated)
        assert (event.actor_id, event.subject_id, event.ip_address) == (1, "1", "127.0.0.1")
        assert event.detail["changed"] == {
            "full_name": ["Ana Ruiz", "Ana María Ruiz-López"],
            "licence_number": [None, "LCSW 998877"],
            "licence_jurisdiction": [None, "Washington"],
            "profession": [None, "Child welfare caseworker or supervisor"],
        }
    # Saved again unchanged: nothing more to record.
    client.post("/auth/profile", data=profile_data(
        full_name="Ana María Ruiz-López", licence_number="LCSW 998877",
        licence_jurisdiction="Washington", profession="Child welfare caseworker or supervisor"))
    with app.app_context():
        assert len(db.session.scalars(updated).all()) == 1


def test_changing_email_needs_the_current_password(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    sign_in(client)

    response = client.post("/auth/profile", data=profile_data(email="new@example.com"))
    assert "To change your email address, please enter your current password." in text(response)
    response = client.post(
        "/auth/profile", data=profile_data(email="new@example.com", current_password="nope nope")
    )
    assert "That is not your current password." in text(response)
    with app.app_context():
        assert db.session.get(User, 1).email == "ana@example.com"
    assert inbox.messages == []

    response = client.post(
        "/auth/profile", data=profile_data(email="New@Example.com", current_password=PASSWORD),
        follow_redirects=True,
    )
    assert "To use new@example.com for your account, open the link we sent to it" in text(
        response
    )
    with app.app_context():
        assert db.session.get(User, 1).email == "ana@example.com"  # not before the link
    link = link_path(inbox.next_to("new@example.com"), "/auth/email/confirm/")
    page = client.get(link)  # a mail scanner's visit changes nothing
    assert "Use this address" in text(page) and page.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        assert db.session.get(User, 1).email == "ana@example.com"
    response = client.post(link, follow_redirects=True)
    assert "Your account now uses new@example.com." in text(response)
    assert "was changed to new@example.com" in plain_text(inbox.next_to("ana@example.com"))
    client.post("/auth/logout")
    assert WRONG_MESSAGE in text(sign_in(client))
    assert sign_in(client, email="new@example.com").status_code == 302
    with app.app_context():
        changed = AuditEvent.action == "auth.email_changed"
        event = db.session.scalar(select(AuditEvent).where(changed))
        assert event.detail == {"old": "ana@example.com", "new": "new@example.com"}
        assert event.actor_id == 1
    again = client.post(link)
    assert again.status_code == 400 and "already been used" in text(again)


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_note(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    make_user(app, email="taken@example.com", name="Other Person")
    sign_in(client)
    client.get("/")  # shows "You are signed in", so that both answers below start alike
    answers = []
    for email in ("taken@example.com", "free@example.com"):
        data = profile_data(email=email, current_password=PASSWORD)
        response = client.post("/auth/profile", data=data)
        page = text(client.get(response.location)).replace(email, "ADDRESS")
        page = re.sub(r'(name="csrf_token"[^>]*?value=")[^"]*"', r'\1"', page)  # signed per second
        # The idle warning counts down from the last request: a second may pass between two.
        page = re.sub(r'(data-(?:csrf|expires-in)=")[^"]*"', r'\1"', page)
        answers.append((response.status_code, response.location, page))
    assert answers[0] == answers[1]
    note = plain_text(inbox.next_to("taken@example.com"))
    assert "already belongs to an account, so nothing was changed" in note
    assert "/auth/email/confirm/" not in note
    assert "/auth/email/confirm/" in plain_text(inbox.next_to("free@example.com"))
    with app.app_context():
        assert db.session.get(User, 1).email == "ana@example.com"


def test_a_link_whose_address_was_taken_meanwhile_changes_nothing(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    make_user(app)
    sign_in(client)
    data = profile_data(email="new@example.com", current_password=PASSWORD)
    client.post("/auth/profile", data=data)
    link = link_path(inbox.next_to("new@example.com"), "/auth/email/confirm/")
    make_user(app, email="new@example.com", name="Quicker Person")
    response = client.post(link)
    assert response.status_code == 400 and "That address is in use" in text(response)
    with app.app_context():
        assert db.session.get(User, 1).email == "ana@example.com"


def test_asking_for_e_mail_changes_is_limited_per_account(make_app, inbox_for) -> None:
    app = make_app(RATELIMIT_ENABLED=True, EMAIL_CHANGE_RATE_LIMIT="3 per hour")
    inbox_for(app)
    make_user(app)
    client = app.test_client()
    sign_in(client)
    for n in range(3):
        data = profile_data(email=f"probe{n}@example.com", current_password=PASSWORD)
        assert client.post("/auth/profile", data=data).status_code == 302
    data = profile_data(email="probe9@example.com", current_password=PASSWORD)
    response = client.post("/auth/profile", data=data)
    assert response.status_code == 429 and "Too many attempts" in text(response)
    # Other details can still be saved, and another account is not held up.
    saved = client.post("/auth/profile", data=profile_data(licence_number="LSW 1"))
    assert saved.status_code == 302
    make_user(app, email="ben@example.com")
    other = app.test_client()
    sign_in(other, email="ben@example.com")
    data = profile_data(email="ben.new@example.com", current_password=PASSWORD)
    assert other.post("/auth/profile", data=data).status_code == 302


def test_password_change_needs_the_current_password(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    response = client.post(
        "/auth/password",
        data={"current_password": "guess guess", "new_password": "a brand new passphrase"},
    )
    assert "That is not your current password." in text(response)
    assert '<a href="#current_password">' in text(response)
    response = client.post(
        "/auth/password", data={"current_password": PASSWORD, "new_password": "qwertyuiop"}
    )
    assert "one of the most commonly used" in text(response)
    with app.app_context():
        user = db.session.get(User, 1)
        assert verify_password(user.password_hash, PASSWORD)
        assert all_sign_in_failures() == 0  # the right password cleared the earlier slip


def test_password_change_signs_out_other_devices(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    phone = app.test_client()
    sign_in(client)
    sign_in(phone, remember="y")
    assert signed_in(phone)

    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        follow_redirects=True,
    )
    assert "Your password is changed." in text(response)
    assert signed_in(client)  # this device stays signed in
    assert not signed_in(phone)  # the other one, remember cookie and all, does not
    phone.delete_cookie("session")
    assert "Sign out" not in text(phone.get("/"))

    client.post("/auth/logout")
    assert WRONG_MESSAGE in text(sign_in(client))
    assert sign_in(client, password="a brand new passphrase").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions == ["auth.password_changed"]
        assert db.session.get(User, 1).password_changed_at is not None


def test_an_account_opened_from_an_lms_is_not_told_at_its_stand_in_address(
    app: Flask, inbox: Inbox
) -> None:
    stand_in = "lti-1-0123456789abcdef@lti.invalid"
    user_id = make_user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        user.email, user.password_hash = stand_in, "!lti"  # as an LMS launch opens it
        request_email_change(user, "ana.new@example.com", link_for=lambda token: f"http://localhost/c/{token}")
        db.session.commit()
    token = link_path(inbox.next_to("ana.new@example.com"), "/c/").removeprefix("/c/")
    with app.app_context():
        apply_email_change(read_email_change(token))
        db.session.commit()
        assert db.session.get(User, user_id).email == "ana.new@example.com"
        send_mail("sentinel@example.org", "Sent last", "The queue went this far.")
        db.session.commit()
    inbox.next_to("sentinel@example.org")  # queued after the change, so sent after it
    assert not any(to.endswith(".invalid") for envelope in inbox.recipients for to in envelope)

"""Sign-up by emailed link: the same answer whether or not the address has an account."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.auth import services, signin
from course.auth.passwords import verify_password
from course.extensions import db
from course.models import User
from course.users import find_user_by_email
from tests.course.factories import csrf_token_in, register_by_mail
from tests.course.test_auth import PASSWORD, make_user, sign_in, signed_in, text
from tests.course.test_auth_reset import queued_mail
from tests.smtp_sink import Inbox, plain_text, wait_until

ANA = {
    "full_name": "  Ana Ruiz  ",
    "email": "Ana@Example.com",
    "password": PASSWORD,
    "licence_number": "LCSW-12345",
    "licence_jurisdiction": "Oregon",
    "profession": "Social worker",
}
#: What the person who signed up types on the confirmation page.
MINE = {"password": PASSWORD}


def accounts(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def link_in(message) -> str:
    url = re.search(r"https?://\S+/auth/register/confirm/\S+", plain_text(message)).group(0)
    return urlsplit(url).path


def test_an_address_gets_at_most_five_sign_up_emails_none_opening_with_the_form_s_words(
    app: Flask, client: FlaskClient, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    bait = "Your CE license is suspended call 555 0100"
    for _ in range(7):
        response = client.post("/auth/register", data={**ANA, "full_name": bait})
        assert response.location == "/auth/register/sent"  # the same answer every time
    inbox.wait_for(5)
    wait_until(lambda: queued_mail(app) == 0)
    assert len(inbox.messages) == 5
    assert "Sign-up email not sent: 7 asked for this address today" in caplog.text
    body = plain_text(inbox.messages[0])
    assert body.startswith("Hello,\r\n") and bait not in body


def test_someone_else_s_sign_up_cannot_be_finished_by_the_address_owner(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    # Someone signs up with Ana's address and a password they know; Ana gets the email.
    client.post("/auth/register", data={**ANA, "password": "an intruder's own phrase"})
    path = link_in(inbox.next_to("ana@example.com"))
    owner = app.test_client()
    page = owner.get(path).get_data(as_text=True)
    assert "The password you chose when you signed up" in page
    # The address as the account will hold it, not as typed ("Ana@Example.com").
    assert "<p>For ana@example.com, in the name of" in page
    # Said on the page, not in the email: close the page, ignore the email.
    assert "ignore this email" not in page and "close this page and ignore the email" in page
    # Pressing the button without knowing that password makes nothing.
    refused = owner.post(path, data=MINE)
    assert refused.status_code == 422 and accounts(app) == 0 and not signed_in(owner)
    said = text(refused)
    assert "That is not the password chosen when this account was asked for" in said
    assert "<title>Error: Finish creating your account" in said
    assert 'href="/auth/register"' in said  # signing up herself is one link away
    assert owner.post(path, data={}).status_code == 422 and accounts(app) == 0


def test_the_e_mailed_link_creates_the_account_and_signs_in(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    response = client.post("/auth/register?next=/courses/minimal", data={
        **ANA, "next": "/courses/minimal"})
    assert response.location == "/auth/register/sent"
    assert "Check your email" in text(client.get(response.location))
    assert accounts(app) == 0 and not signed_in(client)  # nothing until the link is opened

    message = inbox.next_to("ana@example.com")
    assert message["Subject"] == "Finish creating your account on CE Course Engine"
    assert "within 24 hours" in plain_text(message)
    path = link_in(message)
    page = client.get(path)  # what a mail scanner does: it creates nothing
    assert page.status_code == 200 and "Create my account" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert accounts(app) == 0
    # The link carries the pending account encrypted: no name, address or hash shows.
    assert "Ruiz" not in path and "argon2" not in path and "example" not in path

    response = client.post(path, data=MINE)
    assert response.location == "/courses/minimal"
    welcome = client.get("/").get_data(as_text=True)
    # Said where a screen reader starts: the new page's title does not say it.
    assert re.search(r'focus-target" tabindex="-1" autofocus>\s*<div class="usa-alert__body">'
                     r'\s*<p class="usa-alert__text">Welcome, Ana Ruiz\. Your account is ready\.',
                     welcome)
    assert signed_in(client)
    with app.app_context():
        user = find_user_by_email("ana@example.com")
        assert (user.email, user.full_name) == ("ana@example.com", "Ana Ruiz")
        assert (user.licence_number, user.licence_jurisdiction) == ("LCSW-12345", "Oregon")
        assert user.profession == "Social worker"
        assert verify_password(user.password_hash, PASSWORD)
        assert user.last_login_at is not None
    assert client.get("/").status_code == 200
    # A double-click in the same browser lands where the first press did, not on an error.
    double = client.post(path, data=MINE)
    assert double.status_code == 302 and double.location == "/courses/minimal"
    # In another browser (or this one, its first answer lost with a dropped connection)
    # the link is spent: the account is ready, and the page points to the sign-in page.
    again = app.test_client().post(path, data=MINE)
    assert again.status_code == 200 and "Your account is ready" in text(again)
    assert 'href="/auth/login"' in again.get_data(as_text=True)
    assert accounts(app) == 1


def test_a_signed_in_browser_is_not_switched_to_the_account_a_link_creates(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    # Someone signs up with their own address and sends the link to a signed-in learner.
    app.test_client().post("/auth/register", data=ANA)
    path = link_in(inbox.next_to("ana@example.com"))
    make_user(app, email="bo@example.org", name="Bo Learner")
    sign_in(client, "bo@example.org")
    for send in (client.get, client.post):
        response = send(path)
        assert response.status_code == 302
        shown = text(client.get(response.location, follow_redirects=True))
        assert "You are signed in as Bo Learner." in shown
    assert accounts(app) == 1  # only Bo's: the link still works after signing out
    assert "Bo Learner" in text(client.get("/auth/profile"))


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_note(
    app: Flask, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app, email="ana@example.com")
    hashes: list[str] = []
    original = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda p: hashes.append(p) or original(p))
    answers = []
    for email in ("ANA@example.com", "new.person@example.com"):
        client = app.test_client()
        response = client.post("/auth/register", data={**ANA, "email": email})
        page = client.get(response.location)
        answers.append((response.status_code, response.location, text(page), len(hashes)))
        hashes.clear()
    assert answers[0] == answers[1]

    note = inbox.next_to("ana@example.com")
    assert note["Subject"] == "You already have an account on CE Course Engine"
    body = plain_text(note)
    assert "Hello Ana Ruiz" in body and "no new one was made" in body
    assert "/auth/login" in body and "/auth/reset" in body
    assert "/auth/register/confirm/" not in body
    link = inbox.next_to("new.person@example.com")
    assert "/auth/register/confirm/" in plain_text(link)
    assert accounts(app) == 1
    with app.app_context():
        assert find_user_by_email("ana@example.com").full_name == "Ana Ruiz"


def test_a_weak_password_is_the_only_complaint_whether_or_not_the_address_is_taken(
    app: Flask,
) -> None:
    make_user(app)
    for email in ("ana@example.com", "someone.new@example.com"):
        response = app.test_client().post(
            "/auth/register", data={"full_name": "A Person", "email": email, "password": "short"}
        )
        assert response.status_code == 200
        assert "Use at least 8 characters." in text(response)
        assert "already" not in text(response)


def test_every_refused_field_is_named_at_once_the_same_for_a_taken_address(app: Flask) -> None:
    make_user(app)
    pages = []
    for email in ("ana@example.com", "someone.new@example.com", "ana@example"):
        response = app.test_client().post(
            "/auth/register", data={"full_name": "", "email": email, "password": "short"}
        )
        assert response.status_code == 200
        page = text(response)
        assert "Enter your full name." in page
        # The password's problem shows with the others, not on the next try.
        assert "Use at least 8 characters." in page, email
        assert "already" not in page
        pages.append(page.replace(email, "ADDRESS"))
    assert pages[0] == pages[1]
    assert "Enter an email address like name@example.com." in pages[2]


def test_an_address_taken_before_the_link_is_opened_makes_no_second_account(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    client.post("/auth/register", data=ANA)
    path = link_in(inbox.next_to("ana@example.com"))
    make_user(app, email="ana@example.com", password="another passphrase here")
    response = client.post(path, data=MINE)
    assert response.status_code == 200  # nothing to fix: the address has its account
    assert "Your account is ready" in text(response)
    assert accounts(app) == 1 and not signed_in(client)
    assert sign_in(client, password="another passphrase here").status_code == 302


def test_expired_and_damaged_links_are_refused_plainly(
    app: Flask, client: FlaskClient, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/auth/register", data=ANA)
    path = link_in(inbox.next_to("ana@example.com"))
    damaged = client.get(path[:-4] + "AAAA")
    assert damaged.status_code == 400 and "This link is not complete" in text(damaged)
    with app.app_context():
        forged = Fernet(Fernet.generate_key()).encrypt(b"{}").decode()
    assert "This link is not complete" in text(client.get(f"/auth/register/confirm/{forged}"))

    # The link's age limit moved an hour into the past: the link is older than it.
    monkeypatch.setitem(app.config, "REGISTRATION_LINK_HOURS", -1)
    expired = client.post(path, data=MINE)
    assert expired.status_code == 400 and "This link has expired" in text(expired)
    assert accounts(app) == 0


def test_signing_up_through_the_helper_works_for_every_other_test(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    response = register_by_mail(client, inbox, {**ANA, "email": "helper@example.com"})
    assert response.status_code == 302 and signed_in(client)
    assert signin.WRONG_CREDENTIALS not in text(sign_in(app.test_client(), "helper@example.com"))


def test_a_double_click_on_create_my_account_lands_on_the_course(
    make_app, inbox_for
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    inbox = inbox_for(app)
    client = app.test_client()
    token = csrf_token_in(text(client.get("/auth/register")))
    client.post("/auth/register", data={**ANA, "next": "/courses/minimal", "csrf_token": token})
    path = link_in(inbox.next_to("ana@example.com"))
    button = csrf_token_in(text(client.get(path)))
    first = client.post(path, data={"csrf_token": button, **MINE})
    assert first.status_code == 302 and first.location == "/courses/minimal"
    second = client.post(path, data={"csrf_token": button, **MINE})  # the old session's token
    assert second.status_code == 303
    assert client.get(second.location).location == "/courses/minimal"
    assert accounts(app) == 1


def test_a_sign_up_without_an_email_address_asks_for_one(client: FlaskClient) -> None:
    for form in ({**ANA, "email": ""}, {k: v for k, v in ANA.items() if k != "email"}):
        response = client.post("/auth/register", data=form)  # empty, or left out
        assert response.status_code == 200
        assert "Enter your email address" in text(response)

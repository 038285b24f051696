"""A new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS voids nothing already sent.

Each case signs something with the old key on one app, then opens it on the same
database restarted with a new key: once with the old key kept as a fallback (it works),
once without (refused, as before fallbacks existed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from flask import Flask

from course.auth import devices, emailchange, registration, resets
from course.auth.services import AccountDetails
from course.extensions import db
from course.lti.roles import StaffLook, staff_token
from course.lti.views import state_cookie
from course.models import User
from course.users import create_user
from tests.course.factories import csrf_token_in

OLD_KEY, NEW_KEY = "old-key-" + "o" * 40, "new-key-" + "n" * 40
PASSWORD = "correct horse battery staple"
#: The login state a staff launch left in its browser, which its hand-over is bound to.
STAFF_STATE = "state-of-the-staff-launch"


@pytest.fixture
def apps(make_app: Callable[..., Flask]) -> tuple[Flask, Flask, Flask]:
    """The app before the change, after it with a fallback, and after it without one."""
    before = make_app(SECRET_KEY=OLD_KEY, WTF_CSRF_ENABLED=True)
    kept = make_app(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY], WTF_CSRF_ENABLED=True)
    dropped = make_app(SECRET_KEY=NEW_KEY, WTF_CSRF_ENABLED=True)
    with before.app_context():
        create_user(email="ana@example.com", password=PASSWORD, full_name="Ana Ruiz")
        db.session.commit()
    return before, kept, dropped


def _signed_before(before: Flask, sign: Callable[[User], str]) -> str:
    with before.app_context():
        return sign(db.session.scalar(db.select(User)))


@pytest.mark.parametrize("link, page_says", [
    (lambda user: "/auth/reset/" + resets.make_reset_token(user), "Choose a new password"),
    (lambda user: "/auth/email/confirm/" + emailchange._serializer().dumps(
        {"uid": user.id, "to": "ana.new@example.com", "fp": emailchange._fingerprint(user)}),
     "ana.new@example.com"),
    (lambda user: "/auth/register/confirm/" + registration.make_link_token(
        registration.PendingAccount(AccountDetails(full_name="Bo Lee", email="bo@example.com"),
                                    "argon2-hash")),
     "Create my account"),
    (lambda user: "/lti/staff?look=" + staff_token(StaffLook(
        course_id=1, course_slug="minimal", course_title="Minimal", platform_name="Moodle",
        role="Instructor", grades=False, name_shared=True, previews=False),
        hashlib.sha256(STAFF_STATE.encode()).hexdigest()),
     "Moodle"),
], ids=["password reset", "email change", "sign-up", "LTI staff hand-over"])
def test_an_emailed_or_handed_over_link_outlives_the_key_while_it_is_a_fallback(
    apps: tuple[Flask, Flask, Flask], link: Callable[[User], str], page_says: str
) -> None:
    before, kept, dropped = apps
    path = _signed_before(before, link)
    browsers = kept.test_client(), dropped.test_client()
    for browser in browsers:  # a staff hand-over opens in the browser of its launch
        browser.set_cookie(state_cookie(STAFF_STATE, secure=False), STAFF_STATE)
    opened = browsers[0].get(path)
    assert opened.status_code == 200, opened.get_data(as_text=True)[:400]
    assert page_says in opened.get_data(as_text=True)
    assert browsers[1].get(path).status_code in (400, 404)


def test_an_open_form_still_submits_after_the_change(apps: tuple[Flask, Flask, Flask]) -> None:
    before, kept, dropped = apps
    browser = before.test_client()
    token = csrf_token_in(browser.get("/auth/login").get_data(as_text=True))
    session = browser.get_cookie("session").value
    sign_in = {"email": "ana@example.com", "password": PASSWORD, "csrf_token": token}
    for app, works in ((kept, True), (dropped, False)):
        after = app.test_client()
        after.set_cookie("session", session)
        answer = after.post("/auth/login", data=sign_in)
        assert (answer.status_code == 302) is works, answer.status_code


def test_a_trusted_browser_stays_trusted_after_the_change(
    apps: tuple[Flask, Flask, Flask]
) -> None:
    before, kept, dropped = apps
    browser = before.test_client()
    token = csrf_token_in(browser.get("/auth/login").get_data(as_text=True))
    browser.post("/auth/login", data={"email": "ana@example.com", "password": PASSWORD,
                                      "csrf_token": token})
    cookie = browser.get_cookie("device").value
    for app, trusted in ((kept, True), (dropped, False)):
        with app.test_request_context(headers={"Cookie": f"device={cookie}"}):
            assert bool(devices.client().devices) is trusted

"""Sessions end after an idle hour and after their absolute lifetime, kindly."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient

from course.auth.sessions import EXPIRES_IN_HEADER, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from course.models import User
from tests.course.test_auth import PASSWORD, make_user, sign_in, signed_in, text


def test_idle_session_is_signed_out(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - idle - 5
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/auth/profile"
    page = text(client.get(response.headers["Location"]))
    assert "you were signed out after a period without activity" in page
    assert not signed_in(client)


def test_a_form_sent_after_the_idle_time_returns_to_its_page(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client)
    with client.session_transaction() as sess:
        sess[SEEN_AT] = 0
    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers={"Referer": "http://localhost/auth/password"},
    )
    assert response.headers["Location"] == "/auth/login?next=/auth/password"
    with app.app_context():
        assert db.session.get(User, 1).password_changed_at is None  # nothing was changed


def test_recent_activity_keeps_the_session(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - idle + 30
    assert signed_in(client)
    with client.session_transaction() as sess:
        assert sess[SEEN_AT] >= int(time.time()) - 5  # the activity was noted


def test_session_ends_after_its_absolute_lifetime(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    with client.session_transaction() as sess:
        sess[SIGNED_IN_AT] = int(time.time() - lifetime) - 5
    assert client.get("/auth/profile").status_code == 302
    assert not signed_in(client)


def test_a_scripts_request_is_told_the_seconds_the_server_has_left(
    app: Flask, client: FlaskClient
) -> None:
    """The page's warning counts from the server's own mark, noted at most once a minute:
    counted from the page's last request, it said "signed out" up to a minute early."""
    make_user(app)
    sign_in(client)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - 40  # within the minute: not noted again
    script = client.get("/auth/profile", headers={"Accept": "application/json"})
    assert idle - 42 <= int(script.headers[EXPIRES_IN_HEADER]) <= idle - 40
    page = client.get("/auth/profile", headers={"Accept": "text/html"})
    assert EXPIRES_IN_HEADER not in page.headers  # a page carries it in its dialog
    remembered = FlaskClient(app, use_cookies=True)
    sign_in(remembered, remember="y")  # no idle limit: nothing to count down
    assert EXPIRES_IN_HEADER not in remembered.get(
        "/auth/profile", headers={"Accept": "application/json"}).headers


def _notices(page: str) -> list[str]:
    """The flashed notices a page shows, as text."""
    flashes = page[page.index('<div class="flashes"'):] if 'class="flashes"' in page else ""
    return [" ".join(re.sub(r"<[^>]+>", " ", notice).split())
            for notice in re.findall(r'<p class="usa-alert__text">(.*?)</p>', flashes, re.S)]


def test_after_an_idle_sign_out_the_sign_in_page_says_so_once(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    client.get(sign_in(client).headers["Location"])  # "You are signed in." is read there
    with client.session_transaction() as sess:
        sess[SEEN_AT] = 0
    # The page's own script is the first to reach the server after the idle hour (its
    # sign-out dialog says so); then the learner opens a page that needs the sign-in.
    assert client.post("/auth/stay-signed-in", headers={"Accept": "application/json"}
                       ).status_code == 302  # fmt: skip
    response = client.get("/auth/profile")
    assert response.headers["Location"] == "/auth/login?next=%2Fauth%2Fprofile"
    notices = _notices(text(client.get(response.headers["Location"])))
    assert len(notices) == 1, notices
    assert notices[0].startswith("For your safety you were signed out after a period")
    # Later, signed out for good, a page that needs the sign-in says why, once.
    notices = _notices(text(client.get(client.get("/auth/profile").headers["Location"])))
    assert notices == ["Please sign in to see that page."]


def test_the_dialogs_sign_in_link_after_the_idle_hour_keeps_one_way_back(
    app: Flask, client: FlaskClient
) -> None:
    # The signed-out dialog's link is /auth/login?next=<the page>; followed on a session
    # the server has not yet signed out, the sign-out used to wrap it in a second next.
    make_user(app)
    client.get(sign_in(client).headers["Location"])
    with client.session_transaction() as sess:
        sess[SEEN_AT] = 0
    response = client.get("/auth/login?next=/courses/minimal")
    assert response.headers["Location"] == "/auth/login?next=/courses/minimal"

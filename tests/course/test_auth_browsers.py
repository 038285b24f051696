"""Sign-ins per browser: signing out ends one, the profile lists them and ends the others."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.auth.browsers import device_label, warm_up_device_labels
from course.db import utcnow
from course.extensions import db
from course.models import BrowserSession, User
from tests.course.factories import csrf_token_in
from tests.course.test_auth import PASSWORD, make_user, sign_in, signed_in, text
from tests.live_servers import ROOT, app_environment


def _browsers(app: Flask, n: int) -> list[FlaskClient]:
    return [app.test_client() for _ in range(n)]


def _session_id(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def _rows(app: Flask) -> list[BrowserSession]:
    with app.app_context():
        rows = db.session.scalars(select(BrowserSession).order_by(BrowserSession.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_signing_out_ends_this_browser_only(app: Flask) -> None:
    make_user(app)
    laptop, phone = _browsers(app, 2)
    sign_in(laptop)
    sign_in(phone)
    stolen = laptop.get_cookie("session").value

    response = laptop.post("/auth/logout", follow_redirects=True)
    assert "You have signed out." in text(response)
    assert not signed_in(laptop)
    assert signed_in(phone)

    laptop.set_cookie("session", stolen)  # a copy of the old cookie is refused too
    assert not signed_in(laptop)
    ended, live = _rows(app)
    assert ended.ended_at is not None and live.ended_at is None


def test_the_cookie_carries_a_token_the_database_keeps_only_hashed(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client)
    user_id, version, token = _session_id(client).split(":")
    assert (user_id, version) == ("1", "1")
    assert len(token) >= 43  # 32 random bytes
    (row,) = _rows(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.token_hash != token
    assert not row.remembered
    lifetime = row.expires_at - row.created_at
    assert lifetime == app.config["PERMANENT_SESSION_LIFETIME"]


def test_the_profile_lists_sign_ins_and_signs_out_every_other_browser(app: Flask) -> None:
    make_user(app)
    laptop, phone, tablet = _browsers(app, 3)
    sign_in(phone)
    sign_in(tablet, remember="y")
    sign_in(laptop)
    remembered = tablet.get_cookie("remember_token").value

    page = text(laptop.get("/auth/profile"))
    assert page.count("This browser") == 1
    assert page.count("Another browser") == 2
    assert page.count("kept signed in until") == 1
    assert "Sign out of 2 other browsers" in page

    response = laptop.post("/auth/profile/sign-out-others", follow_redirects=True)
    assert "You are signed out on 2 other browsers. This one stays signed in." in text(response)
    assert "You are not signed in anywhere else." in text(response)
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(tablet)
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert "Sign out" not in text(thief.get("/"))


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (IPHONE, "Mobile Safari on iPhone"),
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome Mobile on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("", None),
        ("curl/8.5.0", "curl"),
        ("x" * 20_000, None),
        # The parser builds a "spider" name from the sender's own words: never shown.
        ("CALL_555_TO_UNDO-Spider/1.0", None),
        ("Mozilla/5.0 (Linux; Android 14) Call-555-0100 Bot/1.0", None),
    ],
    ids=["iphone", "windows", "android", "mac", "none", "no-system", "huge", "made-up",
         "made-up-bot"],
)
def test_each_sign_in_is_named_by_its_browser_and_system(user_agent, label) -> None:
    assert device_label(user_agent) == label


def test_the_profile_names_the_browsers_so_a_stranger_stands_out(app: Flask) -> None:
    make_user(app)
    laptop, phone, unknown = _browsers(app, 3)
    laptop.environ_base["HTTP_USER_AGENT"] = WINDOWS_FIREFOX
    phone.environ_base["HTTP_USER_AGENT"] = IPHONE
    for browser in (phone, unknown, laptop):
        sign_in(browser)

    page = text(laptop.get("/auth/profile"))
    assert "<strong>This browser</strong> (Firefox on Windows): signed in" in page
    assert "Mobile Safari on iPhone: signed in" in page
    assert page.count("Another browser: signed in") == 1  # the test client names nothing
    download = laptop.get("/auth/profile/my-data.json").get_json()
    names = [sign_in["browser"] for sign_in in download["sign_ins"]]
    assert names == ["Mobile Safari on iPhone", None, "Firefox on Windows"]


def test_reopening_the_sign_out_others_address_shows_the_sign_ins_and_ends_none(
    app: Flask,
) -> None:
    # Opening the form's address again (history, a bookmark, sign-in coming back to it)
    # gave "405 Method Not Allowed"; it must never sign anyone out either.
    make_user(app)
    laptop, phone = _browsers(app, 2)
    sign_in(laptop)
    sign_in(phone)
    reopened = laptop.get("/auth/profile/sign-out-others")
    assert reopened.status_code == 303 and reopened.location == "/auth/profile#sign-ins"
    assert "Sign out of 1 other browser" in text(laptop.get(reopened.location))
    assert signed_in(phone)
    anonymous = app.test_client().get("/auth/profile/sign-out-others", follow_redirects=True)
    assert anonymous.request.path == "/auth/login"


def test_signing_out_others_needs_the_form_token(make_app) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    laptop, phone = _browsers(app, 2)
    for browser in (laptop, phone):
        page = text(browser.get("/auth/login"))
        token = csrf_token_in(page)
        sign_in(browser, csrf_token=token)
    assert laptop.post("/auth/profile/sign-out-others").status_code == 400
    assert signed_in(phone)


def test_a_password_change_ends_other_sign_ins_and_keeps_this_one(app: Flask) -> None:
    make_user(app)
    laptop, phone = _browsers(app, 2)
    sign_in(laptop)
    sign_in(phone)
    laptop.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert "You are not signed in anywhere else." in text(laptop.get("/auth/profile"))
    assert _session_id(laptop).startswith("1:2:")


def test_a_sign_in_past_its_expiry_loads_nobody(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    assert signed_in(client)
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(update(BrowserSession).values(expires_at=past))
        db.session.commit()
    assert not signed_in(client)


def test_a_cookie_from_before_sign_ins_were_recorded_loads_nobody(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # the format before browser sign-ins were recorded
    assert not signed_in(client)


def test_signing_in_again_on_the_same_browser_replaces_its_sign_in(app: Flask) -> None:
    make_user(app)
    browser = app.test_client()
    sign_in(browser, remember="y")
    browser.delete_cookie("session")  # the browser was closed; "remember me" brings it back
    assert "Sign out" in text(browser.get("/"))
    # Pages that need a fresh sign-in ask for the password again.
    assert browser.get("/auth/profile").status_code == 302
    sign_in(browser)
    assert signed_in(browser)
    live = [row for row in _rows(app) if row.ended_at is None]
    assert len(live) == 1


def test_deleting_the_account_forgets_its_sign_ins(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    sign_in(app.test_client())
    response = client.post(
        "/auth/delete", data={"password": PASSWORD, "understood": "y"}, follow_redirects=True
    )
    assert "Your account is deleted" in text(response)
    assert _rows(app) == []
    with app.app_context():
        assert db.session.get(User, 1).deleted_at is not None


def test_the_purge_removes_sign_ins_that_can_never_load_again(app: Flask, runner) -> None:
    make_user(app)
    signed_out, expired, outdated, live = _browsers(app, 4)
    for browser in (signed_out, expired, outdated, live):
        sign_in(browser)
    signed_out.post("/auth/logout")
    with app.app_context():
        rows = db.session.scalars(select(BrowserSession).order_by(BrowserSession.id)).all()
        rows[1].expires_at = utcnow() - timedelta(minutes=1)
        rows[2].session_version = 0  # made before a password reset
        db.session.commit()

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert "3 records of ended browser sign-ins" in dry.output
    assert len(_rows(app)) == 4
    real = runner.invoke(args=["privacy", "purge", "--yes"])
    assert "3 records of ended browser sign-ins" in real.output
    assert len(_rows(app)) == 1
    assert signed_in(live)
    assert not any(signed_in(browser) for browser in (signed_out, expired, outdated))


def test_a_server_readies_the_browser_names_before_its_first_sign_in(tmp_path) -> None:
    # Compiling the parser's patterns took 0.15 s, paid by the first learner to sign in
    # on each worker; the WSGI entry point that gunicorn loads pays it at start instead.
    env = app_environment(f"sqlite:///{tmp_path / 'course.db'}", ROOT / "content")
    probe = "import ua_parser, wsgi; print('parser' in vars(ua_parser))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert warm_up_device_labels() == "Mobile Safari on iPhone"

"""Accounts: sign-up, sign-in and out, remember me, redirects and CSRF.

Session time-outs are in test_auth_timeouts.py, the profile and password change in
test_auth_profile.py; both use the helpers here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.auth import signin
from course.auth.passwords import verify_password
from course.extensions import db
from course.models import User
from course.users import create_user
from tests.course.factories import csrf_token_in, register_by_mail
from tests.smtp_sink import Inbox

PASSWORD = "correct horse battery staple"
WRONG_MESSAGE = "That email address and password do not match an account."


def make_user(app: Flask, email: str = "ana@example.com", password: str = PASSWORD, **kw) -> int:
    """Create an account and return its id."""
    with app.app_context():
        user = create_user(email=email, password=password, full_name=kw.pop("name", "Ana Ruiz"))
        db.session.commit()
        return user.id


def sign_in(client: FlaskClient, email: str = "ana@example.com", password: str = PASSWORD, **extra):
    """Post the sign-in form."""
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def signed_in(client: FlaskClient) -> bool:
    """Return True when the client can open a page that needs a signed-in user."""
    return client.get("/auth/profile").status_code == 200


def text(response) -> str:
    return response.get_data(as_text=True)


# --- sign-up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 8 characters."),
        ("seven77", "Use at least 8 characters."),
        ("password", "one of the most commonly used"),
        ("Baseball", "one of the most commonly used"),
        ("iloveyou", "one of the most commonly used"),
        ("ana.ruiz@example.com", "not your email address or your name"),
        ("Ana Maria Ruiz", "not your email address or your name"),
        ("x" * 257, "Use at most 256 characters."),
    ],
)
def test_register_refuses_weak_passwords(client: FlaskClient, password: str, message: str) -> None:
    response = client.post(
        "/auth/register",
        data={"full_name": "Ana Maria Ruiz", "email": "ana.ruiz@example.com", "password": password},
    )
    body = text(response)
    assert message in body
    # The error is tied to the password field and listed in the summary at the top.
    assert 'role="alert"' in body
    assert '<a href="#password">' in body
    assert re.search(r'aria-describedby="password-hint password-error"', body)
    assert 'aria-invalid="true"' in body


@pytest.mark.parametrize("length", [64, 100, 256])
def test_long_passwords_are_accepted_and_never_truncated(
    app: Flask, client: FlaskClient, inbox: Inbox, length: int
) -> None:
    password = ("Social work ethics, " * 20)[:length]
    assert len(password) == length
    data = {"full_name": "Ana Ruiz", "email": "ana@example.com", "password": password}
    assert register_by_mail(client, inbox, data).status_code == 302
    client.post("/auth/logout")
    assert sign_in(client, password=password).status_code == 302
    client.post("/auth/logout")
    # One character fewer is a different password.
    assert WRONG_MESSAGE in text(sign_in(client, password=password[:-1]))


def test_composition_rules_are_not_imposed(client: FlaskClient, inbox: Inbox) -> None:
    password = "plain lowercase words"
    data = {"full_name": "Ana Ruiz", "email": "ana@example.com", "password": password}
    assert register_by_mail(client, inbox, data).status_code == 302


def test_forms_are_labelled_and_autocompletable(client: FlaskClient) -> None:
    body = text(client.get("/auth/register"))
    for name in ("full_name", "email", "password", "licence_number", "licence_jurisdiction"):
        assert f'<label for="{name}">' in body
        assert f'id="{name}"' in body
    assert 'autocomplete="name"' in body
    assert 'autocomplete="email"' in body
    assert 'autocomplete="new-password"' in body
    assert 'type="password"' in body
    assert "onpaste" not in body
    body = text(client.get("/auth/login"))
    assert 'autocomplete="current-password"' in body
    assert '<label for="remember">' in body


# --- sign-in and sign-out --------------------------------------------------------------


def test_sign_in_and_out(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    response = sign_in(client, email="  ANA@example.com ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in(client)
    with app.app_context():
        assert db.session.get(User, 1).last_login_at is not None

    response = client.post("/auth/logout", follow_redirects=True)
    assert "You have signed out" in text(response)
    assert "Sign in" in text(response)
    assert not signed_in(client)


def test_wrong_password_and_unknown_email_get_the_same_answer_and_cost(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    calls: list[str] = []

    def counting_verify(stored_hash: str, password: str) -> bool:
        calls.append(password)
        return verify_password(stored_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting_verify)
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@example.com", password="not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG_MESSAGE in text(wrong)
    assert WRONG_MESSAGE in text(unknown)
    # Both spend one password hash, so timing does not tell whether the account exists.
    assert len(calls) == 2
    assert not signed_in(client)


def test_sign_in_starts_a_new_session(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    sign_in(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        # user id, session version, and the token of this browser's recorded sign-in
        assert sess["_user_id"].startswith("1:1:")


def test_sign_in_upgrades_an_old_hash(app: Flask, client: FlaskClient) -> None:
    from argon2 import PasswordHasher

    app.config["PASSWORD_HASHING"] = "owasp"  # the production cost, not the tests' one
    make_user(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, 1).password_hash = weak
        db.session.commit()
    assert sign_in(client).status_code == 302
    with app.app_context():
        upgraded = db.session.get(User, 1).password_hash
    assert upgraded != weak
    assert "m=19456,t=2,p=1" in upgraded


def test_replayed_session_cookie_after_sign_out_loads_nobody(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client)
    stolen = client.get_cookie("session").value
    client.post("/auth/logout")
    assert not signed_in(client)

    client.set_cookie("session", stolen)
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_replayed_remember_cookie_after_sign_out_loads_nobody(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client, remember="y")
    remembered = client.get_cookie("remember_token").value
    client.post("/auth/logout")
    assert client.get_cookie("remember_token") is None

    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert "Sign out" not in text(thief.get("/"))


def test_remember_me_lasts_at_most_30_days(make_app: Callable[..., Flask]) -> None:
    app = make_app(REMEMBER_COOKIE_DURATION=timedelta(days=365))
    make_user(app)
    client = app.test_client()
    sign_in(client, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert cookie.http_only


def test_without_remember_me_there_is_no_lasting_cookie(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    assert client.get_cookie("remember_token") is None
    assert client.get_cookie("session").expires is None  # gone when the browser closes


def test_remember_me_brings_a_user_back_but_asks_again_before_account_changes(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client, remember="y")
    client.delete_cookie("session")  # the browser was closed
    assert "Sign out" in text(client.get("/"))
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    page = text(client.get(response.headers["Location"]))
    assert "please sign in again" in page
    assert 'value="ana@example.com"' in page


# --- redirects -------------------------------------------------------------------------


def test_sign_in_returns_to_the_page_asked_for(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    response = client.get("/auth/profile")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/auth/profile"]}
    page = text(client.get(response.headers["Location"]))
    assert 'name="next" type="hidden" value="/auth/profile"' in page
    response = sign_in(client, next="/auth/profile")
    assert response.headers["Location"] == "/auth/profile"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
        "/\tevil",
    ],
)
def test_sign_in_never_redirects_off_site(app: Flask, client: FlaskClient, target: str) -> None:
    make_user(app)
    response = sign_in(client, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- navigation and CSRF ---------------------------------------------------------------


def test_navigation_depends_on_who_is_signed_in(app: Flask, client: FlaskClient) -> None:
    body = text(client.get("/auth/login"))
    assert 'href="/auth/login">Sign in<' in body
    assert 'href="/auth/register">Create account<' in body
    assert "My transcript" not in body

    make_user(app)
    sign_in(client)
    body = text(client.get("/auth/profile"))
    assert 'href="/me">My transcript<' in body
    assert 'href="/auth/profile" aria-current="page">Profile<' in body
    assert re.search(
        r'<form method="post" action="/auth/logout">\s*<input type="hidden" '
        r'name="csrf_token"',
        body,
    )
    assert "Create account" not in body


def test_sign_out_is_post_only(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    sign_in(client)
    # A GET (a bookmark, a sign-in's next=) signs nobody out: it only opens the courses.
    opened = client.get("/auth/logout")
    assert (opened.status_code, opened.location) == (303, "/")
    assert signed_in(client)


def test_sign_out_clears_this_browsers_storage_but_not_its_cookies(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    sign_in(client)
    response = client.post("/auth/logout")
    assert (response.status_code, response.location) == (302, "/")
    # What lesson pages kept in this browser goes with the sign-in, script or none.
    assert response.headers["Clear-Site-Data"] == '"storage"'
    assert not signed_in(client)
    assert "You have signed out." in text(client.get("/"))  # the flash cookie survived


def test_posts_without_a_csrf_token_are_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 400
    assert not signed_in(client)

    page = text(client.get("/auth/login"))
    token = csrf_token_in(page)
    assert sign_in(client, csrf_token=token).status_code == 302
    assert signed_in(client)
    assert client.post("/auth/logout").status_code == 400  # no token: still signed in
    assert signed_in(client)


def test_a_double_click_on_sign_in_lands_where_the_first_click_did(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    client = app.test_client()
    token = csrf_token_in(text(client.get("/auth/login?next=/me")))
    first = sign_in(client, csrf_token=token, next="/me")
    assert first.status_code == 302 and first.location == "/me"
    # Signing in renewed the session and its form token; the second click has the old one.
    second = sign_in(client, csrf_token=token, next="/me")
    assert second.status_code == 303
    assert client.get(second.location).location == "/me"
    # A stranger's stale token is still refused with the page that explains it.
    stranger = sign_in(app.test_client(), csrf_token=token)
    assert stranger.status_code == 400 and "This form was open for a long time" in text(stranger)


def test_only_a_testing_app_hashes_at_the_test_cost(tmp_path) -> None:
    from course import create_app
    from course.auth.passwords import hash_password

    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    served = create_app({**settings, "PASSWORD_HASHING": "cheapest"})  # not TESTING
    with served.app_context():
        assert "m=19456,t=2,p=1" in hash_password(PASSWORD)
    tested = create_app({**settings, "TESTING": True})
    with tested.app_context():
        assert hash_password(PASSWORD).startswith("$argon2id$")
        assert "m=8,t=1,p=1" in hash_password(PASSWORD)

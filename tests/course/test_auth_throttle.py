"""Sign-in throttling: per account (growing waits, lock at 100) and per address (429)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.auth import resets, signin
from course.auth.passwords import verify_password
from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, User
from course.users import create_user
from tests.course.factories import csrf_token_in, write_elsewhere_without_waiting

PASSWORD = "correct horse battery staple"
WRONG_MESSAGE = "That e-mail address and password do not match an account."
WAIT_MESSAGE = "To keep it safe, please wait"
LOCKED_MESSAGE = "This account is locked after many unsuccessful sign-in attempts"


def make_user(app: Flask, email: str = "ana@example.com") -> int:
    """Create an account and return its id."""
    with app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name="Ana Ruiz")
        db.session.commit()
        return user.id


def set_failures(app: Flask, count: int, seconds_ago: float) -> None:
    """Pretend the account has ``count`` consecutive failures, the last one a while ago."""
    with app.app_context():
        user = db.session.get(User, 1)
        user.failed_login_count = count
        user.last_failed_login_at = utcnow() - timedelta(seconds=seconds_ago)
        db.session.commit()


def sign_in(client: FlaskClient, password: str = PASSWORD, **extra):
    """Post the sign-in form."""
    return client.post(
        "/auth/login", data={"email": "ana@example.com", "password": password, **extra}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every password check the sign-in service makes."""
    calls: list[str] = []

    def counting_verify(stored_hash: str, password: str) -> bool:
        calls.append(password)
        return verify_password(stored_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting_verify)
    return calls


def test_five_failures_start_a_wait_in_which_no_password_is_checked(
    app: Flask, client: FlaskClient, hashes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    clock = [utcnow()]
    monkeypatch.setattr(signin, "utcnow", lambda: clock[0])
    for _ in range(5):
        assert WRONG_MESSAGE in text(sign_in(client, password="a wrong guess"))
    assert len(hashes) == 5

    # Even the right password is turned away, and without being hashed.
    response = sign_in(client)
    assert WAIT_MESSAGE in text(response)
    assert "wait 1 second and try again" in text(response)
    assert len(hashes) == 5
    assert "Sign out" not in text(response)

    # Once the wait is over, the right password works and clears the count.
    clock[0] += timedelta(seconds=1)
    assert sign_in(client).status_code == 302
    with app.app_context():
        assert db.session.get(User, 1).failed_login_count == 0


def test_the_wait_doubles_and_is_capped_at_15_minutes(
    app: Flask, client: FlaskClient, hashes: list[str]
) -> None:
    make_user(app)
    set_failures(app, 9, seconds_ago=0)
    assert re.search(r"wait 1[56] seconds", text(sign_in(client)))  # 2**4 s
    set_failures(app, 11, seconds_ago=14)
    assert re.search(r"wait (49|50) seconds", text(sign_in(client)))  # 2**6 s, 14 s gone
    set_failures(app, 12, seconds_ago=0)
    assert "wait 3 minutes" in text(sign_in(client))  # 128 s, rounded up to whole minutes
    set_failures(app, 40, seconds_ago=0)
    assert "wait 15 minutes" in text(sign_in(client))
    assert hashes == []

    set_failures(app, 40, seconds_ago=15 * 60 + 1)
    assert sign_in(client).status_code == 302


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (14, 512), (15, 900), (99, 900)],
)
def test_wait_seconds(app: Flask, failures: int, wait: int) -> None:
    now = utcnow()
    user = User(failed_login_count=failures, last_failed_login_at=now)
    assert signin.wait_seconds(user, now) == wait


def test_one_hundred_failures_lock_the_account_until_a_password_reset(
    app: Flask, client: FlaskClient, hashes: list[str]
) -> None:
    make_user(app)
    set_failures(app, 99, seconds_ago=3600)
    response = sign_in(client, password="the hundredth guess")
    assert LOCKED_MESSAGE in text(response)
    assert "reset your password" in text(response)
    assert len(hashes) == 1

    # Locked: the right password is refused without being checked, now and much later.
    set_failures(app, 100, seconds_ago=30 * 24 * 3600)
    assert LOCKED_MESSAGE in text(sign_in(client))
    assert len(hashes) == 1
    with app.app_context():
        user = db.session.get(User, 1)
        assert user.locked_until is not None and user.locked_until > utcnow()
        event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.subject_id, event.actor_id) == (
            "auth.account_locked",
            "1",
            None,
        )
        token = resets.make_reset_token(user)

    # A password reset unlocks it.
    response = client.post(f"/auth/reset/{token}", data={"new_password": "a fresh start today"})
    assert response.status_code == 302
    assert sign_in(client, password="a fresh start today").status_code == 302
    with app.app_context():
        user = db.session.get(User, 1)
        assert (user.failed_login_count, user.locked_until) == (0, None)


def test_wrong_current_passwords_count_towards_the_throttle(
    app: Flask, client: FlaskClient, hashes: list[str]
) -> None:
    make_user(app)
    assert sign_in(client).status_code == 302
    for _ in range(5):
        response = client.post(
            "/auth/password",
            data={"current_password": "a wrong guess", "new_password": "something else entirely"},
        )
        assert "That is not your current password." in text(response)
    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "something else entirely"},
    )
    assert WAIT_MESSAGE in text(response)
    assert len(hashes) == 6  # the sign-in and five wrong guesses; none during the wait


def test_too_many_sign_ins_from_one_address_get_429(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user(app)
    make_user(app, email="ben@example.com")
    client = app.test_client()
    page = text(client.get("/auth/login"))
    token = csrf_token_in(page)

    for _ in range(3):
        assert WRONG_MESSAGE in text(sign_in(client, password="guess", csrf_token=token))
    response = sign_in(client, csrf_token=token)
    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    # Another account from the same address is refused too; reading the page is not.
    response = client.post(
        "/auth/login",
        data={"email": "ben@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 429
    assert client.get("/auth/login").status_code == 200
    # A different address is not affected.
    other = app.test_client()
    page = text(other.get("/auth/login"))
    token = csrf_token_in(page)
    response = other.post(
        "/auth/login",
        data={"email": "ben@example.com", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert response.status_code == 302


# -- the password is checked outside the write transaction ----------------------------


def _while_hashing(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` in the middle of the sign-in's password check."""

    def verify_then_act(stored_hash: str, password: str) -> bool:
        matched = verify_password(stored_hash, password)
        action()
        return matched

    monkeypatch.setattr(signin, "verify_password", verify_then_act)


def _update_account_elsewhere(**values: object) -> Callable[[], None]:
    """An action that changes the account through a second connection that never waits."""
    statement = update(User).where(User.id == 1).values(**values)
    return partial(write_elsewhere_without_waiting, statement)


def test_other_writers_are_not_held_up_while_a_sign_in_hashes(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    saved: list[str] = []

    def another_learner_saves() -> None:
        write_elsewhere_without_waiting(
            update(User).where(User.id == 1).values(profession="Social worker")
        )
        saved.append("saved")

    _while_hashing(monkeypatch, another_learner_saves)
    response = sign_in(client)
    assert response.status_code == 302  # signed in
    assert saved == ["saved"]
    with app.app_context():
        user = db.session.get(User, 1)
        assert user.profession == "Social worker" and user.last_login_at is not None


def test_a_password_changed_while_the_old_one_was_checked_does_not_sign_in(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)

    password_reset_elsewhere = _update_account_elsewhere(password_hash="$argon2id$new")
    _while_hashing(monkeypatch, password_reset_elsewhere)
    response = sign_in(client)
    assert WRONG_MESSAGE in text(response)
    with app.app_context():
        assert db.session.get(User, 1).failed_login_count == 0  # not the person's mistake


def test_an_account_locked_while_the_password_was_checked_stays_locked(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)

    locked_by_parallel_failures = _update_account_elsewhere(
        failed_login_count=100, locked_until=signin.LOCKED_UNTIL_RESET
    )
    _while_hashing(monkeypatch, locked_by_parallel_failures)
    response = sign_in(client)  # the right password, but too late
    assert LOCKED_MESSAGE in text(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session

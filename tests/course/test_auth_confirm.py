"""Changes that need a password hashed do the hashing before they take the write lock.

A password change, an email change, an account deletion and a password reset each
spend one or two argon2 hashes (30 ms each). On SQLite every other learner's save waits
while a request holds the write lock, so the hashing happens first and the account is
read again under the lock to record the result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from course.auth import resets, services, signin, throttle
from course.auth.passwords import hash_password, verify_password
from course.db import utcnow
from course.extensions import db
from course.models import User
from tests.course.factories import sign_in_failures, write_elsewhere_without_waiting
from tests.course.test_auth import PASSWORD, make_user, sign_in, text

NEW_PASSWORD = "a lantern by the harbour"


def _during(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[str]:
    """Run ``action`` in the middle of every password hash or check; return their names."""
    done: list[str] = []

    def verify_then_act(stored_hash: str, password: str) -> bool:
        matched = verify_password(stored_hash, password)
        action()
        done.append("check")
        return matched

    def hash_then_act(password: str) -> str:
        hashed = hash_password(password)
        action()
        done.append("hash")
        return hashed

    monkeypatch.setattr(signin, "verify_password", verify_then_act)
    monkeypatch.setattr(services, "hash_password", hash_then_act)
    return done


def _on_account(**values: object) -> Callable[[], None]:
    """A write to the account through a second connection that never waits for a lock."""
    statement = update(User).where(User.id == 1).values(**values)
    return partial(write_elsewhere_without_waiting, statement)


def _reset_token(app: Flask) -> str:
    with app.app_context():
        return resets.make_reset_token(db.session.get(User, 1))


def _change_password(client: FlaskClient, app: Flask):
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    return client.post("/auth/password", data=data)


def _change_email(client: FlaskClient, app: Flask):
    data = {"full_name": "Ana Ruiz", "email": "ana.new@example.com", "current_password": PASSWORD}
    return client.post("/auth/profile", data=data)


def _delete_account(client: FlaskClient, app: Flask):
    return client.post("/auth/delete", data={"password": PASSWORD, "understood": "y"})


def _reset_password(client: FlaskClient, app: Flask):
    return client.post(f"/auth/reset/{_reset_token(app)}", data={"new_password": NEW_PASSWORD})


@pytest.mark.parametrize(
    ("post", "hashing"),
    [
        (_change_password, ["check", "hash"]),
        (_change_email, ["check"]),
        (_delete_account, ["check"]),
        (_reset_password, ["hash"]),
    ],
    ids=["password change", "email change", "deletion", "reset"],
)
def test_the_account_can_be_written_while_the_change_hashes(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, post, hashing: list[str]
) -> None:
    make_user(app)
    assert sign_in(client).status_code == 302
    done = _during(monkeypatch, _on_account(licence_jurisdiction="Ohio"))
    response = post(client, app)
    # Before this, the request held the write lock (SQLite) or the account's row lock
    # (PostgreSQL) while it hashed, and the other write would have failed at once.
    assert response.status_code == 302, text(response)
    assert done == hashing


def test_a_password_changed_while_the_current_one_was_checked_is_refused(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    assert sign_in(client).status_code == 302
    _during(monkeypatch, _on_account(password_hash=hash_password("set by a reset elsewhere")))
    response = _change_password(client, app)
    assert "That is not your current password." in text(response)
    with app.app_context():
        user = db.session.get(User, 1)
        assert verify_password(user.password_hash, "set by a reset elsewhere")
        assert sign_in_failures(user.email) == 0  # not the person's mistake


def test_a_reset_link_used_while_the_new_password_hashed_is_refused(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    token = _reset_token(app)
    used_in_another_tab = _on_account(password_hash=hash_password("chosen in another tab"))
    _during(monkeypatch, used_in_another_tab)
    response = client.post(f"/auth/reset/{token}", data={"new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "already been used" in text(response)
    with app.app_context():
        user = db.session.get(User, 1)
        assert verify_password(user.password_hash, "chosen in another tab")


def test_a_refused_new_password_is_not_hashed_and_still_clears_earlier_slips(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)
    assert sign_in(client).status_code == 302
    client.delete_cookie("device")  # counted per address, not per trusted browser
    with app.app_context():
        key = throttle.key(throttle.Scope.PAIR, "ana@example.com", "127.0.0.1")
        for _ in range(3):
            throttle.record_failure(key, utcnow())
        db.session.commit()
    done = _during(monkeypatch, lambda: None)
    data = {"current_password": PASSWORD, "new_password": "password1"}
    response = client.post("/auth/password", data=data)
    assert "one of the most commonly used" in text(response)
    assert done == ["check"]
    with app.app_context():
        user = db.session.get(User, 1)
        assert verify_password(user.password_hash, PASSWORD)
        assert sign_in_failures(user.email) == 0  # the right current password was recorded

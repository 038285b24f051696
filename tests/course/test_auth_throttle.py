"""Sign-in throttling without lockouts: per address and email pair, per email from
unknown browsers, per trusted browser (device cookie), and per address (429)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.auth import signin, throttle
from course.auth.passwords import verify_password
from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, SignInThrottle, User
from course.users import create_user
from tests.course.factories import (
    csrf_token_in,
    sign_in_failures,
    write_elsewhere_without_waiting,
)

PASSWORD = "correct horse battery staple"
WRONG_MESSAGE = "That email address and password do not match an account."
WAIT_MESSAGE = "To keep the account safe, please wait"


def make_user(app: Flask, email: str = "ana@example.com") -> int:
    """Create an account and return its id."""
    with app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name="Ana Ruiz")
        db.session.commit()
        return user.id


def sign_in(client: FlaskClient, password: str = PASSWORD, email: str = "ana@example.com",
            ip: str = "127.0.0.1", **extra):
    """Post the sign-in form from a network address."""
    return client.post(
        "/auth/login",
        data={"email": email, "password": password, **extra},
        environ_base={"REMOTE_ADDR": ip},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def set_failures(app: Flask, scope: str, count: int, seconds_ago: float,
                 email: str = "ana@example.com", ip: str = "127.0.0.1") -> None:
    """Pretend a counter holds ``count`` failures, the last one a while ago."""
    with app.app_context():
        parts = (email, ip) if scope == "pair" else (email,)
        key = throttle.key(throttle.Scope(scope), *parts)
        throttle.clear([key])
        for _ in range(count):
            throttle.record_failure(key, utcnow() - timedelta(seconds=seconds_ago))
        db.session.commit()


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every password check the sign-in service makes."""
    calls: list[str] = []

    def counting_verify(stored_hash: str, password: str) -> bool:
        calls.append(password)
        return verify_password(stored_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting_verify)
    return calls


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list:
    """The sign-in service's clock, which a test moves on by hand.

    A test that sets a one- or two-second wait and then signs in needs it: on a slow
    machine the wait could be over before the sign-in is read."""
    now = [utcnow()]
    monkeypatch.setattr(signin, "utcnow", lambda: now[0])
    return now


def test_five_failures_from_one_address_start_a_wait_in_which_no_password_is_checked(
    app: Flask, client: FlaskClient, hashes: list[str], clock: list
) -> None:
    make_user(app)
    for _ in range(5):
        assert WRONG_MESSAGE in text(sign_in(client, password="a wrong guess"))
    assert len(hashes) == 5

    # Even the right password is turned away, and without being hashed.
    response = sign_in(client)
    assert WAIT_MESSAGE in text(response)
    assert "wait 1 second and try again" in text(response)
    assert len(hashes) == 5
    assert "Sign out" not in text(response)
    # Another address is not held up by this one's failures.
    assert sign_in(app.test_client(), ip="192.0.2.7").status_code == 302

    # Once the wait is over, the right password works and clears the count.
    clock[0] += timedelta(seconds=1)
    assert sign_in(client).status_code == 302
    with app.app_context():
        assert sign_in_failures("ana@example.com") == 0


def test_the_wait_doubles_and_is_capped_at_15_minutes(
    app: Flask, client: FlaskClient, hashes: list[str]
) -> None:
    make_user(app)
    set_failures(app, "pair", 9, seconds_ago=0)
    assert re.search(r"wait 1[56] seconds", text(sign_in(client)))  # 2**4 s
    set_failures(app, "pair", 11, seconds_ago=14)
    assert re.search(r"wait (49|50) seconds", text(sign_in(client)))  # 2**6 s, 14 s gone
    set_failures(app, "pair", 12, seconds_ago=0)
    assert "wait 3 minutes" in text(sign_in(client))  # 128 s, rounded up to whole minutes
    set_failures(app, "pair", 40, seconds_ago=0)
    assert "wait 15 minutes" in text(sign_in(client))
    assert hashes == []

    set_failures(app, "pair", 40, seconds_ago=15 * 60 + 1)
    assert sign_in(client).status_code == 302


@pytest.mark.parametrize(
    ("scope", "failures", "wait"),
    [
        ("pair", 0, 0), ("pair", 4, 0), ("pair", 5, 1), ("pair", 6, 2), ("pair", 7, 4),
        ("pair", 14, 512), ("pair", 15, 900), ("pair", 10_000, 900),
        ("account", 19, 0), ("account", 20, 1), ("account", 25, 32),
        ("device", 4, 0), ("device", 5, 1),
    ],
)
def test_wait_seconds(scope: str, failures: int, wait: int) -> None:
    now = utcnow()
    assert throttle.wait_seconds(throttle.Scope(scope), failures, now, now) == wait
    # A counter is forgotten a day after its last failure.
    day_ago = now - timedelta(days=1, seconds=1)
    assert throttle.wait_seconds(throttle.Scope(scope), failures, day_ago, now) == 0


def test_strangers_everywhere_cannot_keep_the_learner_out_of_their_own_browser(
    app: Flask, clock: list
) -> None:
    make_user(app)
    own = app.test_client()
    assert sign_in(own).status_code == 302  # an earlier sign-in gives the device cookie
    own.post("/auth/logout")
    cookie = own.get_cookie("device")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"

    # 150 wrong guesses from 30 addresses, one of them the learner's own (a shared office).
    for n in range(150):
        sign_in(app.test_client(), password=f"guess {n}", ip=f"198.51.100.{n % 30}")
    assert WAIT_MESSAGE in text(sign_in(app.test_client(), ip="203.0.113.9"))

    # The learner's own browser signs in at once, even from the guessers' address.
    assert sign_in(own, ip="198.51.100.0").status_code == 302
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action)).all()
        assert "auth.sign_in_throttled" in events  # admins can see the attack

    # No number of failures locks the account: a new browser gets in once the wait ends.
    clock[0] += throttle.MAX_WAIT + timedelta(seconds=1)
    assert sign_in(app.test_client(), ip="203.0.113.9").status_code == 302


def test_a_trusted_browser_that_keeps_failing_is_counted_like_any_other(
    app: Flask, hashes: list[str], clock: list
) -> None:
    make_user(app)
    own = app.test_client()
    sign_in(own)
    own.post("/auth/logout")
    for _ in range(5):  # its own five, which hold up no one else
        assert WRONG_MESSAGE in text(sign_in(own, password="a wrong guess"))
    with app.app_context():
        assert sign_in_failures("ana@example.com") == 0
    for _ in range(5):  # then the address pair's five
        assert WRONG_MESSAGE in text(sign_in(own, password="a wrong guess"))
    assert WAIT_MESSAGE in text(sign_in(own))
    assert len(hashes) == 11


def test_a_forged_or_foreign_device_cookie_is_ignored(app: Flask, clock: list) -> None:
    make_user(app)
    other = make_user(app, email="ben@example.com")
    bens = app.test_client()
    sign_in(bens, email="ben@example.com")
    cookie = bens.get_cookie("device").value
    set_failures(app, "pair", 5, seconds_ago=0)
    for value in (cookie, cookie[:-2] + "xx", "[[1, \"guessed\"]]"):
        stranger = app.test_client()
        stranger.set_cookie("device", value)
        assert WAIT_MESSAGE in text(sign_in(stranger)), value  # Ben's cookie is not Ana's
    assert other == 2


def test_unknown_and_known_addresses_get_the_same_answers_and_the_same_work(
    app: Flask, hashes: list[str], clock: list
) -> None:
    make_user(app)
    answers = {}
    for email in ("ana@example.com", "nobody@example.com"):
        client, seen = app.test_client(), []
        for _ in range(7):
            before = len(hashes)
            response = sign_in(client, email=email, password="a wrong guess")
            message = re.sub(r"wait \d+ \w+", "wait N", text(response))
            seen.append((response.status_code, WRONG_MESSAGE in message,
                         WAIT_MESSAGE in message, len(hashes) - before))
        answers[email] = seen
    assert answers["ana@example.com"] == answers["nobody@example.com"]
    assert [hashed for *_, hashed in answers["nobody@example.com"]] == [1] * 5 + [0, 0]


def test_wrong_current_passwords_count_towards_the_throttle(
    app: Flask, hashes: list[str], clock: list
) -> None:
    make_user(app)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    client.delete_cookie("device")  # a stolen session, without the learner's device cookie
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


def test_a_completed_password_reset_trusts_the_browser_that_used_the_link(app: Flask) -> None:
    from course.auth import resets

    make_user(app)
    set_failures(app, "account", 40, seconds_ago=0)
    browser = app.test_client()
    assert WAIT_MESSAGE in text(sign_in(browser))
    with app.app_context():
        token = resets.make_reset_token(db.session.get(User, 1))
    response = browser.post(f"/auth/reset/{token}", data={"new_password": "a fresh start today"})
    assert response.status_code == 302
    assert sign_in(browser, password="a fresh start today").status_code == 302


def test_too_many_sign_ins_from_one_address_get_429(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user(app)
    make_user(app, email="ben@example.com")
    own = app.test_client()
    token = csrf_token_in(text(own.get("/auth/login")))
    assert sign_in(own, csrf_token=token).status_code == 302  # Ana's browser, trusted
    own.delete_cookie("session")  # closed; the device cookie stays
    client = app.test_client()
    page = text(client.get("/auth/login"))
    token = csrf_token_in(page)

    for _ in range(2):
        assert WRONG_MESSAGE in text(sign_in(client, password="guess", csrf_token=token))
    response = sign_in(client, csrf_token=token)
    assert response.status_code == 429
    assert "Too many attempts" in text(response)
    # Another account from the same address is refused too; reading the page is not.
    response = sign_in(client, email="ben@example.com", csrf_token=token)
    assert response.status_code == 429
    assert client.get("/auth/login").status_code == 200
    # A different address is not affected, and neither is Ana's own browser.
    other = app.test_client()
    token = csrf_token_in(text(other.get("/auth/login")))
    response = sign_in(other, email="ben@example.com", csrf_token=token, ip="127.0.0.2")
    assert response.status_code == 302
    token = csrf_token_in(text(own.get("/auth/login")))
    assert sign_in(own, csrf_token=token).status_code == 302


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
        assert sign_in_failures("ana@example.com") == 0  # not the person's mistake


def test_an_attempt_that_finished_hashing_after_the_wait_began_is_refused(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app)

    def parallel_guesses_reach_the_limit() -> None:
        with app.app_context():
            key = throttle.key(throttle.Scope.PAIR, "ana@example.com", "127.0.0.1")
            for _ in range(5):
                throttle.record_failure(key, utcnow())
            db.session.commit()

    _while_hashing(monkeypatch, parallel_guesses_reach_the_limit)
    response = sign_in(client)  # the right password, but too late
    assert WAIT_MESSAGE in text(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session


@pytest.fixture
def key_change(make_app: Callable[..., Flask]) -> tuple[Flask, Flask]:
    """The app before a secret-key change, and after it with the old key as a fallback."""
    old_key, new_key = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    return (make_app(SECRET_KEY=old_key),
            make_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key]))


def _wait_over(app: Flask) -> None:
    """Age every counter's last failure past any wait so far."""
    with app.app_context():
        db.session.execute(update(SignInThrottle).values(
            last_failed_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()


def test_a_secret_key_change_gives_a_guesser_no_fresh_tries(
    key_change: tuple[Flask, Flask], clock: list
) -> None:
    before, after = key_change
    make_user(before)
    set_failures(before, "pair", 5, seconds_ago=0)

    guesser = after.test_client()
    assert WAIT_MESSAGE in text(sign_in(guesser, "guess 6"))
    # Once the wait is over, the count goes on from five, not from nothing: one more
    # failure and the next guess waits again.
    _wait_over(after)
    assert WRONG_MESSAGE in text(sign_in(guesser, "guess 6"))
    assert WAIT_MESSAGE in text(sign_in(guesser, "guess 7"))
    with after.app_context():  # the pair's count moved to the new key: one row
        assert db.session.scalars(
            select(SignInThrottle.failures).where(SignInThrottle.scope == "pair")).all() == [6]
    _wait_over(after)
    # A correct password clears the counts under both keys.
    set_failures(before, "account", 2, seconds_ago=600)
    assert sign_in(guesser).status_code == 302
    with after.app_context():
        assert db.session.scalars(select(SignInThrottle)).all() == []


def test_parallel_failures_after_a_key_change_take_the_retired_count_over_once(
    key_change: tuple[Flask, Flask]
) -> None:
    before, after = key_change
    with after.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite writes one request at a time (BEGIN IMMEDIATE)")
    set_failures(before, "account", 5, seconds_ago=0)
    recorded, release = threading.Event(), threading.Event()

    def first() -> None:
        with after.app_context():
            throttle.record_failure(throttle.key(throttle.Scope.ACCOUNT, "ana@example.com"),
                                    utcnow())
            recorded.set()
            release.wait(10)
            db.session.commit()

    def second() -> None:
        with after.app_context():
            throttle.record_failure(throttle.key(throttle.Scope.ACCOUNT, "ana@example.com"),
                                    utcnow())
            db.session.commit()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    assert recorded.wait(10)
    two.start()  # reads the retired row, then waits on the first's delete of it
    two.join(0.5)
    release.set()
    one.join(10)
    two.join(10)
    with after.app_context():
        assert db.session.scalars(select(SignInThrottle.failures)).all() == [7]


def test_a_fallback_equal_to_the_current_key_is_not_a_retired_one(
    make_app: Callable[..., Flask]
) -> None:
    same = "same-key-" + "s" * 40
    app = make_app(SECRET_KEY=same, SECRET_KEY_FALLBACKS=[same, same])
    with app.app_context():
        assert throttle.key(throttle.Scope.ACCOUNT, "ana@example.com").retired == ()


def _three_under_each_key(before: Flask, after: Flask, seconds_ago: int) -> None:
    """Ana's pair with three failures counted by a restarted server, under the new key,
    and three by one still on the old key, ``seconds_ago``."""
    make_user(before)
    set_failures(after, "pair", 3, seconds_ago=seconds_ago)
    with before.app_context():
        old = throttle.key(throttle.Scope.PAIR, "ana@example.com", "127.0.0.1")
        for _ in range(3):
            throttle.record_failure(old, utcnow() - timedelta(seconds=seconds_ago))
        db.session.commit()


def test_a_count_that_jumps_past_the_limit_is_still_logged(
    key_change: tuple[Flask, Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """While servers restart one by one, both keys hold counts; one failure adds both."""
    before, after = key_change
    _three_under_each_key(before, after, seconds_ago=600)
    with caplog.at_level("WARNING", logger="course.auth.signin"):
        assert WRONG_MESSAGE in text(sign_in(after.test_client(), "guess 7"))  # 3 + 3 + 1
    assert "Sign-in attempts now wait: 7 failures (pair)" in caplog.text
    with after.app_context():
        assert db.session.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "auth.sign_in_throttled")
        ) == {"scope": "pair", "failures": 7}


def test_counts_under_both_keys_add_up_to_a_wait_while_servers_restart(
    key_change: tuple[Flask, Flask], clock: list
) -> None:
    """A guesser spreading tries over a restarted server and one still on the old key
    waits once the two counts together pass the free tries, not one alone."""
    before, after = key_change
    _three_under_each_key(before, after, seconds_ago=0)
    assert WAIT_MESSAGE in text(sign_in(after.test_client(), "guess 7"))  # 3 + 3 of 5 free
    # Old failures are forgotten on their own and add nothing.
    set_failures(after, "pair", 3, seconds_ago=2 * 24 * 3600)
    with after.app_context():
        assert throttle.waits([throttle.key(throttle.Scope.PAIR, "ana@example.com",
                                            "127.0.0.1")], utcnow())[throttle.Scope.PAIR] == 0

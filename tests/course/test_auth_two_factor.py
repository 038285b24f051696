"""Two-step verification for staff: an authenticator app's code after the password, used
once; recovery codes that work once; the site's requirement; an admin's clearing."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.auth import twofactor
from course.auth.passwords import hash_password
from course.extensions import db
from course.models import AuditEvent, RecoveryCode, Role, SecondFactor, User
from tests.course.factories import PASSWORD, csrf_token_in, make_user, sign_in
from tests.smtp_sink import Inbox


def text(response) -> str:
    return response.get_data(as_text=True)


def password_step(client: FlaskClient, user: User, **extra: str):
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD, **extra})


def signed_in(client: FlaskClient) -> bool:
    return client.get("/auth/profile").status_code == 200


def enroll(client: FlaskClient) -> tuple[pyotp.TOTP, list[str]]:
    """Set up an app from the setup page as a person would; return it and the codes shown."""
    page = text(client.get("/auth/two-factor/setup"))
    key = re.search(r'class="setup-key">Setup key: <code>([A-Z2-7 ]+)</code>', page).group(1)
    token = re.search(r'name="enrollment" type="hidden" value="([^"]+)"', page).group(1)
    totp = pyotp.TOTP(key.replace(" ", ""))
    shown = client.post("/auth/two-factor/setup", data={"enrollment": html.unescape(token),
                                                        "code": totp.now()})
    assert shown.status_code == 200, text(shown)
    codes = re.findall(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", text(shown))
    assert len(codes) == 10
    return totp, codes


def code_at(totp: pyotp.TOTP, steps: int) -> str:
    """The app's code ``steps`` 30-second steps from now."""
    return totp.at(time.time() + 30 * steps)


@pytest.fixture
def staff(app: Flask) -> Callable[..., tuple[User, pyotp.TOTP, list[str]]]:
    """Make a staff account with an authenticator app set up; return it, the app, codes."""

    def make(role: Role = Role.ADMIN) -> tuple[User, pyotp.TOTP, list[str]]:
        with app.app_context():
            user = make_user(role=role)
        client = app.test_client()
        password_step(client, user)  # fresh: setting it up asks for the password first
        totp, codes = enroll(client)
        return user, totp, codes

    return make


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_signing_in_needs_the_code_after_the_password(app: Flask, staff) -> None:
    user, totp, _ = staff()
    client = app.test_client()
    step = password_step(client, user, next="/admin/")
    assert step.status_code == 302 and step.location.endswith("/auth/sign-in/code")
    # The right password alone signs nobody in.
    assert not signed_in(client)
    page = text(client.get("/auth/sign-in/code"))
    assert "Enter the 6-digit code from your authenticator app" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    wrong = client.post("/auth/sign-in/code", data={"code": "000000"})
    assert wrong.status_code == 422 and "That code did not work" in text(wrong)
    assert 'aria-describedby="code-hint code-error"' in text(wrong)
    # One step of clock drift is allowed.
    done = client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    assert done.status_code == 302 and done.location == "/admin/"
    assert signed_in(client)


def test_half_signed_in_the_header_offers_a_way_out(app: Flask, staff) -> None:
    user, _, _ = staff()
    client = app.test_client()
    password_step(client, user)
    for path in ("/auth/sign-in/code", "/auth/sign-in/recovery-code"):
        header = text(client.get(path)).split("<main", 1)[0]
        assert "Create account" not in header and ">Sign in<" not in header
        assert "Cancel signing in" in header
    cancel = client.post("/auth/sign-in/cancel", follow_redirects=True)
    assert "Signing in was canceled. You are not signed in." in text(cancel)
    # The right password is forgotten: the code step sends back to the password.
    again = client.get("/auth/sign-in/code")
    assert again.status_code == 302 and again.location.endswith("/auth/login")


class _Described(HTMLParser):
    """Collect the elements that carry aria-describedby though they take no focus."""

    FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary", "iframe"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "aria-describedby" in names and tag not in self.FOCUSABLE \
                and "tabindex" not in names and "role" not in names:
            self.found.append(tag)


def test_the_setup_key_is_named_in_its_own_text(app: Flask) -> None:
    # Most screen readers ignore aria-describedby on an element that takes no focus.
    with app.app_context():
        user = make_user(role=Role.AUTHOR)
    client = app.test_client()
    password_step(client, user)
    page = text(client.get("/auth/two-factor/setup"))
    described = _Described()
    described.feed(page)
    assert described.found == []
    assert re.search(r'<p class="setup-key">Setup key: <code>[A-Z2-7 ]+</code></p>', page)


def test_the_last_sign_in_is_stamped_when_the_second_step_is_done(app: Flask, staff) -> None:
    # An admin reads "Last sign-in" on the person's record: a right password whose code
    # never followed (a lost phone, or someone else holding the password) is no sign-in.
    user, totp, _ = staff()
    with app.app_context():
        before = db.session.get(User, user.id).last_login_at
    client = app.test_client()
    password_step(client, user)
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at == before
    client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at > before


def test_a_code_already_used_is_refused(app: Flask, staff) -> None:
    user, totp, _ = staff()
    first = app.test_client()
    password_step(first, user)
    code = code_at(totp, 1)
    assert first.post("/auth/sign-in/code", data={"code": code}).status_code == 302
    # Someone who saw that code over a shoulder, with the password, gets nowhere.
    second = app.test_client()
    password_step(second, user)
    replay = second.post("/auth/sign-in/code", data={"code": code})
    assert replay.status_code == 422 and not signed_in(second)
    # Nor does an older code still inside the drift window.
    older = second.post("/auth/sign-in/code", data={"code": totp.now()})
    assert older.status_code == 422 and not signed_in(second)


def test_a_recovery_code_works_once_and_the_owner_is_told(
    app: Flask, staff, inbox: Inbox
) -> None:
    user, _, codes = staff()
    client = app.test_client()
    password_step(client, user)
    page = text(client.get("/auth/sign-in/recovery-code"))
    assert "Enter one of your recovery codes" in page
    # Typed in capitals, as printed codes often are read out.
    used = client.post("/auth/sign-in/recovery-code", data={"code": codes[3].upper()})
    assert used.status_code == 302 and signed_in(client)
    [event] = events(app, "auth.recovery_code_used")
    assert event.detail["codes_left"] == 9 and event.ip_address == "127.0.0.1"
    [message] = inbox.wait_for(1)
    assert message["Subject"] == "A recovery code was used to sign in"
    assert inbox.recipients[-1] == [user.email]
    again = app.test_client()
    password_step(again, user)
    refused = again.post("/auth/sign-in/recovery-code", data={"code": codes[3]})
    assert refused.status_code == 422 and "did not work" in text(refused)
    assert not signed_in(again)


def test_wrong_codes_hold_the_account_up_for_a_while(app: Flask, staff) -> None:
    user, totp, _ = staff()
    client = app.test_client()
    password_step(client, user)
    for _ in range(5):
        client.post("/auth/sign-in/code", data={"code": "123456"})
    # Even the right code now waits: guessing a million codes is not on.
    held = client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    assert held.status_code == 422 and "please wait" in text(held)
    assert not signed_in(client)
    assert events(app, "auth.second_factor_throttled")


def test_the_second_step_lapses(app: Flask, staff, monkeypatch: pytest.MonkeyPatch) -> None:
    user, totp, _ = staff()
    client = app.test_client()
    password_step(client, user)
    later = time.time() + 6 * 60
    monkeypatch.setattr("course.auth.secondstep.time.time", lambda: later)
    lapsed = client.post("/auth/sign-in/code", data={"code": totp.now()})
    assert lapsed.status_code == 302 and lapsed.location.endswith("/auth/login")
    assert "must be finished within 5 minutes" in text(client.get("/auth/login"))
    assert not signed_in(client)


def test_learners_sign_in_with_the_password_alone(app: Flask) -> None:
    app.config["REQUIRE_STAFF_TWO_FACTOR"] = True
    with app.app_context():
        learner = make_user()
    client = app.test_client()
    assert password_step(client, learner).location == "/"
    assert signed_in(client)
    assert client.get("/me").status_code == 200
    # Nor is the setup offered to them.
    assert client.get("/auth/two-factor").status_code == 404
    assert client.get("/auth/two-factor/setup").location.endswith("/auth/two-factor")


def test_required_setting_sends_staff_to_set_up_before_anything_else(app: Flask) -> None:
    app.config["REQUIRE_STAFF_TWO_FACTOR"] = True
    with app.app_context():
        author = make_user(role=Role.AUTHOR)
    client = app.test_client()
    password_step(client, author)
    for path in ("/author/", "/admin/", "/auth/profile", "/"):
        sent = client.get(path)
        assert sent.status_code == 303 and sent.location.endswith("/auth/two-factor/setup")
    assert client.post("/auth/logout").status_code == 302
    password_step(client, author)
    page = text(client.get("/auth/two-factor/setup"))
    assert "requires two-step verification for staff" in page
    enroll(client)
    assert client.get("/author/").status_code == 200


def test_turning_it_off_needs_a_code_or_the_password(app: Flask, staff, inbox: Inbox) -> None:
    user, totp, _ = staff(Role.AUTHOR)
    client = app.test_client()
    password_step(client, user)
    client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    refused = client.post("/auth/two-factor/off", data={"password": "not my password"})
    assert refused.status_code == 422
    done = client.post("/auth/two-factor/off", data={"password": PASSWORD})
    assert done.status_code == 302
    [event] = events(app, "auth.second_factor_disabled")
    assert event.actor_id == user.id and event.detail["confirmed_with"] == "password"
    assert inbox.wait_for(1)[0]["Subject"] == "Two-step verification is off for your account"
    assert password_step(app.test_client(), user).location == "/"


def test_new_recovery_codes_replace_the_old_ones(app: Flask, staff) -> None:
    user, totp, old = staff()
    client = app.test_client()
    password_step(client, user)
    client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    shown = client.post("/auth/two-factor/recovery-codes", data={"code": code_at(totp, 0)})
    assert shown.status_code == 422  # an older step than the one just used
    shown = client.post("/auth/two-factor/recovery-codes", data={"password": PASSWORD})
    new = re.findall(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", text(shown))
    assert len(new) == 10 and not set(new) & set(old)
    assert shown.headers["Cache-Control"] == "no-store"
    other = app.test_client()
    password_step(other, user)
    assert other.post("/auth/sign-in/recovery-code", data={"code": old[0]}).status_code == 422
    assert other.post("/auth/sign-in/recovery-code", data={"code": new[0]}).status_code == 302


def test_an_admin_clears_a_lost_phone_with_a_reason_and_it_is_audited(
    app: Flask, staff, inbox: Inbox
) -> None:
    author, _, _ = staff(Role.AUTHOR)
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
    client = sign_in(app.test_client(), admin)
    record = text(client.get(f"/admin/learners/{author.id}"))
    assert "Turn off two-step verification" in record
    url = f"/admin/learners/{author.id}/second-factor/clear"
    refused = client.post(url, data={"reason": ""})
    assert refused.status_code == 422 and "Give the reason." in text(refused)
    done = client.post(url, data={"reason": "Lost her phone; called from her desk line"},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})  # fmt: skip
    assert done.status_code == 303
    [event] = events(app, "auth.second_factor_cleared")
    assert event.actor_id == admin.id and event.subject_id == str(author.id)
    assert event.detail["reason"] == "Lost her phone; called from her desk line"
    assert event.ip_address == "198.51.100.7" and event.created_at is not None
    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Two-step verification is off for your account"
    assert "A site administrator turned off" in message.get_body().get_content()
    assert inbox.recipients[-1] == [author.email]
    with app.app_context():
        assert db.session.get(SecondFactor, author.id) is None
        assert not db.session.scalars(select(RecoveryCode)).all()
    # The author signs in with the password alone again.
    assert password_step(app.test_client(), author).location == "/"
    # An author cannot clear anyone's.
    assert sign_in(app.test_client(), author).post(url, data={"reason": "x"}).status_code == 403


def test_the_secret_is_stored_encrypted(app: Flask, staff) -> None:
    user, totp, codes = staff()
    with app.app_context():
        factor = db.session.get(SecondFactor, user.id)
        assert totp.secret not in factor.secret
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert all(re.match(r"tag:[0-9a-f]{4}:[0-9a-f]{4}\$argon2id\$", h) for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)


def test_a_recovery_code_try_costs_at_most_one_password_hash(
    app: Flask, staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten argon2 hashes for each wrong try were server time anyone could make it spend.
    user, _, codes = staff()
    hashed: list[str] = []
    real = twofactor.verify_password
    monkeypatch.setattr(twofactor, "verify_password",
                        lambda stored, typed: hashed.append(stored) or real(stored, typed))
    client = app.test_client()
    password_step(client, user)
    wrong = client.post("/auth/sign-in/recovery-code", data={"code": "abcde-fghjk"})
    assert wrong.status_code == 422
    assert len(hashed) <= 1  # none, unless its 16-bit tag happens to match (1 in 6,500)
    hashed.clear()
    assert client.post("/auth/sign-in/recovery-code", data={"code": codes[4]}).status_code == 302
    assert len(hashed) == 1


def test_recovery_codes_kept_from_before_still_work_once(app: Flask, staff) -> None:
    # Codes shown before they were stored as keyed hashes are still on staff's paper.
    user, _, codes = staff()
    with app.app_context():
        rows = db.session.scalars(select(RecoveryCode).order_by(RecoveryCode.id)).all()
        for row, code in zip(rows, codes, strict=True):
            row.code_hash = hash_password(code.replace("-", ""))
        db.session.commit()
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/recovery-code", data={"code": codes[2]}).status_code == 302
    again = app.test_client()
    password_step(again, user)
    assert again.post("/auth/sign-in/recovery-code", data={"code": codes[2]}).status_code == 422
    assert again.post("/auth/sign-in/recovery-code", data={"code": codes[3]}).status_code == 302


def test_recovery_codes_survive_a_secret_key_change_with_a_fallback(app: Flask, staff) -> None:
    user, _, codes = staff()
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "another-secret-key-changed-with-care-this-time"
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/recovery-code", data={"code": codes[0]}).status_code == 302


def test_a_key_rotated_on_schedule_keeps_the_app_working(app: Flask, staff) -> None:
    # deployment.md's schedule: the old key moves to the fallbacks, and is dropped later.
    user, totp, _ = staff()
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.config["SECRET_KEY"] = "the-new-secret-key-of-the-yearly-rotation"
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)}).status_code == 302
    # That sign-in stored the secret under the new key: the fallback can go.
    app.config["SECRET_KEY_FALLBACKS"] = []
    with app.app_context():  # some minutes later, as codes go
        db.session.get(SecondFactor, user.id).last_step -= 10
        db.session.commit()
    later = app.test_client()
    password_step(later, user)
    done = later.post("/auth/sign-in/code", data={"code": totp.now()})
    assert done.status_code == 302 and signed_in(later), text(done)


def test_the_command_line_moves_every_secret_to_the_new_key(app: Flask, staff) -> None:
    user, totp, _ = staff()
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "the-new-secret-key-of-the-yearly-rotation"
    result = app.test_cli_runner().invoke(
        args=["keys", "move-to-current", "--reason", "yearly rotation"])
    assert result.exit_code == 0 and "moved to the current key: 1." in result.output
    [event] = events(app, "key.secrets_moved")  # who ran it, where, why and what it did
    assert event.detail["reason"] == "yearly rotation" and event.detail["moved"] == 1
    assert event.detail["via"] and event.detail["os_user"] and event.detail["host"]
    app.config["SECRET_KEY_FALLBACKS"] = []
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)}).status_code == 302


def test_recovery_codes_outlive_the_key_they_were_made_under(app: Flask, staff) -> None:
    user, _, codes = staff()
    app.config["SECRET_KEY"] = "the-new-secret-key-and-the-old-one-dropped"
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/recovery-code", data={"code": codes[0]}).status_code == 302


def test_enabling_is_audited(app: Flask, staff) -> None:
    user, _, _ = staff()
    [event] = events(app, "auth.second_factor_enabled")
    assert event.actor_id == user.id and event.ip_address == "127.0.0.1"


def test_a_deleted_account_keeps_no_secret_or_codes(app: Flask, staff) -> None:
    # Staff cannot delete their accounts; someone made a learner again can, and their
    # authenticator secret and recovery codes go with the rest of what names them.
    user, totp, _ = staff(Role.AUTHOR)
    with app.app_context():
        db.session.get(User, user.id).role = Role.LEARNER
        db.session.commit()
    client = app.test_client()
    password_step(client, user)
    client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    gone = client.post("/auth/delete", data={"password": PASSWORD, "understood": "y"})
    assert gone.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).deleted_at is not None
        assert db.session.get(SecondFactor, user.id) is None
        assert not db.session.scalars(select(RecoveryCode)).all()


def test_a_double_click_on_the_code_step_lands_signed_in(app: Flask, staff) -> None:
    user, totp, _ = staff()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token_in(text(client.get("/auth/login")))
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": token})  # fmt: skip
    token = csrf_token_in(text(client.get("/auth/sign-in/code")))
    code = code_at(totp, 1)
    first = client.post("/auth/sign-in/code", data={"code": code, "csrf_token": token})
    assert first.status_code == 302 and signed_in(client)
    # The second click carries the form token of the half-signed-in session.
    second = client.post("/auth/sign-in/code", data={"code": code, "csrf_token": token})
    assert second.status_code == 303 and signed_in(client)


def test_the_command_line_clears_the_last_admins_lost_phone(app: Flask, staff) -> None:
    user, _, _ = staff()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "clear-second-factor", "--email", user.email,
                                 "--reason", "Only admin; phone lost; ID checked"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [event] = events(app, "auth.second_factor_cleared")
    assert event.actor_id is None and event.detail["via"] == "command line"
    assert event.detail["reason"] == "Only admin; phone lost; ID checked"
    assert password_step(app.test_client(), user).location == "/"


def test_a_secret_under_a_dropped_key_is_a_plain_refusal(app: Flask, staff) -> None:
    user, totp, _ = staff()
    app.config["SECRET_KEY"] = "another-secret-key-after-a-careless-change"
    client = app.test_client()
    password_step(client, user)
    refused = client.post("/auth/sign-in/code", data={"code": code_at(totp, 1)})
    assert refused.status_code == 422 and "can no longer be read" in text(refused)
    assert "Ask a site administrator" in text(refused)


def test_a_password_reset_does_not_skip_the_code(app: Flask, staff, inbox: Inbox) -> None:
    from tests.course.test_auth_reset import request_link

    user, _, _ = staff()
    client = app.test_client()
    path = request_link(client, inbox, user.email)
    assert client.post(path, data={"new_password": "a fresh start today"}).status_code == 302
    step = client.post("/auth/login", data={"email": user.email,
                                            "password": "a fresh start today"})  # fmt: skip
    assert step.location.endswith("/auth/sign-in/code") and not signed_in(client)


def test_staff_kept_signed_in_confirm_their_password_before_setting_up(app: Flask) -> None:
    # A sign-in restored from "keep me signed in" is not fresh: the setup page asks for the
    # password first, and that page must not send them back to the setup page.
    app.config["REQUIRE_STAFF_TWO_FACTOR"] = True
    with app.app_context():
        author = make_user(role=Role.AUTHOR)
    client = app.test_client()
    sign_in(client, author)
    with client.session_transaction() as session:
        session["_fresh"] = False
    setup = client.get("/auth/two-factor/setup")
    assert setup.status_code == 302 and "/auth/login" in setup.location
    assert client.get(setup.location).status_code == 200
    password_step(client, author)
    assert client.get("/auth/two-factor/setup").status_code == 200


def test_the_data_download_says_whether_it_is_on_and_how_many_codes_are_left(
    app: Flask, staff
) -> None:
    user, totp, codes = staff()
    client = app.test_client()
    password_step(client, user)
    assert client.post("/auth/sign-in/recovery-code", data={"code": codes[0]}).status_code == 302
    download = client.get("/auth/profile/my-data.json")
    held = download.get_json()["two_step_verification"]
    assert held["on"] is True and held["recovery_codes_left"] == 9
    assert held["turned_on_at"].startswith(str(time.gmtime().tm_year))
    raw = text(download)  # nothing that would let someone past the second step
    with app.app_context():
        stored = db.session.get(SecondFactor, user.id).secret
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert totp.secret not in raw and stored not in raw
    assert not any(code.replace("-", "") in raw or code in raw for code in codes)
    assert not any(h in raw for h in hashes)
    with app.app_context():
        learner = make_user(role=Role.LEARNER)
    other = app.test_client()
    assert password_step(other, learner).location == "/"  # the password alone
    mine = other.get("/auth/profile/my-data.json")
    assert mine.status_code == 200, mine.location
    assert mine.get_json()["two_step_verification"] == {"on": False}

"""The session cookie across a change of secret key: fallbacks keep learners signed in."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from course.models import User
from tests.course.factories import make_user, sign_in

OLD_KEY, NEW_KEY = "old-key-" + "o" * 40, "new-key-" + "n" * 40


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "Sign out" in response.get_data(as_text=True)


def _client_signed_with(app: Flask, learner: User, key: str) -> FlaskClient:
    """A signed-in client whose session cookie was signed with ``key``."""
    current = app.secret_key
    app.secret_key = key
    try:
        return sign_in(app.test_client(), learner)
    finally:
        app.secret_key = current


def test_a_rotated_key_reads_cookies_signed_with_a_fallback_and_only_those(app: Flask):
    app.secret_key = NEW_KEY
    app.config["SECRET_KEY_FALLBACKS"] = []
    with app.app_context():
        learner = make_user()
    assert _signed_in(_client_signed_with(app, learner, NEW_KEY))
    assert not _signed_in(_client_signed_with(app, learner, OLD_KEY))

    # The running app learns of the old key as a fallback: its cookies read again.
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
    assert _signed_in(_client_signed_with(app, learner, OLD_KEY))

    # And once the fallback is dropped, they do not.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not _signed_in(_client_signed_with(app, learner, OLD_KEY))
    assert _signed_in(_client_signed_with(app, learner, NEW_KEY))

"""Recovery codes made by the release before tags named their key outlive a key change."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from course.extensions import db
from course.models import RecoveryCode, Role
from tests.course.factories import make_user
from tests.course.test_auth_two_factor import enroll, password_step


def _as_the_previous_release_stored_them(app: Flask) -> None:
    """Drop the key's id from each tag: "tag:<key id>:<tag>$argon2..." was "tag:<tag>$..."."""
    with app.app_context():
        for row in db.session.scalars(select(RecoveryCode)):
            tag, _, stored = row.code_hash.rpartition("$argon2")
            row.code_hash = "tag:" + tag.rpartition(":")[2] + "$argon2" + stored
        db.session.commit()


def test_codes_from_the_previous_release_outlive_the_rotation_the_guide_describes(
    app: Flask,
) -> None:
    with app.app_context():
        user = make_user(role=Role.ADMIN)
    client = app.test_client()
    password_step(client, user)
    _, codes = enroll(client)
    _as_the_previous_release_stored_them(app)
    # The deployment guide's scheduled rotation: the new key with the old one as a
    # fallback, 'flask keys move-to-current' once, and a year later the fallback dropped.
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "the-new-secret-key-of-the-yearly-rotation"
    result = app.test_cli_runner().invoke(args=["keys", "move-to-current"])
    assert result.exit_code == 0, result.output
    assert "now checked by their hash alone: 10." in result.output
    app.config["SECRET_KEY_FALLBACKS"] = []
    later = app.test_client()
    password_step(later, user)
    used = later.post("/auth/sign-in/recovery-code", data={"code": codes[0]})
    assert used.status_code == 302, used.get_data(as_text=True)
    # A wrong code is still refused.
    again = app.test_client()
    password_step(again, user)
    assert again.post("/auth/sign-in/recovery-code",
                      data={"code": "aaaaa-bbbbb"}).status_code == 422

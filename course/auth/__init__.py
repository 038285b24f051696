"""Accounts: sign-up, sign-in, profile and password reset.

The routes live in ``course.auth.views``; importing that module registers them on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import bindparam, select

from course.extensions import db
from course.models import User

bp = Blueprint("auth", __name__)
# Every signed-in request runs this; built once, as building costs more than running it.
_USER_BY_ID = select(User).where(User.id == bindparam("id"))


def load_user(user_id: str) -> User | None:
    """Load the signed-in user; a stale session version (signed out elsewhere) loads nobody."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.scalar(_USER_BY_ID, {"id": int(raw_id)})
        version = int(raw_version)
    except (ValueError, TypeError):
        return None
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user

"""Short texts a keeper holds for its owner through the sign-in, in this browser's session.

A keeper that must not act for someone who stepped away (Publish) can still spare them
typing again: it holds what they typed, and the page they come back to takes it once. It
is held for that account only: ``start_session`` drops it when anyone else signs in, so
a colleague signing in on the same browser never sees it. The session is a cookie, which
a browser drops whole beyond 4 KB: ``hold_for`` keeps as much of a text as fits well under
that, never a lesson.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import current_user

from course.models import User

#: Session key of [the account's id, until when (epoch s), {key: text}].
HELD_FOR = "auth_held_for"
#: How long a held text waits for its owner to sign in again: a night away, not a week.
HOLD_SECONDS = 24 * 3600


#: The most the session cookie's value may take with a text held: a browser drops a
#: cookie over 4,096 bytes whole (name and attributes included), and with it the sign-in
#: and the text, and the page then flashes a sentence or two more.
COOKIE_BUDGET = 3_300


def hold_for(user: User, key: str, text: str) -> str:
    """Hold ``text`` under ``key`` for ``user`` until they sign in again on this browser;
    return what is held: all of it, or its start, as much as fits ``COOKIE_BUDGET``."""
    held = held_for(user.id)
    texts = dict(held[2]) if held else {}
    kept = text
    while True:
        texts[key] = kept
        session[HELD_FOR] = [user.id, int(time.time()) + HOLD_SECONDS, texts]
        if not kept or _cookie_bytes() <= COOKIE_BUDGET:
            return kept
        # Text compresses unevenly (emoji escape to 12 bytes each): shrink and measure.
        kept = kept[: len(kept) * 4 // 5]


def _cookie_bytes() -> int:
    """The length of the session cookie's value as it would be sent now."""
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(dict(session))) if serializer is not None else 0


def held_for(user_id: int) -> list | None:
    """This browser's held texts when they are ``user_id``'s and still wait, else None."""
    held = session.get(HELD_FOR)
    if not isinstance(held, list) or len(held) != 3 or held[0] != user_id:
        return None
    return held if time.time() <= held[1] else None


def take_held(key: str) -> str | None:
    """The text held under ``key`` for the signed-in account, given once (None if none)."""
    if HELD_FOR not in session or not current_user.is_authenticated:
        return None
    held = held_for(current_user.id)
    if held is None:  # someone else's, or too old: nobody should see it now
        session.pop(HELD_FOR)
        return None
    user_id, until, texts = held
    text = texts.pop(key, None)
    if texts:
        session[HELD_FOR] = [user_id, until, texts]
    else:
        session.pop(HELD_FOR)
    return text

"""Per-learner write limits: answers, saves, submissions and reading-time heartbeats.

Counted per account, not per address: one learner once stored 3,119 answers in 20 s
and slowed everyone else's pages, while a whole agency may share one address. A learner
who hits a limit gets a page that keeps what they sent (``course.errors``).
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from course.extensions import limiter


def learner_key() -> str:
    """The account a write counts against (the address before sign-in)."""
    if current_user.is_authenticated:
        return f"learner:{current_user.id}"
    return f"address:{request.remote_addr}"


#: Answers, lesson finishes, post-test and evaluation saves and submissions, together.
learner_writes = limiter.shared_limit(
    lambda: current_app.config["LEARNER_WRITE_RATE_LIMIT"],
    scope="learner-writes",
    key_func=learner_key,
    methods=["POST"],
)

#: The lesson page reports reading time every HEARTBEAT_SECONDS; a few tabs stay inside.
heartbeats = limiter.limit(
    lambda: current_app.config["HEARTBEAT_RATE_LIMIT"], key_func=learner_key, methods=["POST"]
)

"""The idle sign-out's warning: what the page needs to know, and "Stay signed in"."""

from __future__ import annotations

from flask import jsonify
from flask_login import login_required

from course.auth import bp
from course.auth.sessions import session_clock, stay_signed_in


@bp.app_context_processor
def _session_clock() -> dict[str, object]:
    # Every page shows the warning before an idle sign-out, so it needs the clock.
    return {"session_clock": session_clock()}


@bp.post("/stay-signed-in")
@login_required
def keep_alive():
    """Keep the sign-in going when the learner answers the warning (JSON for the page)."""
    return jsonify(idle_seconds=stay_signed_in())

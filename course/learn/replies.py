"""How the answer-saving endpoints reply: JSON to the page's script, else a redirect back."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request
from werkzeug.wrappers import Response


def saved_reply(saved: bool, what: str, page_url: str) -> Response | tuple[Response, int]:
    """Say whether the answers so far were kept; ``what`` names the form ("post-test")."""
    if request.accept_mimetypes.best == "application/json":
        return (jsonify(saved=True), 200) if saved else (jsonify(saved=False), 409)
    if saved:
        # As a mapping, the message takes focus on the page it returns to: the same page,
        # so a screen reader would otherwise say nothing of the save.
        flash({"text": f"Your answers are saved. You can leave now and finish the {what} "
                       "later: they will be here when you come back."}, "success")
    return redirect(page_url, 303)

"""Forms of the learner's side; choice inputs are read by the views (their keys vary)."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField


def new_submission_key() -> str:
    """Return a random token that makes one rendered form store at most one answer."""
    return secrets.token_urlsafe(24)


class CheckForm(FlaskForm):
    """Answer a knowledge check; choices arrive as the repeated field ``choice``."""

    submission_key = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes state (enrol, complete a lesson): only the CSRF token."""


class PostTestForm(FlaskForm):
    """Submit a post-test attempt; answers arrive as fields ``q-<question id>``."""

    attempt = HiddenField()


class EvaluationForm(FlaskForm):
    """Submit the evaluation; answers arrive as fields ``item-<item id>``."""

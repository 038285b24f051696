"""Forms of the learner's side; choice inputs are read by the views (their keys vary)."""

from __future__ import annotations

import secrets

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from course.formfields import SelectChoice, at_most
from course.forms import Form


def new_submission_key() -> str:
    """Return a random token that makes one rendered form store at most one answer."""
    return secrets.token_urlsafe(24)


class CheckForm(Form):
    """Answer a knowledge check; choices arrive as the repeated field ``choice``."""

    submission_key = HiddenField()


class ActionForm(Form):
    """A button that changes state (enrol, complete a lesson): only the CSRF token."""


class PostTestForm(Form):
    """Submit a post-test attempt; answers arrive as fields ``q-<question id>``."""

    attempt = HiddenField()


class EvaluationForm(Form):
    """Submit the evaluation; answers arrive as fields ``item-<item id>``."""


class CorrectionRequestForm(Form):
    """A learner asks to correct their certificate."""

    kind = SelectField(
        "What is wrong?",
        choices=[SelectChoice("name", "My name"), SelectChoice("license", "My license number"),
                 SelectChoice("other", "Something else")],
    )  # fmt: skip
    requested_value = StringField(
        "What it should say",
        description="For example, your name exactly as it should be printed.",
        validators=[DataRequired("Enter what the certificate should say."), at_most(200)],
    )
    message = TextAreaField(
        "Anything else we should know (optional)", validators=[Optional(), at_most(2000)]
    )

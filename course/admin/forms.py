"""Administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

try:  # WTForms 3.3 and later; earlier versions take (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover

    def SelectChoice(value: str, label: str) -> tuple[str, str]:  # type: ignore[no-redef]
        return (value, label)


ROLE_CHOICES = [("learner", "Learner"), ("author", "Author"), ("admin", "Admin")]


class RevokeForm(FlaskForm):
    """Revoke a certificate; the reason goes into the audit log."""

    reason = TextAreaField(
        "Reason for revoking",
        validators=[DataRequired(message="Give the reason for revoking."), Length(max=1000)],
    )


class ReissueForm(FlaskForm):
    """Reissue a certificate with the name now on the learner's account."""


class CertificateSearchForm(FlaskForm):
    """Find certificates by code, name or e-mail."""

    class Meta:
        csrf = False

    q = StringField("Code, name or e-mail", validators=[Optional(), Length(max=200)])


class CertificateExportForm(FlaskForm):
    """Choose a course and a date range for a ZIP of certificates."""

    class Meta:
        csrf = False

    course = SelectField("Course", validators=[DataRequired()])
    start = DateField("Issued from", validators=[Optional()])
    end = DateField("Issued to (inclusive)", validators=[Optional()])


class LearnerSearchForm(FlaskForm):
    """Find accounts by name, e-mail or licence number, optionally by role."""

    class Meta:
        csrf = False

    q = StringField("Name, e-mail or license number", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "Any role")] + [SelectChoice(*c) for c in ROLE_CHOICES],
        validators=[Optional()],
    )


class RoleForm(FlaskForm):
    """Give an account a different role."""

    role = SelectField(
        "Role",
        choices=[SelectChoice(*c) for c in ROLE_CHOICES],
        validators=[DataRequired()],
    )


class AccountStatusForm(FlaskForm):
    """Deactivate or reactivate an account (the form only carries the CSRF token)."""


class AuditFilterForm(FlaskForm):
    """Narrow the audit log by actor, action and dates."""

    class Meta:
        csrf = False

    actor = StringField("Actor (name or e-mail)", validators=[Optional(), Length(max=200)])
    action = SelectField("Action", validators=[Optional()])
    start = DateField("From", validators=[Optional()])
    end = DateField("To (inclusive)", validators=[Optional()])


def action_choices(actions: list[str]) -> list:
    """Return the audit filter's action choices: any, then each action in the log."""
    return [SelectChoice("", "Any action")] + [SelectChoice(a, a) for a in actions]

"""Administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


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

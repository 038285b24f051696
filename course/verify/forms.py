"""Verification forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from certificates.codes import MAX_PASTED
from course.forms import Form


class CodeForm(Form):
    """Type a certificate code (GET form: no token needed, nothing changes)."""

    class Meta:
        csrf = False

    code = StringField(
        "Certificate code",
        validators=[DataRequired(message="Enter the certificate code."), Length(max=MAX_PASTED)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class CredentialForm(Form):
    """Upload a signed credential (JSON) to check its signature and status."""

    credential = FileField(
        "Signed credential file (.json)",
        validators=[FileRequired(message="Choose the credential file.")],
    )


class PdfForm(Form):
    """Upload a certificate PDF to check that it is the file issued, unchanged."""

    pdf = FileField(
        "Certificate PDF file",
        validators=[FileRequired(message="Choose the certificate's PDF file.")],
    )

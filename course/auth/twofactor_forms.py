"""Forms of the second factor: a code at sign-in, setting an app up, and changing it."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional

from course.auth.forms import CURRENT_PASSWORD_ATTRS
from course.auth.passwords import MAX_PASSWORD_CHARS, TOO_LONG
from course.forms import Form

CODE_LABEL = "Enter the 6-digit code from your authenticator app"
#: A phone shows digits, and offers a code that just arrived (WCAG 1.3.5, 3.3.8).
CODE_ATTRS = {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
              "autocapitalize": "none", "class": "code-input"}


def _code_field(label: str = CODE_LABEL, required: bool = True, **kwargs: Any) -> StringField:
    checks = [InputRequired(f"{label}.") if required else Optional(),
              Length(max=20, message="A code has 6 digits.")]
    return StringField(label, validators=checks, render_kw=CODE_ATTRS, **kwargs)


class CodeForm(Form):
    """The second step of signing in: a code from the authenticator app."""

    code = _code_field(description="It changes every 30 seconds. Spaces are fine.")


class RecoveryCodeForm(Form):
    """The second step of signing in with a recovery code instead."""

    code = StringField(
        "Enter one of your recovery codes",
        description="One of the ten codes you saved when you set up two-step "
                    "verification, such as 7k3qd-9x2mp. Each code works once.",
        validators=[InputRequired("Enter one of your recovery codes."),
                    Length(max=40, message="A recovery code has 10 letters and digits.")],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


class SetupForm(Form):
    """Confirm a new authenticator app with a code it shows."""

    enrollment = HiddenField()
    code = _code_field(description="After you scan the QR code or type the key, your app "
                                   "shows a 6-digit code. Enter it here to finish.")


class ConfirmItIsYouForm(Form):
    """A current code from the app, or the password, before a change to the second factor."""

    code = _code_field("6-digit code from your authenticator app", required=False)
    password = PasswordField(
        "Or, without your phone, your password",
        validators=[Optional(), Length(max=MAX_PASSWORD_CHARS, message=TOO_LONG)],
        render_kw=CURRENT_PASSWORD_ATTRS,
    )

"""Account forms. They check the shape of what was typed; the rules live in services."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from course.auth.passwords import MAX_PASSWORD_CHARS, TOO_LONG, verify_password
from course.auth.services import AccountDetails
from course.formfields import SelectChoice
from course.forms import Form
from course.names import LicenceDetail, PersonName, name_filter
from course.users import normalise_email

PROFESSIONS = [
    "Social worker",
    "Social work student",
    "Child welfare caseworker or supervisor",
    "Counselor or therapist",
    "Marriage and family therapist",
    "Psychologist",
    "Nurse",
    "Other",
]

EMAIL_ATTRS = {"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"}
NEW_PASSWORD_ATTRS = {"autocomplete": "new-password", "spellcheck": "false"}
CURRENT_PASSWORD_ATTRS = {"autocomplete": "current-password", "spellcheck": "false"}
PASSWORD_HINT = (
    "At least 8 characters. Longer is stronger: a few unrelated words make a good "
    "password that is easy to remember. Spaces and any characters are fine."
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def password_checks(required: str) -> list[Any]:
    """A password field's checks: given, and short enough to hash (no argon2 on megabytes)."""
    return [InputRequired(required), Length(max=MAX_PASSWORD_CHARS, message=TOO_LONG)]


def email_field(label: str = "Email address") -> EmailField:
    """An email address field: trimmed, required, checked for shape and length."""
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            InputRequired("Enter your email address."),
            Email("Enter an email address like name@example.com."),
            Length(max=254, message="An email address can have at most 254 characters."),
        ],
        render_kw=EMAIL_ATTRS,
    )


class _UnlessUnchanged:
    """Run a check only on an address other than the account's own: an account made by
    an LMS launch holds a placeholder (``@lti.invalid``) no address check accepts, and
    its learner must still be able to save a name or a license number."""

    def __init__(self, check: Any, current: str) -> None:
        self.check, self.current = check, current

    def __call__(self, form: Any, field: Any) -> None:
        if field.data != self.current:
            self.check(form, field)


class _DetailsMixin:
    """The fields shared by sign-up and the profile."""

    full_name = StringField(
        "Full name",
        description="Exactly as it should appear on your certificates.",
        filters=[name_filter],
        validators=[
            # DataRequired checks the normalised value: a name of spaces is no name.
            DataRequired("Enter your full name."),
            Length(max=200, message="A name can have at most 200 characters."),
            PersonName(),
        ],
        # A phone's keyboard capitalizes each word of a name, as the certificate prints it.
        render_kw={"autocomplete": "name", "spellcheck": "false", "autocapitalize": "words"},
    )
    licence_number = StringField(
        "License number (optional)",
        description="Printed on your certificates if you give it.",
        filters=[_strip],
        validators=[
            Optional(), Length(max=64, message="Use at most 64 characters."),
            LicenceDetail("license number"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    licence_jurisdiction = StringField(
        "State or jurisdiction that issued your license (optional)",
        filters=[_strip],
        validators=[
            Optional(), Length(max=64, message="Use at most 64 characters."),
            LicenceDetail("state or jurisdiction"),
        ],
        render_kw={"autocapitalize": "words"},  # "New York", not "New york"
    )
    profession = SelectField(
        "Profession (optional)",
        choices=[SelectChoice("", "Choose one")] + [SelectChoice(p, p) for p in PROFESSIONS],
        validators=[Optional()],
    )

    def account_details(self) -> AccountDetails:
        """Return what was entered as the service's dataclass."""
        return AccountDetails(
            full_name=self.full_name.data,
            # As the account will hold it: a page showing it as typed disagreed.
            email=normalise_email(self.email.data or ""),  # type: ignore[attr-defined]
            licence_number=self.licence_number.data,
            licence_jurisdiction=self.licence_jurisdiction.data,
            profession=self.profession.data,
        )


class RegisterForm(_DetailsMixin, Form):
    """Create an account."""

    email = email_field()
    password = PasswordField(
        "Create a password",
        description=PASSWORD_HINT,
        validators=password_checks("Create a password."),
        render_kw=NEW_PASSWORD_ATTRS,
    )
    next = HiddenField()


class LoginForm(Form):
    """Sign in."""

    email = email_field()
    password = PasswordField(
        "Password",
        validators=password_checks("Enter your password."),
        render_kw=CURRENT_PASSWORD_ATTRS,
    )
    remember = BooleanField(
        "Keep me signed in on this device for 30 days",
        description="Leave this unchecked on a shared or public computer.",
    )
    next = HiddenField()


class ConfirmRegistrationForm(Form):
    """Finish creating an account from its emailed link: the password chosen at sign-up.

    The link alone would let anyone who signed up with someone else's address, knowing
    the password, have its owner create the account for them with one press.
    """

    password = PasswordField(
        "The password you chose when you signed up",
        validators=password_checks("Type the password you chose when you signed up."),
        render_kw=CURRENT_PASSWORD_ATTRS,
    )

    def __init__(self, password_hash: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The hash of the password chosen at sign-up, which the link carries.
        self.password_hash = password_hash

    def validate_password(self, field: PasswordField) -> None:
        """The password must be the one chosen at sign-up."""
        if not verify_password(self.password_hash, field.data or ""):
            raise ValidationError(
                "That is not the password chosen when this account was asked for. If you "
                "did not sign up, ignore the email: no account is made without it."
            )


class ProfileForm(_DetailsMixin, Form):
    """Edit your details; a new email address needs the current password."""

    email = email_field()
    current_password = PasswordField(
        "Current password",
        validators=[Length(max=MAX_PASSWORD_CHARS, message=TOO_LONG)],
        render_kw=CURRENT_PASSWORD_ATTRS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keep a profession set elsewhere (for example by an admin) selectable.
        current = kwargs.get("obj") and kwargs["obj"].profession
        if current and current not in PROFESSIONS:
            self.profession.choices = [*self.profession.choices, SelectChoice(current, current)]
        if kwargs.get("obj") is not None:
            own = kwargs["obj"].email
            # A new list: the field's validators are shared with every other form.
            self.email.validators = [
                _UnlessUnchanged(v, own) if isinstance(v, Email) else v
                for v in self.email.validators
            ]


class PasswordChangeForm(Form):
    """Change your password."""

    current_password = PasswordField(
        "Current password",
        validators=password_checks("Enter your current password."),
        render_kw=CURRENT_PASSWORD_ATTRS,
    )
    new_password = PasswordField(
        "New password",
        description=PASSWORD_HINT,
        validators=password_checks("Enter a new password."),
        render_kw=NEW_PASSWORD_ATTRS,
    )


class ResetRequestForm(Form):
    """Ask for a password-reset link."""

    email = email_field()


class ResetPasswordForm(Form):
    """Choose a new password from a reset link."""

    new_password = PasswordField(
        "New password",
        description=PASSWORD_HINT,
        validators=password_checks("Enter a new password."),
        render_kw=NEW_PASSWORD_ATTRS,
    )


class DeleteAccountForm(Form):
    """Delete your account: your password, and a tick to say you understand."""

    password = PasswordField(
        "Your password",
        validators=password_checks("Enter your password to confirm it is you."),
        render_kw=CURRENT_PASSWORD_ATTRS,
    )
    understood = BooleanField(
        "I understand that my account cannot be restored once it is deleted",
        validators=[InputRequired("Check the box to confirm you want to delete your account.")],
    )


class SignOutOthersForm(Form):
    """A button that signs out every other browser: only the CSRF token."""

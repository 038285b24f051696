"""The form an admin registers (or edits) an LMS platform with, and the account-link form."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from course.auth.forms import CURRENT_PASSWORD_ATTRS, email_field, password_checks
from course.forms import Form
from course.lti.addresses import guarded, refused_address

#: Hosts a platform played on this machine answers on, in development and tests.
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _address(what: str) -> URL:
    """A URL check whose refusal names the field, as the error summary lists it alone."""
    return URL(require_tld=False, message=f"Enter the platform's {what} as a full address, "
               "starting with https://.")


def _https_in_production(form: FlaskForm, field: URLField) -> None:
    """Refuse a platform URL that is not https, bar loopback http outside production."""
    # A value that is no address at all has its own message; a second would repeat it.
    if not field.data or field.errors:
        return
    parts = urlsplit(field.data)
    if parts.scheme == "https":
        return
    # The tool's keys, tokens and learners' scores travel these URLs: in production only
    # over TLS. A loopback host is a test platform, which no production LMS ever is.
    production = current_app.config.get("ENV_NAME") == "production"
    if parts.scheme == "http" and parts.hostname in LOOPBACK and not production:
        return
    # Named, as the error summary lists each message alone: three alike told nothing apart.
    raise ValidationError(f"Use the platform's https:// address for the {field.label.text}.")


def _called_only_outward(form: FlaskForm, field: URLField) -> None:
    """In production, refuse a URL the tool fetches that names this server or link-local."""
    # Plain http is refused on its own (above), with its own message.
    if field.data and guarded() and urlsplit(field.data).scheme == "https":
        why = refused_address(field.data)
        if why is not None:
            raise ValidationError(f"{why}. Give the platform's own address.")


class PlatformForm(Form):
    """Register a platform: its issuer, our client id there, deployments, and endpoints."""

    name = StringField("Name (for you, e.g. \u201cState training Moodle\u201d)",
                       validators=[DataRequired(message="Give the platform a name."),
                                   Length(max=200)])
    issuer = StringField("Issuer (iss)", validators=[
        DataRequired(message="Give the platform's issuer."), Length(max=255),
        URL(require_tld=False, message="The issuer is the platform's URL.")])
    client_id = StringField("Client ID", validators=[
        DataRequired(message="Give the client ID the platform gave this tool."), Length(max=255)])
    deployment_ids = TextAreaField("Deployment IDs (one a line)", validators=[
        DataRequired(message="Give at least one deployment ID."), Length(max=4000)])
    auth_login_url = URLField("OIDC authentication request URL", validators=[
        DataRequired(message="Give the platform's authentication URL."), Length(max=500),
        _address("authentication request URL"), _https_in_production])
    auth_token_url = URLField("Access token URL (for grades)", validators=[
        DataRequired(message="Give the platform's access token URL."), Length(max=500),
        _address("access token URL"), _https_in_production, _called_only_outward])
    token_audience = StringField("Token audience (optional)", validators=[
        Optional(), Length(max=500),
        URL(require_tld=False, message="Enter the token audience as a URL, such as "
            "https://api.brightspace.com/auth/token, or leave it empty.")])
    jwks_url = URLField("Public keyset URL (JWKS)", validators=[
        DataRequired(message="Give the platform's public keyset URL."), Length(max=500),
        _address("public keyset URL"), _https_in_production, _called_only_outward])
    active = BooleanField("Allow launches from this platform", default=True)
    reason = StringField("Why (for the audit log)", validators=[
        DataRequired(message="Say why, for the audit log."), Length(max=500)])

    def deployments(self) -> list[str]:
        """The deployment ids, one a line, without blanks or repeats."""
        seen: list[str] = []
        for line in (self.deployment_ids.data or "").splitlines():
            value = line.strip()
            if value and value not in seen:
                seen.append(value)
        return seen


class LinkAccountForm(Form):
    """Link the LMS account signed in to an account made on this site: that one's sign-in."""

    email = email_field("Email address of your account on this site")
    password = PasswordField("Password of that account",
                             validators=password_checks("Enter that account's password."),
                             render_kw=CURRENT_PASSWORD_ATTRS)


class UnlinkForm(Form):
    """Stop a learning system opening your account: your password, to confirm it is you."""

    password = PasswordField(
        "Your password", validators=password_checks("Enter your password to confirm it is you."),
        render_kw=CURRENT_PASSWORD_ATTRS)

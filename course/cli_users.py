"""``flask users``: make the first administrator, a demo one for development, and let
an account whose phone is lost back in without two-step verification."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import AppGroup

from course.audit import record_event
from course.auth import twofactor
from course.auth.policy import password_problem
from course.auth.signin import AuthError
from course.extensions import db
from course.models import Role
from course.users import create_user, find_user_by_email

users_cli = AppGroup("users", help="Manage accounts.")


def _password_not_typed_in_the_command(ctx: click.Context, _: click.Parameter, value: str) -> str:
    # A password in the command is shown to every user of the machine by `ps` and kept in
    # the shell's history: only the prompt and the environment are accepted.
    if ctx.get_parameter_source("password") is click.core.ParameterSource.COMMANDLINE:
        raise click.BadParameter("not in the command, where other users of this machine can "
                                 "read it: type it at the prompt, or set ADMIN_PASSWORD")
    return value


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "full_name", prompt="Full name")
@click.option(
    "--password",
    envvar="ADMIN_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    hidden=True,
    callback=_password_not_typed_in_the_command,
)
@click.option("--reason", prompt="Reason (for the audit log)", help="Why, for the audit log.")
def create_admin_command(email: str, full_name: str, password: str, reason: str) -> None:
    """Create an administrator account, saying why."""
    if not reason.strip():
        raise click.ClickException("give the reason for a new administrator (--reason)")
    # The web's rules: an address the sign-in and reset forms refuse locks its owner out.
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.ClickException(f"{email!r} is not an email address: {exc}") from exc
    if problem := password_problem(password, email=email, full_name=full_name):
        raise click.ClickException(f"the password is refused: {problem}")
    try:
        user = create_user(email=email, password=password, full_name=full_name, role=Role.ADMIN)
        detail = {"role": Role.ADMIN.value, "reason": reason.strip()}
        record_event(None, "user.created", "user", user.id, detail)
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created admin {user.email}")


@users_cli.command("clear-second-factor")
@click.option("--email", prompt=True)
@click.option("--reason", prompt="Reason (for the audit log)", help="Why, for the audit log.")
def clear_second_factor_command(email: str, reason: str) -> None:
    """Turn off an account's two-step verification (the last admin lost the phone)."""
    user = find_user_by_email(email)
    if user is None or not reason.strip():
        raise click.ClickException("give an account's email address and the reason (--reason)")
    try:
        twofactor.disable(user, actor=None, reason=reason)
    except AuthError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Two-step verification is off for {user.email}; they have been emailed.")


@users_cli.command("demo-admin")
def demo_admin_command() -> None:
    """Create a demo admin for local development (once), and print its sign-in."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("the demo admin is for development only")
    email = "admin@example.org"
    secret_file = Path(current_app.instance_path) / "demo-admin.txt"
    if secret_file.exists():
        click.echo(f"Demo admin: {email} / password in {secret_file}")
        return
    password = secrets.token_urlsafe(12)
    try:
        user = create_user(
            email=email, password=password, full_name="Demo Admin", role=Role.ADMIN
        )
        record_event(None, "user.created", "user", user.id,
                     {"role": Role.ADMIN.value, "reason": "demo admin for development"})
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{email}\n{password}\n")
    click.echo(f"Demo admin created: {email} / {password} (saved in {secret_file})")

"""``flask keys``: list the site's signing keys and rotate one; move what is stored under
a retired ``SECRET_KEY`` to the current one."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from course import signing_keys
from course.auth import factorkeys
from course.db import write_transaction
from course.security import KEYS_MAX_AGE

keys_cli = AppGroup("keys", help="List and rotate the keys the site signs and encrypts with.")


@keys_cli.command("list")
def list_command() -> None:
    """List every signing key: purpose, name, when made, and whether it is retired."""
    for purpose in signing_keys.MAKERS:
        for key in signing_keys.all_keys(purpose):
            state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "current"
            click.echo(f"{purpose:<10} {key.kid}  made {key.created_at:%Y-%m-%d}  {state}")


@keys_cli.command("rotate")
@click.argument("purpose", type=click.Choice(sorted(signing_keys.MAKERS)))
@click.option("--reason", required=True, help="Why, for the audit log (e.g. yearly rotation).")
def rotate_command(purpose: str, reason: str) -> None:
    """Make a new current key for PURPOSE; the old one stays published for what it signed."""
    with write_transaction():
        key = signing_keys.rotate(purpose, None, reason)
    click.echo(f"New {purpose} key: {key.kid}")
    click.echo(f"Verifiers and platforms that fetched the public keys in the last "
               f"{KEYS_MAX_AGE // 60} minutes see it once their copy expires.")


@keys_cli.command("move-to-current")
@click.option("--reason", default="SECRET_KEY replaced", show_default=True,
              help="Why, for the audit log (e.g. yearly rotation, or a key that leaked).")
def move_to_current_command(reason: str) -> None:
    """Store what SECRET_KEY_FALLBACKS still reads under SECRET_KEY, so they can be dropped."""
    with write_transaction():
        moved, unreadable, untagged = factorkeys.store_all_under_current_key(reason)
    click.echo(f"Authenticator secrets moved to the current key: {moved}.")
    if untagged:
        click.echo(f"Recovery codes from before their tags named the key, now checked by "
                   f"their hash alone: {untagged}.")
    if unreadable:
        click.echo(f"{unreadable} can be read under no key configured now: turn two-step "
                   "verification off for those accounts (flask users clear-second-factor).")
        raise SystemExit(1)
    click.echo("Recovery codes keep working once the old key is dropped.")

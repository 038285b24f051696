"""``flask keys``: list the site's signing keys and rotate one."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from course import signing_keys
from course.db import write_transaction
from course.security import KEYS_MAX_AGE

keys_cli = AppGroup("keys", help="List and rotate the keys the site signs with.")


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

"""Database care from the command line: ``flask db backup|restore|check|keep-graded`` and
``flask privacy``.

The ``db`` group is Flask-Migrate's; these commands join it, and ``check`` replaces its
schema check with the data-invariant check (the test suite compares migrations to models).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from course.audit import record_event
from course.db import DatabaseBusy, write_transaction
from course.extensions import db
from course.learn.graded_backfill import keep_graded_questions, keep_pass_marks
from course.maintenance.backup import (
    BackupError,
    backup_database,
    behind_migrations,
    restore_database,
)
from course.maintenance.invariants import InvariantReport, check_invariants, repair_invariants
from course.privacy.retention import PurgeReport, RetentionPolicy, RetentionSettingError, purge
from course.templating import counted

privacy_cli = AppGroup("privacy", help="Apply the data-retention policy.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
@click.option("--reason", default="", help="Why, for the audit log (e.g. daily backup).")
@with_appcontext
def backup_command(path: Path, overwrite: bool, reason: str) -> None:
    """Write a consistent backup of the database to PATH while the app keeps running."""
    try:
        result = backup_database(path, overwrite=overwrite)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    # A backup holds every learner's personal data: the log says who took one, where to.
    detail = {"backup": str(result.path), "bytes": result.size_bytes}
    try:
        record_event(None, "database.backed_up", "database", result.dialect,
                     {**detail, **({"reason": reason.strip()} if reason.strip() else {})})
        db.session.commit()
    except (DatabaseBusy, SQLAlchemyError) as exc:
        db.session.rollback()  # the copy is good; say plainly that the log lacks it
        raise click.ClickException(
            f"the backup at {result.path} is complete, but the audit log could not record "
            f"it ({exc}); note who took it and why"
        ) from exc
    click.echo(
        f"Backed up the {result.dialect} database ({len(result.tables)} tables, "
        f"{result.size_bytes:,} bytes) to {result.path}"
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace every row in the database with those in the backup at PATH."""
    if not yes:
        click.confirm(
            "This replaces all data in the database with the backup's. Continue?", abort=True
        )
    try:
        result = restore_database(path)
    except BackupError as exc:
        raise click.ClickException(f"{exc}; the database is unchanged") from exc
    if result.rows.get("audit_event") is not None:
        # Recorded in the restored data, so the log says when it was put back and from what.
        record_event(None, "database.restored", "database", result.dialect,
                     {"backup": result.path.name})
        db.session.commit()
    click.echo(f"Restored the {result.dialect} database from {result.path}:")
    for table, count in result.rows.items():
        click.echo(f"  {table}: {'missing' if count is None else counted(count, 'row')}")
    if result.missing_tables or behind_migrations():
        click.echo("The backup predates some migrations: run `flask db upgrade` next.")


def _print_report(report: InvariantReport) -> None:
    click.echo("Checked " + ", ".join(f"{count} {label}" for label, count in report.checked))
    for finding in report.findings:
        click.echo(f"{'ok' if finding.ok else 'FAIL':<4} {finding.count:>5}  {finding.rule}")
        for example in finding.examples:
            click.echo(f"{'':<12}{example}")
    for line in report.repaired:
        click.echo(f"Repaired: {line}")


@click.command("check")
@click.option("--repair", is_flag=True, help="Issue the certificates completions are missing.")
@with_appcontext
def check_command(repair: bool) -> None:
    """Check the data invariants behind CE credit; exit 1 when any is broken."""
    report = repair_invariants() if repair else check_invariants()
    if report.repaired:
        db.session.commit()
    _print_report(report)
    if not report.ok:
        click.echo(counted(report.violations, "violation"))
        raise SystemExit(1)
    click.echo("All invariants hold.")


@click.command("keep-graded")
@with_appcontext
def keep_graded_command() -> None:
    """Give post-test records from before the engine kept it what graded them: each answer
    its question, each attempt its version and passing score."""
    with write_transaction():
        filled, left = keep_graded_questions()
        if filled:
            record_event(None, "answers.kept_as_graded", "attempt_answer", "all",
                         {"filled": filled, "left": left})
        marked, unmarked = keep_pass_marks()
        if marked:
            record_event(None, "attempts.pass_marks_kept", "post_test_attempt", "all",
                         {"filled": marked, "left": unmarked})
    answers = counted(filled, "post-test answer")
    click.echo(f"Kept the question as graded for {answers} (from the package of the version"
               " that graded each, checked by grading the stored choices again).")
    if left:
        click.echo(f"Left {counted(left, 'answer')} as they are: no stored package grades "
                   "their choices as they were graded, or it can no longer be read.")
    click.echo(f"Kept the passing score that graded {counted(marked, 'attempt')} (the version "
               "published when each was submitted, checked against its result).")
    if unmarked:
        click.echo(f"Left {counted(unmarked, 'attempt')} without one: submitted before any "
                   "stored version, or its result does not match that passing score.")


def _print_purge(report: PurgeReport, policy: RetentionPolicy) -> None:
    verb = "Removed" if report.applied else "Would remove"
    click.echo(f"{verb}:")
    click.echo(
        f"  {counted(report.stale_check_answers, 'knowledge-check answer')} of idle, unfinished"
        " enrollments"
    )
    click.echo(
        f"  {counted(report.stale_saved_answers, 'set')} of saved, unsent post-test or evaluation "
        "answers of idle, unfinished enrollments"
    )
    click.echo(
        f"  {counted(report.unfinished_enrolments_removed, 'unfinished enrollment')} with "
        f"{counted(report.rows_removed_with_them, 'row')} of "
        f"{counted(report.deleted_accounts_cleared, 'deleted account')}"
    )
    scrubbed = counted(report.audit_events_scrubbed, "audit event")
    click.echo(f"  IP or email addresses from {scrubbed}")
    click.echo(f"  {counted(report.finished_sign_ins_removed, 'record')} of ended browser sign-ins")
    counters = counted(report.sign_in_counters_removed, "counter")
    click.echo(f"  {counters} of failed sign-ins a day old")
    delivered = counted(report.delivered_messages_removed, "outbox message")
    days = counted(policy.outbox_delivered_days, "day")
    click.echo(f"  {delivered} (LMS scores, LRS statements) delivered over {days} ago, or "
               "refused for good by the LRS as long ago")
    click.echo(
        f"Kept: {counted(report.credit_records_past_retention, 'completed enrollment')} past the"
        " credit retention period (credit records are never purged; review them with your"
        " accreditor)"
    )


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--yes", is_flag=True, help="Remove it.")
def purge_command(dry_run: bool, yes: bool) -> None:
    """Remove the personal data the retention policy no longer allows us to keep."""
    if dry_run == yes:
        raise click.UsageError("choose one of --dry-run or --yes")
    try:
        policy = RetentionPolicy.from_config(current_app.config)
    except RetentionSettingError as exc:
        raise click.ClickException(f"{exc}; nothing was purged") from exc
    report = purge(policy, apply=yes)
    if yes:
        db.session.commit()
    _print_purge(report, policy)


def register(app: Flask) -> None:
    """Add the commands to the app's ``db`` group and the ``privacy`` group to its CLI."""
    from flask_migrate.cli import db as db_group

    for command in (backup_command, restore_command, check_command, keep_graded_command):
        db_group.add_command(command)
    app.cli.add_command(privacy_cli)

"""Command-line tools: ``flask --app wsgi course ...`` and ``flask --app wsgi certs ...``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

import lessons
from certificates.credential_file import MAX_CREDENTIAL_BYTES, CredentialFileError, read_credential
from course.audit import command_line_origin, record_event
from course.author.imports import (
    DraftAfterImport,
    EditorChangesReplaced,
    editor_changes_replaced,
    follow_import,
)
from course.credentials.services import check_credential
from course.dates import date_label
from course.extensions import db
from course.issuing import record_of
from course.models import Course
from course.package_images import missing_image_findings
from course.packages import export_files, import_package
from course.provider import current_provider
from course.templating import counted, hours_label
from course.wording import and_list
from lessons.rules import SEAT_TIME_METHOD

course_cli = AppGroup("course", help="Check, import and export course packages.")
certs_cli = AppGroup("certs", help="Check certificates and signed credentials.")


def _package_dirs(paths: tuple[Path, ...]) -> list[Path]:
    """Expand each path: a package folder, or a folder holding package folders."""
    found: list[Path] = []
    for path in paths:
        if (path / "course.yaml").is_file():
            found.append(path)
        elif path.is_dir():
            inside = sorted(p for p in path.iterdir() if (p / "course.yaml").is_file())
            if not inside:
                raise click.BadParameter(
                    f"{path} holds no course package (no course.yaml)", param_hint="PATH"
                )
            found.extend(inside)
        else:
            raise click.BadParameter(f"{path} is not a course package folder", param_hint="PATH")
    return found


def _check(folder: Path) -> tuple[lessons.CoursePackage | None, list[lessons.Finding]]:
    # Where certificates carry credit (a real provider), a placeholder they would print
    # is an error, not a warning.
    provider = current_provider()
    package, findings = lessons.check_package(folder, provider_name=provider.name,
                                              issues_credit=provider.configured)
    return package, lessons.sort_findings(findings + missing_image_findings(package))


@course_cli.command("check")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def check_command(path: Path, strict: bool) -> None:
    """Check a course package (or each in a folder of them, as `course import` takes it)
    against the format and the CE rules."""
    # `content` holds packages, not course.yaml: checked as one, it got four errors about
    # files that are in its sub-folders, where `course import content` found them.
    inside = [] if (path / "course.yaml").exists() else [
        p for p in sorted(path.iterdir()) if (p / "course.yaml").is_file()
    ]
    failed = False
    for folder in inside or [path]:
        failed = _check_one(folder, strict) or failed
    if failed:
        raise SystemExit(1)


def _check_one(path: Path, strict: bool) -> bool:
    """Print one package's findings and summary; whether they fail the check."""
    package, findings = _check(path)
    if package is None:  # errors: of the CE rules' own, when it was read whole
        package = _read_whole(path)
    for finding in findings:
        click.echo(f"{path.name}/{finding}")
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    summary = f"{path.name}: {counted(errors, 'error')}, {counted(warnings, 'warning')}"
    if package is not None:
        summary += (
            f"; {lessons.describe_seat_time(lessons.seat_time(package))} for"
            f" {hours_label(package.contact_hours)}\n{SEAT_TIME_METHOD}"
        )
    click.echo(summary)
    if package is None:
        # A package it cannot read whole gets none of the CE rules: "1 error" about a
        # check block must not read as "the contact hours are fine".
        click.echo("The CE rules (reading time against contact hours, the post-test draw, "
                   "each objective taught and tested) run only on a package the checker "
                   "reads whole: fix these errors and check again, and it may find more.")
    return bool(errors or (strict and warnings))


def _read_whole(folder: Path) -> lessons.CoursePackage | None:
    """The package when the checker read it whole (its errors, if any, are the CE rules')."""
    try:
        return lessons.load_package(folder)
    except lessons.PackageError:
        return None


@course_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--reason", default="", help="Why, for the version's note and the audit log "
              "(e.g. yearly review); required when a package makes a new version.")
def import_command(paths: tuple[Path, ...], reason: str) -> None:
    """Import course packages (PATHS, else every one in CONTENT_DIR); all or nothing,
    learner records are never touched."""
    if not paths:
        # A deployment keeps its packages outside the code (CONTENT_DIR), where an
        # upgrade of the code never overwrites the provider's own credentials.
        content = Path(current_app.config["CONTENT_DIR"])
        if not content.is_dir():
            raise click.ClickException(f"no PATH given, and CONTENT_DIR ({content}) is no folder")
        paths = (content,)
    packages, folders = [], {}
    for folder in _package_dirs(paths):
        package, findings = _check(folder)
        errors = [f for f in findings if f.level == "error"]
        for finding in findings:  # warnings too: a placeholder may print on certificates
            click.echo(f"{folder.name}/{finding}", err=True)
        if package is None or errors:
            raise click.ClickException(f"{folder} has errors; nothing was imported")
        packages.append(package)
        folders[package.slug] = folder
    try:
        results = [import_package(package) for package in packages]
        new = [result for result in results if result.new_version]
        if new and not reason.strip():
            # The course history an accreditor reads gives a reason for every version.
            made = ", ".join(f"version {r.version.number} of {r.course.slug}" for r in new)
            raise click.ClickException(f"say why with --reason: this import makes {made}, "
                                       "and every version keeps its reason; nothing was imported")
        drafts, replaced = {}, {}
        for result in new:
            lost = replaced[result.course.slug] = editor_changes_replaced(result.version)
            _note_import(result, reason.strip(), lost)
            drafts[result.course.slug] = follow_import(result.version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for result in results:
        state = f"version {result.version.number}"
        state += " (new)" if result.new_version else " (unchanged)"
        lesson_count = counted(len(result.course.live_lessons), "lesson")
        line = f"{result.course.slug}: {state}, {lesson_count}"
        if result.archived_lessons:
            line += f"; archived: {', '.join(result.archived_lessons)}"
        click.echo(line)
        if result.new_version:
            _say_what_became_of_the_draft(result, drafts[result.course.slug])
            slug = result.course.slug
            _warn_of_editor_changes_replaced(result, replaced[slug], folders[slug])


def _say_what_became_of_the_draft(result, became: DraftAfterImport) -> None:
    """Say that the author area's draft follows the import, or warn that it cannot."""
    slug, number = result.course.slug, result.version.number
    if became is DraftAfterImport.FOLLOWED:
        click.echo(f"{slug}: the draft in the author area had no changes of its own and now "
                   f"holds version {number} too.")
    elif became is DraftAfterImport.OWN_CHANGES:
        # Published as it stands, that draft would quietly take this version's changes
        # back out, and the review page would show them as its editor's.
        click.echo(
            f"warning: {slug} has a draft in the author area with unpublished changes of its "
            f"own, made before version {number}: published as it stands, it would take this "
            "import's changes back out. Make the same changes in the draft, or upload this "
            "package as the draft on the course's author page (the History keeps the draft's "
            "revisions).",
            err=True,
        )


def _warn_of_editor_changes_replaced(
    result, lost: EditorChangesReplaced | None, folder: Path
) -> None:
    """Warn that the import took back changes published in the author area, and say how
    to keep them."""
    if lost is None:
        return
    slug, number, earlier = result.course.slug, result.version.number, lost.published.number
    who = f" by {lost.publisher.full_name}" if lost.publisher else ""
    click.echo(
        f"warning: {slug} version {earlier} was published in the author area{who} on "
        f"{date_label(lost.published.created_at)}, and this import does not hold its changes "
        f"to {and_list(list(lost.files))}: learners now see version {number} without them. "
        f"To keep them, write version {earlier} into the package folder with `flask course "
        f"export {slug} {folder} --version {earlier}` (it replaces the files of the same "
        "names there) and import again.",
        err=True,
    )


def _note_import(result, reason: str, lost: EditorChangesReplaced | None) -> None:
    """Give a command-line import's new version its reason, and record it in the audit log."""
    origin = command_line_origin()
    who = f" by {origin['os_user']} on {origin['host']}" if origin else ""
    result.version.note = f"{reason[:300]} (imported on the command line{who})"[:500]
    detail = {"version": result.version.number,
              "archived_lessons": list(result.archived_lessons), "reason": reason}
    if lost:  # the log then says why a version published in the author area was undone
        detail["took_back"] = {"version": lost.published.number, "files": list(lost.files)}
    record_event(None, "course.imported", "course", result.course.slug, detail)


@course_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "number", type=click.IntRange(min=1),
              help="A published version's number (default: the current version).")
def export_command(slug: str, path: Path, number: int | None) -> None:
    """Write a version of course SLUG (the current one by default) as a package folder at
    PATH (or PATH/SLUG)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course with slug {slug!r}")
    try:
        files = export_files(course, number)
    except LookupError as exc:  # never another version in its place
        raise click.ClickException(f"{exc}; nothing was written") from exc
    # A package folder is named after its slug; the checker insists on it.
    if path.name != slug:
        path = path / slug
    path.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        (path / name).write_text(text, encoding="utf-8")
    shown = number or course.current_version.number
    click.echo(f"{slug}: exported version {shown} to {path}")


@course_cli.command("list")
def list_command() -> None:
    """List imported courses with their current version."""
    for course in db.session.scalars(select(Course).order_by(Course.slug)):
        number = course.current_version.number if course.current_version else "-"
        click.echo(f"{course.slug}\tversion {number}\t{course.title}")


@certs_cli.command("verify")
@click.argument("file", type=click.File("rb"))
def verify_credential_command(file) -> None:
    """Check a signed credential FILE: its signature, then the certificate's status."""
    try:
        document = read_credential(file.read(MAX_CREDENTIAL_BYTES + 1))
    except CredentialFileError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from exc
    check, found = check_credential(document)
    if not check.valid:
        click.echo(f"INVALID: {check.reason}")
        raise SystemExit(1)
    status = found.status if found else "unknown"
    held = found.certificate if found else None
    # The pages' words: "replaced", and a sample said to be one, never "valid" alone.
    word = held.status.label.lower() if held else status
    sample = " (a sample: it certifies no credit)" if held and record_of(held).sample else ""
    click.echo(f"signature valid; certificate {check.code} is {word}{sample}")
    if status != "valid":
        raise SystemExit(1)

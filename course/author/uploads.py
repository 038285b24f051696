"""A course's draft from an uploaded package ZIP: a new course, or a new revision of one."""

from __future__ import annotations

from sqlalchemy import select

from course.author.editing import COURSE_FILE, Change, apply_change
from course.author.services import (
    SLUG,
    AuthorError,
    Editor,
    Files,
    Saved,
    Workspace,
    check_draft,
    commit_files,
)
from course.extensions import db
from course.models import Course, CourseDraft, TeamRole
from course.teams import services as teams
from lessons import editing as ed
from lessons.model import Finding
from lessons.yamlread import Source, compose


def package_slug(files: Files) -> str:
    """The slug written in an uploaded package's course.yaml.

    :raise AuthorError: when it is missing or not a valid slug.
    """
    if COURSE_FILE not in files:
        raise AuthorError("The package has no course.yaml beside its lesson files.")
    findings: list[Finding] = []
    if compose(files[COURSE_FILE], Source(COURSE_FILE, findings)) is None and findings:
        # Say what is wrong in the file rather than "needs a slug", which it may well have.
        first = findings[0]
        raise AuthorError(f"{first.file} line {first.line}: {first.message}. Fix it, then upload.")
    data = ed.read_yaml(files[COURSE_FILE])
    slug = ed.as_text(data.get("slug")).strip() if isinstance(data, dict) else ""
    if not SLUG.fullmatch(slug):
        raise AuthorError(
            "The package's course.yaml needs a slug of a-z, 0-9 and dashes "
            "(it is the course's web address)."
        )
    return slug


class PackageRefused(AuthorError):
    """An upload that would add errors to the draft; ``findings`` names each one."""

    def __init__(self, findings: list[Finding]) -> None:
        count = len(findings)
        super().__init__(
            f"The package has {count} error{'s' if count != 1 else ''} that the draft does "
            f"not have, so it did not replace the draft. Fix {'them' if count != 1 else 'it'} in "
            "the package and upload it again, or make the change in the editor."
        )
        self.findings = findings


def _errors_added(space: Workspace, files: Files) -> list[Finding]:
    # An upload replaces every file of the draft, teammates' unpublished work included, so
    # one that breaks what reads today is refused, as the command line refuses it. Errors
    # the draft already has are let through: a draft downloaded, edited and uploaded again
    # may still be unfinished. Compared by file and message, as lines move with edits.
    _, before = check_draft(space)
    _, after = check_draft(space, files)
    known = {(f.file, f.message) for f in before if f.level == "error"}
    return [f for f in after if f.level == "error" and (f.file, f.message) not in known]


def upload_package(space: Workspace, editor: Editor, files: Files) -> Saved:
    """Make an uploaded package the course's draft (a revision; publishing still checks it).

    :raise PackageRefused: when it has errors the draft does not (nothing is stored).
    """
    slug = package_slug(files)
    if slug != space.slug:
        raise AuthorError(f"This package is for the course “{slug}”, not “{space.slug}”.")
    added = _errors_added(space, files)
    if added:
        raise PackageRefused(added)

    def change(_: dict[str, str]) -> Change:
        return Change(dict(files), None, "Uploaded a package ZIP")

    return apply_change(space, editor, change, action="upload")


def create_course(editor: Editor, files: Files) -> Workspace:
    """Start a new course from an uploaded package: a draft no learner sees until published."""
    slug = package_slug(files)
    taken = db.session.scalar(select(Course.id).where(Course.slug == slug)) or db.session.scalar(
        select(CourseDraft.id).where(CourseDraft.slug == slug)
    )
    if taken:
        raise AuthorError(
            f"A course “{slug}” already exists. Upload the ZIP on its page to replace its draft."
        )
    draft = CourseDraft(slug=slug, files={})
    db.session.add(draft)
    db.session.flush()
    commit_files(
        draft, editor, files, file=None, summary="Created the course from a ZIP", action="upload"
    )
    if not teams.is_admin(editor.user):  # admins work on every course already
        teams.add_member(slug, editor.user, TeamRole.AUTHOR, by=editor.user,
                         ip_address=editor.ip_address)  # fmt: skip
    return Workspace(slug, None, draft)

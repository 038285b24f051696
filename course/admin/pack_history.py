"""The audit pack's course-wide files: its published versions, its approval changes and
the post-test's item analysis.

An accreditor asks who wrote the course, what changed in it and when, which approval
applied when, and whether the post-test measures what it claims: these answer that
without the whole audit log or the report page.
"""

from __future__ import annotations

from sqlalchemy import select

from course.admin.records_services import author_lines
from course.admin.report_services import post_test_items
from course.csvout import csv_text
from course.dates import local_iso
from course.extensions import db
from course.models import AuditEvent, Course, CourseVersion, User
from lessons.render import html_text

VERSION_COLUMNS = (
    "version", "published_at", "published_by", "note", "title", "contact_hours",
    "passing_score", "estimated_minutes", "authors", "content_hash",
)  # fmt: skip
APPROVAL_COLUMNS = (
    "changed_at", "change", "changed_by", "reason", "approval_body", "approval_number",
    "approval_statement", "approved_from", "approved_until",
)  # fmt: skip
_CHANGES = {"course.approval_set": "recorded", "course.approval_cleared": "removed"}


def versions_csv(course: Course) -> str:
    """Every published version of the course, oldest first, with who published it and why."""
    found = db.session.execute(
        select(CourseVersion.number, CourseVersion.created_at, User.full_name, User.email,
               CourseVersion.note, CourseVersion.manifest, CourseVersion.estimated_minutes,
               CourseVersion.content_hash)
        .outerjoin(User, User.id == CourseVersion.created_by_id)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number)
    )  # fmt: skip
    rows = []
    for number, created, name, email, note, manifest, minutes, content_hash in found:
        manifest = manifest or {}
        by = f"{name} ({email})" if name else "Command line or system"
        rows.append([number, local_iso(created), by, note, manifest.get("title"),
                     manifest.get("contact_hours"), manifest.get("passing_score"),
                     round(minutes, 1), author_lines(manifest.get("authors") or []), content_hash])
    return csv_text(VERSION_COLUMNS, rows)


def approvals_csv(course: Course) -> str:
    """Every change an administrator made to the course's approval, oldest first, with the
    approval that applied from then on (after a removal: the package's own, if any)."""
    found = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.action, User.full_name, User.email,
               AuditEvent.detail)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.subject_type == "course", AuditEvent.subject_id == course.slug,
               AuditEvent.action.in_(_CHANGES))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )  # fmt: skip
    rows = []
    for created, action, name, email, detail in found:
        after = (detail or {}).get("after") or {}
        rows.append([local_iso(created), _CHANGES[action], f"{name} ({email})" if name else "",
                     (detail or {}).get("reason"), after.get("body"), after.get("number"),
                     after.get("statement"), after.get("period_start"),
                     after.get("period_end")])  # fmt: skip
    return csv_text(APPROVAL_COLUMNS, rows)


ITEM_COLUMNS = (
    "question_id", "objective", "prompt", "in_use", "answers", "correct",
    "difficulty_percent", "discrimination", "reading",
)  # fmt: skip


def item_analysis_csv(course: Course) -> str:
    """Each post-test question's difficulty and discrimination, over every submitted answer
    (the report page's table, for a reader without access to it)."""
    rows = []
    for stat in post_test_items(course):
        question, index = stat.question, stat.discrimination
        rows.append([question.key, question.objective, html_text(question.prompt_html),
                     "no" if question.archived_at else "yes", stat.answers, stat.correct,
                     stat.percent, None if index is None or index.index is None
                     else round(index.index, 2), index.reading if index else None])
    return csv_text(ITEM_COLUMNS, rows)

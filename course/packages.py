"""Course package import and export: the bridge between content/ folders and the database.

Import upserts content rows by their stable ids and never touches learner records, so
a new version of a course keeps everyone's progress. Callers commit once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

import lessons
from course.db import utcnow
from course.extensions import db
from course.models import (
    Choice,
    Course,
    CourseVersion,
    EvaluationItem,
    Lesson,
    Question,
    QuestionKind,
    User,
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did to one course."""

    course: Course
    version: CourseVersion
    created_course: bool
    new_version: bool
    archived_lessons: tuple[str, ...] = field(default=())


def manifest_of(package: lessons.CoursePackage) -> dict[str, Any]:
    """Return the JSON-safe manifest stored with a version and shown on course pages."""
    estimate = lessons.seat_time(package)
    approval = package.approval
    return {
        "slug": package.slug,
        "title": package.title,
        "edition": package.version,
        "summary": package.summary,
        "audience": package.audience,
        "level": package.level,
        "format": package.format,
        "contact_hours": package.contact_hours,
        "credit_type": package.credit_type,
        "objectives": [{"id": o.id, "text": o.text} for o in package.objectives],
        "authors": [
            {"name": a.name, "credentials": a.credentials, "role": a.role} for a in package.authors
        ],
        "provider": {
            "name": package.provider.name,
            "approval": approval_data(approval) if approval else None,
        },
        # The package's approval (top level, or the older provider.approval); both keys hold
        # it, so code written against either place reads the same claim.
        "approval": approval_data(approval) if approval else None,
        "disclosure_html": package.disclosure_html,
        "references_html": list(package.references_html),
        "passing_score": package.passing_score,
        "post_test_draw": package.post_test_draw,
        "post_test_max_attempts": package.post_test_max_attempts,
        "post_test_retake_wait_minutes": package.post_test_retake_wait_minutes,
        "post_test_review": package.post_test_review,
        "advisory_html": package.advisory_html,
        "support": [
            {"name": s.name, "contact": s.contact, "url": s.url, "note": s.note}
            for s in package.support
        ],
        "sequential": package.sequential,
        # The minimum in force (the package's own or the default share of reading time).
        "min_active_minutes": lessons.min_active_minutes(package),
        "min_active_minutes_source": (
            "default" if package.min_active_minutes is None else "package"
        ),
        "reading_minutes": round(estimate.reading_minutes, 1),
        # Each lesson's share of reading_minutes (text and checks), so the parts add up.
        "lesson_reading_minutes": {
            lesson.slug: round(lessons.lesson_reading_minutes(lesson), 2)
            for lesson in package.lessons
        },
        "word_count": estimate.lesson_words,
        "estimated_minutes": round(estimate.total_minutes, 1),
        "evaluation_minutes": round(estimate.evaluation_minutes, 1),
    }


def approval_data(approval: lessons.Approval) -> dict[str, Any]:
    """Return an approval as JSON-safe data, its period as ISO dates (or None)."""
    return {
        "body": approval.body,
        "number": approval.number,
        "statement": approval.statement,
        "period_start": approval.period_start.isoformat() if approval.period_start else None,
        "period_end": approval.period_end.isoformat() if approval.period_end else None,
    }


def import_package(package: lessons.CoursePackage, actor: User | None = None) -> ImportResult:
    """Create or update a course from a validated package; flush, never commit."""
    course = db.session.scalar(select(Course).where(Course.slug == package.slug))
    created = course is None
    if course is None:
        course = Course(slug=package.slug, title=package.title)
        db.session.add(course)
        db.session.flush()
    current = course.current_version
    if current is not None and current.content_hash == package.content_hash:
        return ImportResult(course, current, created_course=False, new_version=False)

    now = utcnow()
    last_number = db.session.scalar(
        select(db.func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
    )
    manifest = manifest_of(package)
    version = CourseVersion(
        course_id=course.id,
        number=(last_number or 0) + 1,
        content_hash=package.content_hash,
        manifest=manifest,
        files=dict(package.files),
        word_count=manifest["word_count"],
        estimated_minutes=manifest["estimated_minutes"],
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    db.session.add(version)
    archived = _sync_lessons(course, package, now)
    _sync_questions(course, package, now)
    _sync_evaluation(course, package, now)
    course.title = package.title
    course.archived_at = None
    db.session.flush()
    course.current_version = version
    db.session.flush()
    return ImportResult(course, version, created, new_version=True, archived_lessons=archived)


def _sync_lessons(course: Course, package: lessons.CoursePackage, now: Any) -> tuple[str, ...]:
    existing = {lesson.slug: lesson for lesson in course.lessons}
    for spec in package.lessons:
        row = existing.get(spec.slug)
        if row is None:
            row = Lesson(course=course, slug=spec.slug)
            db.session.add(row)
            existing[spec.slug] = row
        row.position = spec.position
        row.title = spec.title
        row.objectives = list(spec.objectives)
        row.markdown = spec.markdown
        row.html_parts = list(spec.html_parts)
        row.word_count = spec.word_count
        row.updated_at = now
        row.archived_at = None
    kept = {spec.slug for spec in package.lessons}
    archived = []
    for slug, row in existing.items():
        if slug not in kept and row.archived_at is None:
            row.archived_at = now
            archived.append(slug)
    db.session.flush()
    return tuple(sorted(archived))


def _sync_questions(course: Course, package: lessons.CoursePackage, now: Any) -> None:
    lesson_ids = {lesson.slug: lesson.id for lesson in course.lessons}
    query = select(Question).where(Question.course_id == course.id)
    existing = {q.key: q for q in db.session.scalars(query)}
    wanted: list[tuple[lessons.Question, QuestionKind, int | None, int]] = []
    for spec in package.lessons:
        for position, check in enumerate(spec.checks, start=1):
            wanted.append((check, QuestionKind.CHECK, lesson_ids[spec.slug], position))
    for position, question in enumerate(package.post_test, start=1):
        wanted.append((question, QuestionKind.POST_TEST, None, position))

    for spec, kind, lesson_id, position in wanted:
        row = existing.get(spec.id)
        if row is None:
            row = Question(course_id=course.id, key=spec.id)
            db.session.add(row)
            existing[spec.id] = row
        row.kind = kind
        row.lesson_id = lesson_id
        row.position = position
        row.type = spec.type
        row.prompt_html = spec.prompt_html
        row.objective = spec.objective
        row.explanation_html = spec.explanation_html
        row.updated_at = now
        row.archived_at = None
        _sync_choices(row, spec)
    kept = {spec.id for spec, *_ in wanted}
    for key, row in existing.items():
        if key not in kept and row.archived_at is None:
            row.archived_at = now


def _sync_choices(row: Question, spec: lessons.Question) -> None:
    # Responses store choice keys as text, so choice rows can follow the package freely.
    by_key = {choice.key: choice for choice in row.choices}
    wanted = []
    for position, choice in enumerate(spec.choices, start=1):
        target = by_key.get(choice.key) or Choice(key=choice.key)
        target.position = position
        target.text_html = choice.text_html
        target.is_correct = choice.correct
        target.why_html = choice.why_html
        wanted.append(target)
    row.choices = wanted


def _sync_evaluation(course: Course, package: lessons.CoursePackage, now: Any) -> None:
    existing = {
        item.key: item
        for item in db.session.scalars(
            select(EvaluationItem).where(EvaluationItem.course_id == course.id)
        )
    }
    for position, spec in enumerate(package.evaluation, start=1):
        row = existing.get(spec.id)
        if row is None:
            row = EvaluationItem(course_id=course.id, key=spec.id)
            db.session.add(row)
            existing[spec.id] = row
        row.position = position
        row.type = spec.type
        row.prompt = spec.prompt
        row.required = spec.required
        row.choices = list(spec.choices)
        row.objective = spec.objective
        row.minimum = spec.minimum
        row.maximum = spec.maximum
        row.archived_at = None
    kept = {spec.id for spec in package.evaluation}
    for key, row in existing.items():
        if key not in kept and row.archived_at is None:
            row.archived_at = now


def find_version(course: Course, number: int) -> CourseVersion | None:
    """Return the course's published version with this number, if there is one."""
    return db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id,
                                    CourseVersion.number == number)
    )  # fmt: skip


@dataclass(frozen=True)
class PublishedVersion:
    """A published version as the course's history lists it: when, by whom, and why."""

    number: int
    published_at: datetime
    #: None for a version imported from the command line.
    published_by: str | None
    note: str | None


def published_versions(course: Course) -> list[PublishedVersion]:
    """Return every published version of the course, oldest first, with its publisher."""
    found = db.session.execute(
        select(CourseVersion.number, CourseVersion.created_at, User.full_name, CourseVersion.note)
        .outerjoin(User, User.id == CourseVersion.created_by_id)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number)
    )
    return [PublishedVersion(*row) for row in found]


def version_numbers(course: Course) -> list[int]:
    """Return the numbers of every published version of the course, oldest first."""
    return list(
        db.session.scalars(
            select(CourseVersion.number)
            .where(CourseVersion.course_id == course.id)
            .order_by(CourseVersion.number)
        )
    )


def export_files(course: Course, number: int | None = None) -> dict[str, str]:
    """Return the package files of version ``number`` (the current one if None), name -> text.

    :raise LookupError: when the course has no such version; never another version instead.
    """
    version = course.current_version if number is None else find_version(course, number)
    if version is None:
        published = ", ".join(map(str, version_numbers(course))) or "none"
        wanted = "imported version" if number is None else f"version {number}"
        raise LookupError(f"course {course.slug!r} has no {wanted} (published: {published})")
    return dict(version.files)

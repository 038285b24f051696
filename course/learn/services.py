"""Catalogue and course lookups for learners."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from course.extensions import db
from course.models import Course


def list_courses() -> list[Course]:
    """Return the courses open to learners, by title."""
    query = (
        select(Course)
        .where(Course.archived_at.is_(None), Course.current_version_id.is_not(None))
        .order_by(Course.title)
    )
    return list(db.session.scalars(query))


def get_course_or_404(slug: str) -> Course:
    """Return the published course with this slug.

    :raise 404: when there is no such course or it is archived.
    """
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or course.archived_at is not None or course.current_version is None:
        abort(404)
    return course

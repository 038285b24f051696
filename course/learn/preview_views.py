"""Course staff's read-only preview of a published course: lessons, checks and answers."""

from __future__ import annotations

from flask import render_template, session
from flask_login import current_user

from course.db import utcnow
from course.learn import bp
from course.learn import preview as previews
from course.models import Course


@bp.errorhandler(previews.PreviewRefused)
def preview_refused(exc: previews.PreviewRefused):
    """Say who may preview and how to get in (403): signed in as staff, or from the LMS."""
    page = render_template("learn/preview_refused.html", slug=str(exc),
                           hours=previews.PREVIEW_HOURS)
    return page, 403


def _ensure_may_preview(course: Course) -> None:
    previews.ensure_may_preview(current_user, session.get(previews.SESSION_KEY), course,
                                utcnow())


def _private(page: str):
    # The answers to every knowledge check: kept out of shared caches and search engines
    # whoever asked (a staff launch has no signed-in user to mark the page private).
    return page, {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


@bp.get("/courses/<slug>/preview")
def preview(slug: str):
    """The preview's contents: lessons, what the post-test is like, the evaluation."""
    look = previews.course_preview(slug)
    _ensure_may_preview(look.course)
    return _private(render_template("learn/preview.html", look=look,
                                    manifest=look.content.manifest))


@bp.get("/courses/<slug>/preview/<lesson_slug>")
def preview_lesson(slug: str, lesson_slug: str):
    """One lesson as learners read it, each knowledge check with its answers and feedback."""
    course, look = previews.lesson_preview(slug, lesson_slug)
    _ensure_may_preview(course)
    return _private(render_template("learn/preview_lesson.html", look=look,
                                    manifest=look.content.manifest))

"""Course staff's read-only preview of a published course: lessons, checks and answers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.db import utcnow
from course.learn import bp, fragments
from course.learn import preview as previews
from course.learn.forms import ActionForm
from course.models import Course


@bp.errorhandler(previews.PreviewRefused)
def preview_refused(exc: previews.PreviewRefused):
    """Say who may preview and how to get in (403): from the LMS again, or on the team."""
    page = render_template("learn/preview_refused.html", course=exc.course,
                           off_team=exc.off_team, hours=previews.PREVIEW_HOURS)
    return page, 403


def _ensure_may_preview(course: Course) -> bool:
    """Refuse anyone else; return whether this browser came from a staff launch."""
    now = utcnow()
    previews.ensure_may_preview(current_user, request.cookies, course, now)
    return previews.launched_as_staff(request.cookies, course.id, now)


def _render(template: str, look: previews.CoursePreview | previews.LessonPreview,
            launched: bool):
    page = render_template(
        template, look=look, manifest=look.content.manifest, launched=launched,
        preview_hours=previews.PREVIEW_HOURS, action=ActionForm(),
        support_html=fragments.support_html(look.content))
    # The answers to every knowledge check: kept out of shared caches and search engines
    # whoever asked (a staff launch has no signed-in user to mark the page private).
    return page, {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


@bp.get("/courses/<slug>/preview")
def preview(slug: str):
    """The preview's contents: lessons, what the post-test is like, the evaluation."""
    look = previews.course_preview(slug)
    return _render("learn/preview.html", look, _ensure_may_preview(look.course))


@bp.get("/courses/<slug>/preview/<lesson_slug>")
def preview_lesson(slug: str, lesson_slug: str):
    """One lesson as learners read it, each knowledge check with its answers and feedback."""
    course, look = previews.lesson_preview(slug, lesson_slug)
    return _render("learn/preview_lesson.html", look, _ensure_may_preview(course))


@bp.post("/courses/<slug>/preview/end")
def end_preview(slug: str):
    """Close a staff launch's preview in this browser (a shared computer's next user)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    response = redirect(url_for("learn.course_page", slug=slug), 303)
    response.delete_cookie(previews.COOKIE, **previews.cookie_scope(slug))
    flash("The staff preview is closed in this browser. Open the course from your "
          "learning system to see it again.", "success")
    return response

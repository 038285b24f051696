"""Course staff's read-only preview of a published course: lessons, checks and answers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_login import current_user

from course.db import utcnow
from course.errors import log_refused_access
from course.learn import bp, fragments
from course.learn import preview as previews
from course.learn import services as learn
from course.learn.forms import ActionForm
from course.models import Course


@bp.errorhandler(previews.PreviewRefused)
def preview_refused(exc: previews.PreviewRefused):
    """Say who may preview and how to get in (403): from the LMS again, or on the team."""
    log_refused_access()  # the preview shows every knowledge check's answers
    page = render_template("learn/preview_refused.html", course=exc.course,
                           off_team=exc.off_team, hours=previews.PREVIEW_HOURS)
    return page, 403


def _ensure_may_preview(course: Course) -> bool:
    """Refuse anyone else; return whether the End button applies: a staff launch's grant
    is this visitor's only way in (the team's access is not the browser's to end)."""
    way = previews.ensure_may_preview(current_user, session.get(previews.SESSION_KEY), course,
                                      utcnow())
    return way == "launch"


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
    course = learn.get_course_or_404(slug)
    session[previews.SESSION_KEY] = previews.ended(session.get(previews.SESSION_KEY), course.id)
    flash("The staff preview is closed in this browser. Open the course from your "
          "learning system to see it again.", "success")
    return redirect(url_for("learn.course_page", slug=slug), 303)

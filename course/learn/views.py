"""Catalogue and course pages."""

from __future__ import annotations

from flask import render_template

from course.learn import bp
from course.learn.services import get_course_or_404, list_courses


@bp.get("/")
def catalogue():
    """List every course open to learners."""
    return render_template("learn/catalogue.html", courses=list_courses())


@bp.get("/courses/<slug>")
def course_page(slug: str):
    """Show a course: objectives, hours, format, approval, advisory and support."""
    course = get_course_or_404(slug)
    return render_template("learn/course.html", course=course, manifest=course.manifest)

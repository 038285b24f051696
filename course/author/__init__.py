"""Authoring: edit a course as a draft, check it, publish it as a new version."""

from flask import Blueprint

from course.authz import role_required
from course.models import Role

bp = Blueprint("author", __name__, url_prefix="/author")


@bp.before_request
@role_required(Role.AUTHOR)
def authors_only() -> None:
    """Let only authors (and admins) into any page of the author area."""


from course.author import (  # noqa: E402,F401  (registers routes)
    history_views,
    lesson_views,
    question_views,
    views,
)

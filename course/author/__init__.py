"""Authoring: edit a course as a draft, check it, publish it as a new version."""

from flask import Blueprint, request

from course.authz import role_required
from course.models import Role

bp = Blueprint("author", __name__, url_prefix="/author")


@bp.before_request
@role_required(Role.AUTHOR)
def authors_only() -> None:
    """Let only authors (and admins) into the author area, each into their teams' courses.

    :raise 404: for a course that does not exist.
    :raise 403: with an explanation, for a course whose team the author is not on.
    """
    slug = (request.view_args or {}).get("slug")
    if slug is not None:
        from course.author.viewkit import guard_course

        guard_course(slug)


from course.author import (  # noqa: E402,F401  (registers routes)
    history_views,
    lesson_views,
    question_views,
    review_timeouts,
    review_views,
    timeouts,
    views,
)

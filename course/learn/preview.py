"""A read-only look at a published course for course staff: no account, nothing recorded.

An instructor who opens the course from an agency's LMS is not enrolled (``course.lti``),
and a course's authors and the site's admins are staff here already. All may want to read
the lessons and knowledge checks before assigning the course. The preview shows the
published version with each check's answers and feedback; it never shows the post-test
bank, whose questions a learner must meet for the first time in the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, current_app
from itsdangerous import BadSignature, URLSafeSerializer

from course.learn import retakes
from course.learn.content import CourseContent, LessonView
from course.learn.evaluation import evaluation_items
from course.learn.services import get_published_or_404
from course.models import Course, EvaluationItem, Role
from course.teams.services import can_work_on

#: How long a staff launch opens the preview: a working session, not a standing pass.
PREVIEW_HOURS = 4
PREVIEW_SECONDS = PREVIEW_HOURS * 3600
#: A staff launch's grant: a signed cookie of its own for each course, scoped to the
#: course's addresses. Not the session: the launch is a cross-site POST, which carries no
#: session cookie, so writing the session there would sign out whoever was signed in and
#: drop the previews of the courses launched before.
COOKIE = "staff_preview"
_SALT = "course.learn.preview"


class PreviewRefused(Exception):
    """Neither staff here nor sent by a staff launch of this course."""

    def __init__(self, course: Course, off_team: bool) -> None:
        super().__init__(course.slug)
        self.course = course
        #: A signed-in author who is not on the course's team.
        self.off_team = off_team


@dataclass(frozen=True)
class PostTestShape:
    """What the post-test is like, without its questions."""

    draw: int
    bank: int
    passing_score: int
    max_attempts: int
    wait_minutes: int
    #: What a failed attempt's review shows: "missed", "keyed" or "score".
    review: str


@dataclass(frozen=True)
class CoursePreview:
    """The published course as staff look it over: lessons, post-test shape, evaluation."""

    course: Course
    content: CourseContent
    post_test: PostTestShape
    evaluation: list[EvaluationItem]
    #: Each learning objective's text, by its id.
    objectives: dict[str, str]


@dataclass(frozen=True)
class LessonPreview:
    """One published lesson, with the lessons either side of it."""

    content: CourseContent
    lesson: LessonView
    previous: LessonView | None
    next: LessonView | None
    #: Each learning objective's text, by its id.
    objectives: dict[str, str]


def _signer() -> URLSafeSerializer:
    config = current_app.config
    # Oldest first: itsdangerous signs with the last key and checks with every one.
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or ()), current_app.secret_key]
    return URLSafeSerializer(keys, salt=_SALT)


def cookie_scope(slug: str) -> dict[str, Any]:
    """The grant cookie's attributes, the same for setting and deleting it."""
    # Its path is the course's own (the course page and its preview): launches of other
    # courses each keep a cookie of their own beside it.
    return {"path": f"/courses/{slug}", "httponly": True, "samesite": "Lax",
            "secure": bool(current_app.config.get("SESSION_COOKIE_SECURE"))}


def launch_grant(course: Course, now: datetime) -> str:
    """Return the signed cookie value a staff launch of the course sets (``COOKIE``)."""
    return _signer().dumps({"course": course.id, "until": int(now.timestamp()) + PREVIEW_SECONDS})


def launched_as_staff(cookies: Mapping[str, str], course_id: int, now: datetime) -> bool:
    """Whether a staff launch of this course opened the preview in this browser, still open."""
    value = cookies.get(COOKIE)
    if not value:
        return False
    try:
        grant = _signer().loads(value)
    except BadSignature:
        return False
    return (isinstance(grant, dict) and grant.get("course") == course_id
            and isinstance(grant.get("until"), int) and grant["until"] > now.timestamp())


def on_team(user: Any, course: Course) -> bool:
    """Whether the signed-in user works on the course here (its authors, every admin)."""
    # The role first: learners, most visitors of a course page, cost no query.
    return bool(user.is_authenticated and user.has_role(Role.AUTHOR)
                and can_work_on(user, course.slug))


def preview_as(user: Any, cookies: Mapping[str, str], course: Course, now: datetime) -> str:
    """How this visitor of the course page may preview it: "team", "launch" or ""."""
    if on_team(user, course):
        return "team"
    return "launch" if launched_as_staff(cookies, course.id, now) else ""


def ensure_may_preview(user: Any, cookies: Mapping[str, str], course: Course,
                       now: datetime) -> None:
    """Allow the course's authors and every admin, and a browser a staff launch of this
    course sent here.

    :raise PreviewRefused: for anyone else, signed in or not.
    """
    if not (on_team(user, course) or launched_as_staff(cookies, course.id, now)):
        raise PreviewRefused(course, off_team=user.is_authenticated
                             and user.has_role(Role.AUTHOR))


def course_preview(slug: str) -> CoursePreview:
    """Return the open course with this slug, as the preview's contents page shows it.

    :raise 404: when there is no such open course.
    """
    course, content = get_published_or_404(slug)
    manifest = content.manifest
    rules = retakes.rules_of(manifest)
    shape = PostTestShape(
        draw=min(int(manifest["post_test_draw"]), len(content.post_test)),
        bank=len(content.post_test),
        passing_score=int(manifest["passing_score"]),
        max_attempts=rules.max_attempts,
        wait_minutes=rules.wait_minutes,
        review=rules.review,
    )
    return CoursePreview(course, content, shape, evaluation_items(course),
                         _objectives(content))


def lesson_preview(slug: str, lesson_slug: str) -> tuple[Course, LessonPreview]:
    """Return the open course and one of its live lessons, with its neighbours.

    :raise 404: when there is no such open course or live lesson.
    """
    course, content = get_published_or_404(slug)
    lesson = content.lesson(lesson_slug)
    if lesson is None:
        abort(404)
    at = content.lessons.index(lesson)
    previous = content.lessons[at - 1] if at > 0 else None
    following = content.lessons[at + 1] if at + 1 < len(content.lessons) else None
    return course, LessonPreview(content, lesson, previous, following, _objectives(content))


def _objectives(content: CourseContent) -> dict[str, str]:
    return {o["id"]: o["text"] for o in content.manifest.get("objectives", [])}

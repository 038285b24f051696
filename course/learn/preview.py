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

from flask import abort

from course.learn import retakes
from course.learn.content import CourseContent, LessonView
from course.learn.evaluation import evaluation_items
from course.learn.services import get_published_or_404
from course.models import Course, EvaluationItem, Role
from course.teams.services import can_work_on

#: How long a staff launch opens the preview: a working session, not a standing pass.
PREVIEW_HOURS = 4
#: The session key holding ``{course id: epoch seconds until}`` for staff launches. Kept
#: in the session, so a sign-in, a sign-out or closing the browser ends it. The launch
#: itself, a cross-site POST, carries no session cookie: it hands over to a same-site page
#: that writes the grant (``course.lti.views.staff``).
SESSION_KEY = "course_preview"


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


def granted(grants: Mapping[str, Any] | None, course_id: int, now: datetime) -> dict[str, int]:
    """Return the session's preview grants with this course open for ``PREVIEW_HOURS``."""
    moment = int(now.timestamp())
    kept = {key: until for key, until in (grants or {}).items()
            if isinstance(until, int) and until > moment}  # fmt: skip
    kept[str(course_id)] = moment + PREVIEW_HOURS * 3600
    return kept


def ended(grants: Mapping[str, Any] | None, course_id: int) -> dict[str, Any]:
    """Return the session's preview grants without this course's."""
    return {key: until for key, until in (grants or {}).items() if key != str(course_id)}


def launched_as_staff(grants: Mapping[str, Any] | None, course_id: int, now: datetime) -> bool:
    """Whether a staff launch of this course opened the preview in this session, still open."""
    until = (grants or {}).get(str(course_id))
    return isinstance(until, int) and until > now.timestamp()


def on_team(user: Any, course: Course) -> bool:
    """Whether the signed-in user works on the course here (its authors, every admin)."""
    # The role first: learners, most visitors of a course page, cost no query.
    return bool(user.is_authenticated and user.has_role(Role.AUTHOR)
                and can_work_on(user, course.slug))


def preview_as(user: Any, grants: Mapping[str, Any] | None, course: Course,
               now: datetime) -> str:
    """How this visitor of the course page may preview it: "team", "launch" or ""."""
    if on_team(user, course):
        return "team"
    return "launch" if launched_as_staff(grants, course.id, now) else ""


def ensure_may_preview(user: Any, grants: Mapping[str, Any] | None, course: Course,
                       now: datetime) -> str:
    """Allow the course's authors and every admin ("team"), and a browser a staff launch of
    this course sent here ("launch"); return which.

    :raise PreviewRefused: for anyone else, signed in or not.
    """
    way = preview_as(user, grants, course, now)
    if not way:
        raise PreviewRefused(course, off_team=user.is_authenticated
                             and user.has_role(Role.AUTHOR))
    return way


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

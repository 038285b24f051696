"""Published course content as immutable snapshots, kept in memory per course version.

Lessons, knowledge checks and their choices only change through an import, and every
import that changes anything makes a new course version. So a snapshot keyed by the
version (and its content hash) never goes stale: a learner request reads one course
row to learn the current version and takes the lessons from memory instead of loading
them again, which is most of what a lesson page used to cost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

import lessons
from course.extensions import db
from course.learn.enhance import for_display
from course.learn.grading import as_spec
from course.learn.reads import PublishedCourse
from course.models import Course, CourseVersion, Lesson, Question, QuestionKind
from lessons.render import sanitize
from lessons.timing import lesson_floor_of

#: Versions kept per process; a server holds a few courses, each a few hundred KB.
CACHE_SIZE = 32
#: An open course by slug (not archived, with a published version) and its version's hash.
#: Built once: on SQLite, building and keying a statement costs more than running it.
OPEN_COURSE = (
    select(Course, CourseVersion.content_hash)
    .join(CourseVersion, CourseVersion.id == Course.current_version_id)
    .where(Course.slug == bindparam("slug"), Course.archived_at.is_(None))
)


@dataclass(frozen=True, slots=True)
class ChoiceView:
    """One choice of a knowledge check."""

    key: str
    text_html: str
    is_correct: bool
    why_html: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """A knowledge check or post-test question as published, with what grading it needs."""

    id: int
    key: str
    type: str
    prompt_html: str
    explanation_html: str
    objective: str | None
    choices: tuple[ChoiceView, ...]
    spec: lessons.Question

    def grade(self, selected: list[str] | tuple[str, ...]) -> lessons.GradeResult:
        """Grade an answer; raise ValueError when a key is not one of the choices."""
        return lessons.grade(self.spec, selected)


@dataclass(frozen=True, slots=True)
class LessonView:
    """A live lesson of the published version: its HTML parts and its checks."""

    id: int
    slug: str
    position: int
    title: str
    objectives: tuple[str, ...]
    html_parts: tuple[str, ...]
    word_count: int
    checks: tuple[CheckView, ...]

    def check(self, key: str) -> CheckView | None:
        """Return the knowledge check with this key, if the lesson has it."""
        return next((check for check in self.checks if check.key == key), None)


@dataclass(frozen=True, slots=True)
class CourseContent:
    """What learners see of one course version: manifest and live lessons, in order."""

    id: int
    slug: str
    title: str
    version_id: int
    content_hash: str
    manifest: MappingProxyType[str, Any]
    lessons: tuple[LessonView, ...]
    #: The post-test bank as published (questions not archived), by question id.
    post_test: MappingProxyType[int, CheckView]
    #: Each live lesson's floor in seconds, by lesson id (``lessons.timing.lesson_floor_of``),
    #: worked out once a version, not on every page that shows progress.
    lesson_floors: MappingProxyType[int, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: HTML rendered once for this version (see ``course.learn.fragments``).
    fragments: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def lesson(self, slug: str) -> LessonView | None:
        """Return the live lesson with this slug, if there is one."""
        return next((lesson for lesson in self.lessons if lesson.slug == slug), None)


class _ContentCache:
    """A small LRU of snapshots for one app (tests run many apps on many databases)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[int, str], CourseContent] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> CourseContent | None:
        with self._lock:
            content = self._items.get(key)
            if content is not None:
                self._items.move_to_end(key)
            return content

    def put(self, content: CourseContent) -> None:
        with self._lock:
            self._items[(content.version_id, content.content_hash)] = content
            while len(self._items) > CACHE_SIZE:
                self._items.popitem(last=False)


def init_app(app: Flask) -> None:
    """Give the app its own snapshot cache."""
    app.extensions["course_content"] = _ContentCache()


def published_course(slug: str) -> tuple[Course, CourseContent] | None:
    """Return an open course and its current content, or None (unknown or archived).

    One query when the version is already in memory: the course row with its
    version's content hash, so a restored or re-imported database is never served
    another version's lessons.
    """
    row = db.session.execute(OPEN_COURSE, {"slug": slug}).first()
    if row is None:
        return None
    course, content_hash = row
    return course, content_of(course, content_hash)


def content_of(course: Course | PublishedCourse, content_hash: str | None = None) -> CourseContent:
    """Return the snapshot of the course's current version, loading it once."""
    if course.current_version_id is None:
        raise LookupError(f"course {course.slug!r} has no published version")
    if content_hash is None:
        content_hash = db.session.scalar(
            select(CourseVersion.content_hash).where(CourseVersion.id == course.current_version_id)
        )
    cache: _ContentCache = current_app.extensions["course_content"]
    content = cache.get((course.current_version_id, str(content_hash)))
    if content is None:
        content = _load(course, db.session.get_one(CourseVersion, course.current_version_id))
        cache.put(content)
    return content


def _load(course: Course | PublishedCourse, version: CourseVersion) -> CourseContent:
    # Stored HTML is cleaned again as it is loaded (once a version, per process): rows an
    # older engine stored get today's rules, such as authored ids in their own space and
    # images only from the static files, without waiting for the course's next version.
    live_lessons = db.session.scalars(
        select(Lesson)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position)
    ).all()
    questions = db.session.scalars(
        select(Question)
        .where(Question.course_id == course.id, Question.archived_at.is_(None))
        .order_by(Question.position, Question.id)
        .options(selectinload(Question.choices))
    ).all()
    by_lesson: dict[int, list[CheckView]] = {}
    post_test: dict[int, CheckView] = {}
    for question in questions:
        if question.kind == QuestionKind.POST_TEST:
            post_test[question.id] = check_view(question)
        elif question.lesson_id is not None:
            by_lesson.setdefault(question.lesson_id, []).append(check_view(question))
    manifest = MappingProxyType(dict(version.manifest))
    return CourseContent(
        id=course.id,
        slug=course.slug,
        title=course.title,
        version_id=version.id,
        content_hash=version.content_hash,
        manifest=manifest,
        lessons=tuple(
            LessonView(
                id=lesson.id,
                slug=lesson.slug,
                position=lesson.position,
                title=lesson.title,
                objectives=tuple(lesson.objectives),
                html_parts=tuple(for_display(sanitize(part)) for part in lesson.html_parts),
                word_count=lesson.word_count,
                checks=tuple(by_lesson.get(lesson.id, ())),
            )
            for lesson in live_lessons
        ),
        post_test=MappingProxyType(post_test),
        lesson_floors=MappingProxyType(
            {lesson.id: lesson_floor_of(manifest, lesson) for lesson in live_lessons}
        ),
    )


def check_view(question: Question) -> CheckView:
    """Return a stored question (a check or a post-test question) as an immutable view."""
    return CheckView(
        id=question.id,
        key=question.key,
        type=question.type,
        prompt_html=sanitize(question.prompt_html),
        explanation_html=sanitize(question.explanation_html),
        objective=question.objective,
        choices=tuple(
            ChoiceView(c.key, sanitize(c.text_html), c.is_correct, sanitize(c.why_html))
            for c in question.choices
        ),
        spec=as_spec(question),
    )

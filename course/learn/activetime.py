"""Active time: the wall-clock time a learner spends in a course's lessons, counted once.

Every credit moves the enrolment's ``credited_until`` mark to now, and only time after
the mark, and after the learner's marks in their other courses, is ever credited, so
parallel tabs, heartbeats sent to several lessons (or courses) at once and reloads can
never add up to more than the time that truly passed. Within that:

- a heartbeat (the page sends one only while it is visible and was used recently)
  credits the time since the mark, up to one and a half heartbeat intervals;
- a page request on a lesson (a view, an answer, a completion) credits the time since
  the mark to the lesson shown before it, up to what is left of that lesson's reading
  estimate, so reloading never earns more than reading it would. If that page had a
  working heartbeat, its silence means the learner was away: only up to one interval.

Services flush and never commit; the caller commits once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Row, and_, bindparam, func, select, update

from course.db import utcnow
from course.dbutil import among, insert_ignoring_duplicates
from course.extensions import db
from course.models import (
    Course,
    CourseVersion,
    Enrolment,
    Lesson,
    LessonProgress,
    PostTestAttempt,
)
from lessons.timing import (  # minimum_minutes_of: its callers import it from here
    lesson_cap_seconds,
    minimum_minutes_of,
    reading_minutes_of,
    reading_seconds,
)

#: A heartbeat credits at most this many intervals: timers run a little late.
HEARTBEAT_GRACE = 1.5
#: Page views of one lesson closer together than this are not written (the next written
#: request credits the whole gap, so nothing is lost and most page views only read).
TOUCH_INTERVAL_SECONDS = 60

# The hot paths read and write with Core statements on the tables: a lesson request
# credits time on every answer, and the ORM's query and flush machinery was a third of
# an answer's CPU, spent while SQLite's write lock was held. ``FOR UPDATE`` is left out
# on SQLite.
_ENROLMENT = Enrolment.__table__
_PROGRESS = LessonProgress.__table__
_LESSON = Lesson.__table__
_PAGE = (
    select(
        _PROGRESS.c.id,
        _PROGRESS.c.active_seconds,
        _PROGRESS.c.page_seconds,
        _PROGRESS.c.last_seen_at,
        _PROGRESS.c.last_heartbeat_at,
        _LESSON.c.word_count,
    )
    .join(_LESSON, _LESSON.c.id == _PROGRESS.c.lesson_id)
    .where(
        _PROGRESS.c.enrolment_id == bindparam("enrolment_id"),
        _PROGRESS.c.lesson_id == bindparam("lesson_id"),
    )
)
_OTHER = Enrolment.__table__.alias("other_enrolment")
# The learner's latest credit in their other courses: a minute of their time counts for
# one course only, however many they keep open side by side.
_ELSEWHERE = (
    select(func.max(_OTHER.c.credited_until))
    .where(_OTHER.c.user_id == _ENROLMENT.c.user_id, _OTHER.c.id != _ENROLMENT.c.id)
    .scalar_subquery()
    .label("elsewhere")
)
_MARK = (
    select(_ENROLMENT.c.credited_until, _ENROLMENT.c.last_lesson_id, _ELSEWHERE)
    .where(_ENROLMENT.c.id == bindparam("enrolment_id"))
    .with_for_update()
)
# On SQLite, the mark and the page in one statement: the write transaction already holds
# the database's one write lock, so what it reads is current. Not on PostgreSQL: after
# waiting for another tab's lock on the enrolment, a locking statement re-reads only the
# locked row, and the page row beside it would be the one from before that tab's update
# (nor can it lock the page too: FOR UPDATE refuses the nullable side of an outer join).
_MARK_AND_PAGE = (
    select(
        _ENROLMENT.c.credited_until,
        _ENROLMENT.c.last_lesson_id,
        _ELSEWHERE,
        *_PAGE.selected_columns,
    )
    .select_from(
        _ENROLMENT.outerjoin(
            _PROGRESS,
            and_(
                _PROGRESS.c.enrolment_id == _ENROLMENT.c.id,
                _PROGRESS.c.lesson_id == bindparam("lesson_id"),
            ),
        ).outerjoin(_LESSON, _LESSON.c.id == _PROGRESS.c.lesson_id)
    )
    .where(_ENROLMENT.c.id == bindparam("enrolment_id"))
)
# Executed with the new values as parameters: the SET clause names the columns given,
# and each set of columns is compiled once (a fresh ``values()`` was compiled each time).
_UPDATE_MARK = update(_ENROLMENT).where(_ENROLMENT.c.id == bindparam("row_id"))
_UPDATE_PAGE = update(_PROGRESS).where(_PROGRESS.c.id == bindparam("row_id"))
#: The ORM row, fresh even when the request loaded it before the Core writes.
PROGRESS_ROW = (
    select(LessonProgress)
    .where(
        LessonProgress.enrolment_id == bindparam("enrolment_id"),
        LessonProgress.lesson_id == bindparam("lesson_id"),
    )
    .execution_options(populate_existing=True)
)


def needs_touch(
    enrolment: Any,
    lesson_id: int,
    progress: Any,
    now: datetime | None = None,
) -> bool:
    """Return True when a lesson page view should be written for active time."""
    if progress is None or enrolment.last_lesson_id != lesson_id:
        return True
    now = now or utcnow()
    return (now - progress.last_seen_at).total_seconds() >= TOUCH_INTERVAL_SECONDS


def credit_page(enrolment: Any, lesson, now: datetime | None = None) -> None:
    """Record a request on ``lesson`` (view, answer, completion) and credit the time.

    ``lesson`` is anything with ``id`` and ``word_count`` (a lesson or its snapshot);
    ``enrolment`` anything with ``id``. Writes with Core statements, after flushing what
    the request changed through the ORM; ORM objects already loaded are not refreshed.
    """
    now = now or utcnow()
    db.session.flush()  # the statements below see what the request changed through the ORM
    # Most requests are on a lesson already started: read its row, insert only when none.
    mark, page = _mark_and_page(enrolment.id, lesson.id)
    if page is None:
        insert_ignoring_duplicates(
            LessonProgress,
            {
                "enrolment_id": enrolment.id,
                "lesson_id": lesson.id,
                "started_at": now,
                "last_seen_at": now,
                "active_seconds": 0,
                "page_seconds": 0,
            },
        )
        page = _page(enrolment.id, lesson.id)
    values: dict[str, Any] = {"last_seen_at": now}
    gap = _gap(mark, now)
    if gap and mark.last_lesson_id == lesson.id:
        values |= _page_credit(page, lesson.word_count, gap)  # still on the same lesson
    else:
        _credit_previous(enrolment.id, mark, gap)
    _write_page(page.id, values)
    _advance(enrolment.id, mark.credited_until, now, last_lesson_id=lesson.id)


def leave_lessons(enrolment_id: int, now: datetime | None = None) -> None:
    """The learner turned from the lessons to the post-test: the time up to now goes to the
    lesson shown before, as for any page request, and none after it until a lesson is
    opened again (without this, time taking the test went to the last lesson read)."""
    now = now or utcnow()
    db.session.flush()
    mark = _mark(enrolment_id)
    _credit_previous(enrolment_id, mark, _gap(mark, now))
    _advance(enrolment_id, mark.credited_until, now, last_lesson_id=None)


def end_reading(user_id: int, now: datetime | None = None) -> int:
    """The learner signed out: credit each course's lesson shown last up to now, as any
    page request would, and none after, until a lesson is opened again. Return how many
    enrollments had a lesson open. (Without this, a learner who signed out mid-lesson had
    the time away credited to that lesson on their return, up to its estimate.)"""
    now = now or utcnow()
    reading = db.session.scalars(
        select(_ENROLMENT.c.id).where(
            _ENROLMENT.c.user_id == user_id, _ENROLMENT.c.last_lesson_id.is_not(None)
        )
    ).all()
    for enrolment_id in reading:
        leave_lessons(enrolment_id, now)
    return len(reading)


def _credit_previous(enrolment_id: int, mark: Row, gap: float) -> None:
    """Credit ``gap`` seconds to the lesson the mark says was shown last, if any."""
    if not gap or mark.last_lesson_id is None:
        return
    previous = _page(enrolment_id, mark.last_lesson_id)
    if previous is not None:
        _write_page(previous.id, _page_credit(previous, previous.word_count, gap))


def _page_credit(page: Row, words: int, gap: float) -> dict[str, int]:
    """The new figures of the page shown before a request, for ``gap`` seconds since."""
    if page.last_heartbeat_at is not None and page.last_heartbeat_at >= page.last_seen_at:
        return {"active_seconds": _added(page.active_seconds, words, min(gap, _allowance()))}
    left = max(0, reading_seconds(words) - page.page_seconds)
    seconds = int(min(gap, left))
    return {
        "page_seconds": page.page_seconds + seconds,
        "active_seconds": _added(page.active_seconds, words, seconds),
    }


def credit_heartbeat(enrolment: Any, lesson, now: datetime | None = None) -> int | None:
    """Credit a heartbeat from the page of ``lesson``; return the lesson's active seconds.

    None when the learner never opened the page: nothing was read.
    """
    now = now or utcnow()
    db.session.flush()
    mark, page = _mark_and_page(enrolment.id, lesson.id)
    if page is None:
        return None
    active = page.active_seconds
    gap = _gap(mark, now)
    if gap:
        active = _added(active, lesson.word_count, min(gap, _allowance()))
    _write_page(page.id, {"active_seconds": active, "last_heartbeat_at": now})
    _advance(enrolment.id, mark.credited_until, now)
    return active


def _allowance() -> float:
    return int(current_app.config["HEARTBEAT_SECONDS"]) * HEARTBEAT_GRACE


def _mark_and_page(enrolment_id: int, lesson_id: int) -> tuple[Row, Row | None]:
    """The enrolment's credit mark and the lesson's page row (one statement on SQLite).

    On PostgreSQL the mark's read locks the enrolment's row: two requests of one learner
    (two tabs) credit one after the other, each after the other's mark, and the page is
    read after the lock. SQLite has one writer. The page is None when the lesson has no
    progress row yet.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return _mark(enrolment_id), _page(enrolment_id, lesson_id)
    row = db.session.execute(
        _MARK_AND_PAGE, {"enrolment_id": enrolment_id, "lesson_id": lesson_id}
    ).one()
    return row, (row if row.id is not None else None)


def _mark(enrolment_id: int) -> Row:
    return db.session.execute(_MARK, {"enrolment_id": enrolment_id}).one()


def _page(enrolment_id: int, lesson_id: int) -> Row | None:
    return db.session.execute(
        _PAGE, {"enrolment_id": enrolment_id, "lesson_id": lesson_id}
    ).first()


def _gap(mark: Row, now: datetime) -> float:
    """Seconds since the mark that no credit, in this course or another, has covered yet
    (0 before the course's first page)."""
    if mark.credited_until is None:
        return 0.0
    since = max(mark.credited_until, mark.elsewhere or mark.credited_until)
    return max(0.0, (now - since).total_seconds())


def _advance(
    enrolment_id: int, credited_until: datetime | None, now: datetime, **values: Any
) -> None:
    if credited_until is None or now > credited_until:
        values["credited_until"] = now
    if values:
        db.session.execute(_UPDATE_MARK, {"row_id": enrolment_id, **values})


def _write_page(progress_id: int, values: dict[str, Any]) -> None:
    db.session.execute(_UPDATE_PAGE, {"row_id": progress_id, **values})


def _added(active_seconds: int, words: int, seconds: float) -> int:
    # A lesson's total is capped (three times its reading time, at least ten minutes) so
    # a page left open does not inflate the record; time over the cap is not credited.
    if int(seconds) <= 0:
        return active_seconds
    cap = lesson_cap_seconds(words)
    return max(active_seconds, min(cap, active_seconds + int(seconds)))


# -- what the records show -----------------------------------------------------------------


def minutes_of(seconds: float) -> float:
    """Seconds as minutes to the tenth, rounded down, as every page and export states active
    time: 21:59 is 21.9, never "22.0" beside a 22-minute minimum it did not reach."""
    return seconds // 6 / 10


@dataclass(frozen=True)
class EnrolmentTime:
    """A learner's measured active time in a course beside the course's estimates."""

    enrolment_id: int
    active_seconds: int
    #: The seat-time estimate (reading, post-test and evaluation) of the version taken.
    estimated_minutes: float
    #: The reading part of that estimate: what active time in the lessons measures.
    reading_minutes: float
    #: The minimum active time the version asked for before its post-test.
    minimum_minutes: int
    version_number: int
    #: Lessons the learner marked complete (archived ones included).
    lessons_completed: int = 0

    @property
    def active_minutes(self) -> float:
        """Active time in minutes, to the tenth served (see ``minutes_of``)."""
        return minutes_of(self.active_seconds)

    @property
    def minimum_met(self) -> bool:
        """Whether the active time reached the minimum."""
        return self.active_seconds >= self.minimum_minutes * 60


def enrolment_time(enrolment: Enrolment) -> EnrolmentTime:
    """Return the learner's active time and the estimate of the version they took."""
    return enrolment_times([enrolment.id])[enrolment.id]


def enrolment_times(enrolment_ids: list[int]) -> dict[int, EnrolmentTime]:
    """Return ``enrolment_time`` for many enrolments at once (rosters, audit packs).

    The version taken is that of the passed attempt, else of the latest attempt, else
    the course's current version.
    """
    if not enrolment_ids:
        return {}
    active, completed = {}, {}
    for enrolment_id, seconds, done in db.session.execute(
        select(LessonProgress.enrolment_id, func.sum(LessonProgress.active_seconds),
               func.count(LessonProgress.completed_at))
        .where(among(LessonProgress.enrolment_id, enrolment_ids))
        .group_by(LessonProgress.enrolment_id)
    ):  # fmt: skip
        active[enrolment_id], completed[enrolment_id] = seconds, done
    taken: dict[int, int] = {}
    attempts = db.session.execute(
        select(PostTestAttempt.enrolment_id, PostTestAttempt.version_id, PostTestAttempt.passed)
        .where(among(PostTestAttempt.enrolment_id, enrolment_ids))
        .order_by(PostTestAttempt.number)
    )
    passed: set[int] = set()
    for enrolment_id, version_id, did_pass in attempts:
        if enrolment_id not in passed:
            taken[enrolment_id] = version_id
        if did_pass:
            passed.add(enrolment_id)
    rows = db.session.execute(
        select(Enrolment.id, Enrolment.course_id).where(among(Enrolment.id, enrolment_ids))
    ).all()
    current = dict(
        db.session.execute(
            select(Course.id, Course.current_version_id).where(
                Course.id.in_({course_id for _, course_id in rows})
            )
        ).all()
    )
    version_ids = {taken.get(eid, current.get(cid)) for eid, cid in rows} - {None}
    found = db.session.scalars(select(CourseVersion).where(among(CourseVersion.id, version_ids)))
    versions = {v.id: v for v in found}
    times = {}
    for enrolment_id, course_id in rows:
        version = versions.get(taken.get(enrolment_id, current.get(course_id)))
        manifest = version.manifest if version else {}
        times[enrolment_id] = EnrolmentTime(
            enrolment_id=enrolment_id,
            active_seconds=int(active.get(enrolment_id) or 0),
            estimated_minutes=float(version.estimated_minutes) if version else 0.0,
            reading_minutes=reading_minutes_of(manifest),
            minimum_minutes=minimum_minutes_of(manifest),
            version_number=version.number if version else 0,
            lessons_completed=int(completed.get(enrolment_id) or 0),
        )
    return times


def minutes_to_go(active_seconds: int, minimum_minutes: int) -> int:
    """Whole minutes of reading still needed before the minimum is met (0 once it is)."""
    return max(0, math.ceil((minimum_minutes * 60 - active_seconds) / 60))

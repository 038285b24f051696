"""The minimum active time before the post-test: its default and the checker's findings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .manifest import COURSE_FILE
from .model import CoursePackage, Finding
from .rules import MINUTES_PER_POST_TEST_QUESTION, WORDS_PER_MINUTE, seat_time
from .yamlpaths import key_lines

#: Without ``min_active_minutes`` a course asks for this share of its reading time.
#: Half the estimate is reading at about 334 words a minute, faster than adults read
#: for understanding; docs/ce-credit.md says why it is not more.
DEFAULT_MIN_ACTIVE_SHARE = 0.5
#: The most a lesson's heartbeats can credit: three times its reading time, at least ten
#: minutes, so a page left open does not inflate the record.
LESSON_CAP_FACTOR = 3
LESSON_CAP_FLOOR_MINUTES = 10
#: Each lesson must show at least this share of its part of the course's minimum before
#: the post-test opens. The minimum is for all lessons together; without a floor it could
#: be met on one or two lessons (each may credit up to three times its estimate) while
#: the others showed no reading at all, and an auditor reading the record sees that.
LESSON_FLOOR_SHARE = 0.5


def reading_seconds(words: int) -> int:
    """Seconds the estimate gives to reading ``words`` words."""
    return round(words * 60 / WORDS_PER_MINUTE)


def lesson_cap_seconds(words: int) -> int:
    """The most active time one lesson of ``words`` words can be credited."""
    return max(LESSON_CAP_FLOOR_MINUTES * 60, LESSON_CAP_FACTOR * reading_seconds(words))


class _LessonShare(Protocol):
    slug: str
    word_count: int


def reading_minutes_of(manifest: Mapping[str, Any]) -> float:
    """The reading part of a stored version's seat-time estimate, in minutes."""
    if "reading_minutes" in manifest:
        return float(manifest["reading_minutes"])
    return round(reading_seconds(int(manifest.get("word_count") or 0)) / 60, 1)


def lesson_minutes_of(manifest: Mapping[str, Any], lesson: _LessonShare) -> float:
    """A lesson's share of a stored version's reading estimate (its text and checks)."""
    stored = manifest.get("lesson_reading_minutes") or {}
    if lesson.slug in stored:
        return float(stored[lesson.slug])
    # A version stored before the per-lesson figures: the lesson's share of the words.
    words = int(manifest.get("word_count") or 0)
    return reading_minutes_of(manifest) * lesson.word_count / words if words else 0.0


def whole_minutes(parts: Sequence[float], total: float) -> list[int]:
    """Each part in whole minutes, at least 1, adding up to ``total`` rounded."""
    # Rounding each part alone lets seven lessons of 6.4 minutes show 42 beside a 45-minute
    # total: the parts whose fractions are largest round up until the sum is right. A part
    # under a minute still shows one, even where that takes the sum past the total.
    shown = [max(1, math.floor(part)) for part in parts]
    by_fraction = sorted(range(len(parts)), key=lambda i: parts[i] - shown[i], reverse=True)
    for i in by_fraction[: max(0, round(total) - sum(shown))]:
        shown[i] += 1
    return shown


@dataclass(frozen=True)
class OutlineMinutes:
    """The whole minutes an outline gives each step of a stored version."""

    lessons: dict[str, int]
    post_test: int
    evaluation: int


def outline_minutes(manifest: Mapping[str, Any], lessons: Iterable[_LessonShare]
                    ) -> OutlineMinutes:
    """Each lesson's, the post-test's and the evaluation's minutes, as an outline shows them."""
    # The lessons add up to the reading estimate rounded, and all the steps to the whole
    # estimate rounded: the two totals the course page prints beside the outline.
    lessons = list(lessons)
    reading = reading_minutes_of(manifest)
    shown = whole_minutes([lesson_minutes_of(manifest, lesson) for lesson in lessons], reading)
    post_test = round(int(manifest.get("post_test_draw") or 0) * MINUTES_PER_POST_TEST_QUESTION)
    # Versions stored before the evaluation's own figure was kept counted 5 minutes.
    evaluation = float(manifest.get("evaluation_minutes") or 5)
    total = float(manifest.get("estimated_minutes") or reading + post_test + evaluation)
    # The post-test's minute a question stays as it is; the evaluation takes what is left.
    return OutlineMinutes(
        {lesson.slug: minutes for lesson, minutes in zip(lessons, shown, strict=True)},
        post_test,
        max(1, round(total) - round(reading) - post_test),
    )


def lesson_floor_seconds(
    minimum_minutes: int, lesson_minutes: float, reading_minutes: float
) -> int:
    """The least active time a lesson must show before the post-test opens: half its
    part of the course's minimum, shared out as the reading estimate is (0 without one).

    Under what the lesson credits without JavaScript (its reading estimate) whenever the
    minimum is within the whole estimate, as the checker warns it should be.
    """
    if minimum_minutes <= 0 or reading_minutes <= 0:
        return 0
    share = min(1.0, lesson_minutes / reading_minutes)
    return math.floor(LESSON_FLOOR_SHARE * minimum_minutes * 60 * share)


def minimum_minutes_of(manifest: Mapping[str, Any]) -> int:
    """The minimum active minutes a stored version asks for before its post-test."""
    return int(manifest.get("min_active_minutes") or 0)


def lesson_floor_of(manifest: Mapping[str, Any], lesson: _LessonShare) -> int:
    """A lesson's floor (``lesson_floor_seconds``) in a stored version."""
    return lesson_floor_seconds(
        minimum_minutes_of(manifest), lesson_minutes_of(manifest, lesson),
        reading_minutes_of(manifest),
    )  # fmt: skip


def default_min_active_minutes(reading_minutes: float) -> int:
    """The minimum for a course that sets none: a share of its reading time, in minutes."""
    return math.floor(DEFAULT_MIN_ACTIVE_SHARE * reading_minutes)


def min_active_minutes(package: CoursePackage) -> int:
    """The course's minimum active minutes: its own ``min_active_minutes``, else the default."""
    if package.min_active_minutes is not None:
        return package.min_active_minutes
    return default_min_active_minutes(seat_time(package).reading_minutes)


def timing_findings(package: CoursePackage) -> list[Finding]:
    """An error for a minimum no learner can reach; warnings for 0 or one past the estimate."""
    minutes = package.min_active_minutes
    if minutes is None:
        return []
    line = key_lines(package.files[COURSE_FILE]).get(("min_active_minutes",), 0)
    reading = seat_time(package).reading_minutes
    default = default_min_active_minutes(reading)
    if minutes == 0:
        return [
            Finding(
                "warning", COURSE_FILE, line,
                "min_active_minutes: 0 opens the post-test without any measured reading time;"
                f" leave it out for the default ({DEFAULT_MIN_ACTIVE_SHARE:.0%} of the"
                f" {reading:.1f} min reading estimate = {default} min)",
            )
        ]  # fmt: skip
    reachable = sum(lesson_cap_seconds(lesson.word_count) for lesson in package.lessons) / 60
    if minutes > reachable:  # a course no one can finish must not be published
        return [
            Finding(
                "error", COURSE_FILE, line,
                f"min_active_minutes: {minutes} is more than the lessons can credit"
                f" ({reachable:.0f} min at most), so no learner could open the post-test",
            )
        ]  # fmt: skip
    if minutes > reading:
        return [
            Finding(
                "warning", COURSE_FILE, line,
                f"min_active_minutes: {minutes} is more than the {reading:.1f} min reading"
                " estimate; a learner without JavaScript is credited at most the estimate"
                " and could never open the post-test",
            )
        ]  # fmt: skip
    return []

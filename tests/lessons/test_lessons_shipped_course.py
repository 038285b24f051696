"""The shipped course stays the size its hour needs: lesson words and the seat-time estimate."""

from __future__ import annotations

from pathlib import Path

import lessons

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "running-behavior"


def test_the_shipped_course_reads_as_one_contact_hour() -> None:
    package = lessons.load_package(SHIPPED)
    estimate = lessons.seat_time(package)
    # Lesson words count what a learner reads in the lessons: the text and its knowledge
    # checks (prompt, choices, the keyed feedback), as the checker's estimate does.
    lesson_words = estimate.lesson_words + estimate.check_words
    assert 7_500 <= lesson_words <= 10_000, (estimate.lesson_words, estimate.check_words)
    assert 55 <= estimate.total_minutes <= 65, estimate.total_minutes
    assert estimate.total_minutes >= package.contact_hours * 60
    assert sum(len(lesson.checks) for lesson in package.lessons) >= 2 * len(package.lessons) - 2

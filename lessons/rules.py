"""CE rules and the seat-time estimate, checked on a loaded package."""

from __future__ import annotations

import math

from .evaluation import EVALUATION_FILE
from .language import language_findings
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding, SeatTime, sort_findings
from .yamlread import key_lines

POST_TEST_FILE = "post-test.yaml"
WORDS_PER_MINUTE = 167
MINUTES_PER_POST_TEST_QUESTION = 1.0
EVALUATION_MINUTES = {"likert": 0.5, "number": 0.5, "choice": 0.5, "text": 2.0}
SEAT_TIME_TOLERANCE = 0.15
MIN_OBJECTIVES = 3
MIN_PASSING_SCORE = 80
MAX_TRUE_FALSE_SHARE = 0.10


def format_hours(hours: float) -> str:
    """Contact hours as people write them: 1.0, 1.5, 1.25."""
    text = f"{hours:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def required_draw(contact_hours: float) -> int:
    """Post-test questions needed: 10 for the first hour, 5 per additional (part) half hour."""
    extra_half_hours = math.ceil(max(0.0, contact_hours - 1.0) / 0.5 - 1e-9)
    return 10 + 5 * extra_half_hours


def seat_time(package: CoursePackage) -> SeatTime:
    """Estimate the minutes a learner needs: reading, post-test and evaluation."""
    words = sum(lesson.word_count for lesson in package.lessons)
    reading = words / WORDS_PER_MINUTE
    post_test = package.post_test_draw * MINUTES_PER_POST_TEST_QUESTION
    evaluation = sum(EVALUATION_MINUTES.get(item.type, 0.0) for item in package.evaluation)
    return SeatTime(words, reading, post_test, evaluation, reading + post_test + evaluation)


def describe_seat_time(estimate: SeatTime) -> str:
    """The estimate and how it adds up, e.g. for the checker's summary line."""
    return (
        f"seat-time estimate {estimate.total_minutes:.1f} min ({estimate.lesson_words:,} words"
        f" at {WORDS_PER_MINUTE}/min = {estimate.reading_minutes:.1f}"
        f" + post-test {estimate.post_test_minutes:.1f}"
        f" + evaluation {estimate.evaluation_minutes:.1f})"
    )


def lint(package: CoursePackage) -> list[Finding]:
    """CE rule errors, seat-time and language warnings for a loaded package, sorted."""
    findings = ce_findings(package) + seat_time_findings(package) + language_findings(package)
    return sort_findings(findings)


def ce_findings(package: CoursePackage) -> list[Finding]:
    """Errors for breaches of the CE approval rules."""
    course = key_lines(package.files[COURSE_FILE])
    post_line = key_lines(package.files[POST_TEST_FILE]).get(("questions",), 0)
    evaluation_line = key_lines(package.files[EVALUATION_FILE]).get(("items",), 0)
    found: list[Finding] = []

    def error(file: str, line: int, message: str) -> None:
        found.append(Finding("error", file, line, f"CE rule: {message}"))

    if len(package.objectives) < MIN_OBJECTIVES:
        error(
            COURSE_FILE,
            course.get(("objectives",), 0),
            f"at least {MIN_OBJECTIVES} learning objectives (found {len(package.objectives)})",
        )
    if package.passing_score < MIN_PASSING_SCORE:
        error(
            COURSE_FILE,
            course.get(("passing_score",), 0),
            f"passing_score must be at least {MIN_PASSING_SCORE} (is {package.passing_score})",
        )
    needed = required_draw(package.contact_hours)
    if package.post_test_draw < needed:
        error(
            COURSE_FILE,
            course.get(("post_test", "draw"), 0),
            f"a {format_hours(package.contact_hours)}-hour course draws at least {needed}"
            " post-test questions (10 for the first hour, 5 per additional half hour);"
            f" draw is {package.post_test_draw}",
        )
    bank = len(package.post_test)
    true_false = sum(1 for q in package.post_test if q.type == "true_false")
    if bank and true_false / bank > MAX_TRUE_FALSE_SHARE:
        error(
            POST_TEST_FILE,
            post_line,
            f"at most {MAX_TRUE_FALSE_SHARE:.0%} of the post-test may be true/false"
            f" ({true_false} of {bank} questions)",
        )
    if bank <= package.post_test_draw:
        error(
            POST_TEST_FILE,
            post_line,
            f"the bank ({bank} questions) must be larger than the draw"
            f" ({package.post_test_draw}) so that a retake gets different questions",
        )
    assessed = {q.objective for q in package.post_test}
    evaluated = {item.objective for item in package.evaluation}
    for objective in package.objectives:
        if objective.id not in assessed:
            error(
                POST_TEST_FILE,
                post_line,
                f"objective {objective.id} is not assessed by any post-test question",
            )
        if objective.id not in evaluated:
            error(
                EVALUATION_FILE,
                evaluation_line,
                f"objective {objective.id} has no evaluation item (`objective: {objective.id}`)",
            )
    return found


def seat_time_findings(package: CoursePackage) -> list[Finding]:
    """A warning when the estimate is more than 15% away from the contact hours."""
    estimate = seat_time(package)
    target = package.contact_hours * 60
    low, high = target * (1 - SEAT_TIME_TOLERANCE), target * (1 + SEAT_TIME_TOLERANCE)
    if low <= estimate.total_minutes <= high:
        return []
    advice = (
        "add reading or lower contact_hours"
        if estimate.total_minutes < low
        else "trim reading or raise contact_hours"
    )
    line = key_lines(package.files[COURSE_FILE]).get(("contact_hours",), 0)
    hours = format_hours(package.contact_hours)
    return [
        Finding(
            "warning",
            COURSE_FILE,
            line,
            f"{describe_seat_time(estimate)} is outside {low:.1f}-{high:.1f} min"
            f" (contact_hours {hours} = {target:.0f} min +/-15%); {advice}",
        )
    ]

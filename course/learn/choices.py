"""A learner's own view of a knowledge check: its choices in their order, and feedback."""

from __future__ import annotations

from dataclasses import replace

import lessons
from course.learn.content import CheckView, LessonView
from course.learn.reads import LearnerEnrolment
from course.models import CheckResponse, Enrolment
from lessons.draw import keys_at, shuffled_choices

#: The ORM enrolment, or the read-only one lesson requests read (``reads``).
AnyEnrolment = Enrolment | LearnerEnrolment


def feedback_for(
    lesson: LessonView, responses: dict[int, CheckResponse]
) -> dict[int, lessons.GradeResult]:
    """Return the feedback for each stored answer, keyed by question id."""
    feedback = {}
    for check in lesson.checks:
        response = responses.get(check.id)
        if response is None:
            continue
        try:
            feedback[check.id] = check.grade(response.selected)
        except ValueError:
            continue  # the answer predates a change to the question's choices
    return feedback


def in_learner_order(enrolment: AnyEnrolment, check: CheckView) -> CheckView:
    """Return the check with its choices in this learner's own order (True/False stays).

    The order is the same on every visit (it comes from the enrolment's seed), and a
    page sends a choice's position, not its key (see ``chosen_keys``).
    """
    if check.type == "true_false":
        return check
    by_key = {c.key: c for c in check.choices}
    return replace(check, choices=tuple(by_key[key] for key in choice_order(enrolment, check)))


def choice_order(enrolment: AnyEnrolment, check: CheckView) -> list[str]:
    """Return the check's choice keys in this learner's order (see ``in_learner_order``)."""
    keys = [c.key for c in check.choices]
    if check.type == "true_false":
        return keys
    return shuffled_choices(keys, enrolment.choice_seed, check.key)


def chosen_keys(enrolment: AnyEnrolment, check: CheckView, positions: list[str]) -> list[str]:
    """Map the positions a learner chose on the page to the check's choice keys.

    :raise ValueError: for a position the page did not show.
    """
    order = [c.key for c in in_learner_order(enrolment, check).choices]
    return keys_at(order, positions)

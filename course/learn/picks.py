"""Choices picked on a lesson page, recorded whichever of its buttons is pressed.

The lesson page is one form: each knowledge check's button, the Complete button and the
Enter key all send every check's choices. Without JavaScript, a choice picked under one
check and not checked was lost when the learner pressed another check's button or
Complete, however plainly the page said so. Now each check whose picked choices differ
from its stored answer is recorded, with its own submission key, so a double-click or a
resent form records it once; a check left as it was stored is not recorded again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from course.learn import choices
from course.learn import services as learn
from course.learn.choices import AnyEnrolment
from course.learn.content import CheckView, CourseContent, LessonView


@dataclass(frozen=True, slots=True)
class Picked:
    """What a lesson page sent: each check's picked positions and its submission key."""

    positions: dict[str, list[str]]
    submission_keys: dict[str, str]

    def of(self, check: CheckView) -> list[str]:
        """The positions picked under ``check`` (empty when none)."""
        return self.positions.get(check.key, [])

    def last_picked(self) -> str | None:
        """The key of the last check, in the lesson's order, with a choice picked."""
        return next((key for key, picked in reversed(self.positions.items()) if picked), None)


def posted(form: Mapping, lesson: LessonView, pressed: str | None = None) -> Picked:
    """Read the lesson's checks from a sent ``form`` (a ``MultiDict``).

    A page drawn before the lesson became one form sends only the pressed check, as
    ``choice`` and ``submission_key``: it is read as that check's.
    """
    positions: dict[str, list[str]] = {}
    submission_keys: dict[str, str] = {}
    for check in lesson.checks:
        positions[check.key] = form.getlist(f"choice-{check.key}")
        submission_keys[check.key] = form.get(f"submission_key-{check.key}", "")
    if pressed is not None and not positions.get(pressed) and "choice" in form:
        positions[pressed] = form.getlist("choice")
        submission_keys[pressed] = form.get("submission_key", "")
    return Picked(positions, submission_keys)


def record(
    enrolment: AnyEnrolment,
    content: CourseContent,
    lesson: LessonView,
    picked: Picked,
    pressed: CheckView | None = None,
) -> list[learn.CheckAnswer]:
    """Record the ``pressed`` check's answer and every other check's changed picks.

    The pressed check is recorded as its button asks, even unchanged ("Check again");
    left empty, it is skipped and the caller says so. Returns the answers recorded, in
    the lesson's order.

    :raise ValueError: for a position the page did not show.
    """
    pressed_key = pressed.key if pressed is not None else None
    # Every position is read before anything is written: a bad one records nothing.
    chosen = {
        check.key: choices.chosen_keys(enrolment, check, picked.of(check))
        for check in lesson.checks if picked.of(check)
    }
    others = chosen.keys() - {pressed_key}
    stored = learn.latest_responses(enrolment, lesson) if others else {}
    answers = []
    for check in lesson.checks:
        keys = chosen.get(check.key)
        previous = stored.get(check.id)
        if not keys or (check.key != pressed_key and previous is not None
                        and sorted(previous.selected) == sorted(set(keys))):
            continue
        answers.append(learn.answer_check(
            enrolment, content, lesson, check, keys, picked.submission_keys.get(check.key)
        ))
    return answers

"""Choices picked on a lesson page, recorded whichever of its buttons is pressed.

The lesson page is one form: each knowledge check's button, the Complete button and the
Enter key all send every check's choices. Without JavaScript, a choice picked under one
check and not checked was lost when the learner pressed another check's button or
Complete, however plainly the page said so. Now each check whose picks changed on this
page (the page sends what it ticked when drawn) and differ from its stored answer is
recorded, with its own submission key, so a double-click or a resent form records it
once. A stale page, from another tab, never puts back an answer changed since: its
unchanged picks are not sent as new. The pressed check, unchanged from its stored
answer, shows that answer's feedback again without recording it twice.
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
    #: The positions each check had ticked when the page was drawn (absent: not sent).
    drawn: dict[str, list[str]]

    def of(self, check: CheckView) -> list[str]:
        """The positions picked under ``check`` (empty when none)."""
        return self.positions.get(check.key, [])

    def changed_here(self, check: CheckView) -> bool:
        """Whether the learner changed ``check``'s picks on the page (unknown: True)."""
        drawn = self.drawn.get(check.key)
        return drawn is None or sorted(self.of(check)) != sorted(drawn)

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
    drawn: dict[str, list[str]] = {}
    for check in lesson.checks:
        positions[check.key] = form.getlist(f"choice-{check.key}")
        submission_keys[check.key] = form.get(f"submission_key-{check.key}", "")
        ticked = form.get(f"drawn-{check.key}")
        if ticked is not None:
            drawn[check.key] = [position for position in ticked.split(",") if position]
    if pressed is not None and not positions.get(pressed) and "choice" in form:
        positions[pressed] = form.getlist("choice")
        submission_keys[pressed] = form.get("submission_key", "")
    return Picked(positions, submission_keys, drawn)


def _stale(check: CheckView, stored: list[str]) -> learn.CheckAnswer | None:
    """The stored answer, when a page unchanged since it was drawn presses its check after
    another tab changed it: the learner chose nothing new here (None: its choices changed
    since, so the press is recorded)."""
    try:
        result = check.grade(stored)
    except ValueError:
        return None
    return learn.CheckAnswer(check, result, stored=False, chosen=sorted(stored), stale=True)


def record(
    enrolment: AnyEnrolment,
    content: CourseContent,
    lesson: LessonView,
    picked: Picked,
    pressed: CheckView | None = None,
) -> list[learn.CheckAnswer]:
    """Record the ``pressed`` check's answer and every other check's changed picks.

    The pressed check is answered as its button asks; left empty, it is skipped and the
    caller says so. Unchanged from its stored answer ("Check again"), it is graded again
    and not stored (``CheckAnswer.unchanged``); unchanged on a page drawn before another
    tab changed it, the stored answer stands (``CheckAnswer.stale``). Returns the
    answers, in the lesson's order.

    :raise ValueError: for a position the page did not show.
    """
    pressed_key = pressed.key if pressed is not None else None
    # Every position is read before anything is written: a bad one records nothing.
    chosen = {
        check.key: choices.chosen_keys(enrolment, check, picked.of(check))
        for check in lesson.checks
        if picked.of(check) and (check.key == pressed_key or picked.changed_here(check))
    }
    # The stored answers are read only when they can matter: a pressed check's pick
    # changed on the page is new (the commonest save, kept to one write transaction).
    compare = {key for key in chosen
               if key != pressed_key or (pressed is not None and not picked.changed_here(pressed))}
    stored = learn.latest_responses(enrolment, lesson) if compare else {}
    answers = []
    for check in lesson.checks:
        keys = chosen.get(check.key)
        if not keys:
            continue
        previous = stored.get(check.id) if check.key in compare else None
        if previous is not None and sorted(previous.selected) == sorted(set(keys)):
            if check.key == pressed_key:
                answers.append(learn.CheckAnswer(check, check.grade(keys), stored=False,
                                                 chosen=sorted(set(keys)), unchanged=True))
            continue
        if previous is not None and check.key == pressed_key:
            kept = _stale(check, previous.selected)
            if kept is not None:
                answers.append(kept)
                continue
        answers.append(learn.answer_check(
            enrolment, content, lesson, check, keys, picked.submission_keys.get(check.key)
        ))
    return answers

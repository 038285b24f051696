"""What the lesson page shows: the lesson, its checks filled in for the learner, the outline."""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from markupsafe import Markup

from course.learn import choices, fragments
from course.learn import services as learn
from course.learn.assessment import course_progress
from course.learn.content import CourseContent, LessonView
from course.learn.forms import new_submission_key
from course.learn.reads import LearnerEnrolment

MISSING_MESSAGE = "Answer this knowledge check to finish the lesson."
#: Session key: a note for the next lesson page, under one check's feedback.
CHECK_NOTE = "learn_check_note"


@dataclass(frozen=True)
class Resume:
    """Where a learner who left mid-lesson goes on: the first check still unanswered."""

    answered: int
    key: str
    number: int


def resume_point(lesson: LessonView, responses: dict) -> Resume | None:
    """Return the first unanswered check of a lesson begun but not finished, else None."""
    open_checks = [(n, c) for n, c in enumerate(lesson.checks, 1) if c.id not in responses]
    answered = len(lesson.checks) - len(open_checks)
    if not open_checks or not answered:
        return None
    number, check = open_checks[0]
    return Resume(answered, check.key, number)


def leave_check_note(at: str, also_saved: list[str], unchanged: bool = False) -> None:
    """Say under check ``at``'s feedback, on the page a form without script goes back to,
    which other checks were saved with it, or that nothing had changed."""
    # The page opens at one check's feedback: a check recorded off screen, its pick sent
    # by the lesson's one form, would otherwise meet the learner later as a surprise.
    if also_saved or unchanged:
        session[CHECK_NOTE] = [at, also_saved, unchanged]


def _numbered(lesson: LessonView, keys: list[str]) -> list[tuple[str, int]]:
    """The checks named by ``keys``, as (key, number on the page), in the lesson's order."""
    return [(check.key, n) for n, check in enumerate(lesson.checks, 1) if check.key in keys]


def also_saved_words(lesson: LessonView, keys: list[str]) -> str:
    """"Your answer to knowledge check 1 is saved, with its feedback." for other checks."""
    numbers = [str(n) for _, n in _numbered(lesson, keys)]
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"Your answer to knowledge check {numbers[0]} is saved, with its feedback."
    listed = ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return f"Your answers to knowledge checks {listed} are saved, with their feedback."


def _check_note(lesson: LessonView) -> tuple[str, Markup] | None:
    if CHECK_NOTE not in session:
        return None
    at, also_saved, unchanged = session.pop(CHECK_NOTE)
    if unchanged:
        return at, Markup('<p class="feedback-note">Nothing new to save: this answer is as it '
                          "was saved. To check it again, press the button above.</p>")
    links = [Markup('<a href="#feedback-{}">knowledge check {}</a>').format(key, number)
             for key, number in _numbered(lesson, also_saved)]
    if not links:
        return None
    many = len(links) > 1
    listed = Markup(", ").join(links[:-1]) + Markup(" and ") + links[-1] if many else links[0]
    return at, Markup('<p class="feedback-note">Also saved, from the choice{} you picked: '
                      "your answer{} to {}, with {} feedback.</p>").format(
        "s" if many else "", "s" if many else "", listed, "their" if many else "its")


def lesson_context(
    content: CourseContent,
    lesson: LessonView,
    enrolment: LearnerEnrolment,
    states: list[learn.LessonState],
    check_errors: dict[str, str] | None = None,
    missing: list | None = None,
    *,
    written: bool = False,
) -> dict:
    """Return the lesson template's variables (``written``: the request wrote progress).

    A check without an error comes from its pre-rendered parts (``fragments``); one that
    shows an error (a refused answer, or unanswered at "complete") is rendered in full.
    """
    check_errors = check_errors or {}
    missing_keys = {check.key for check in missing or ()}
    responses = learn.latest_responses(enrolment, lesson)
    note = _check_note(lesson)
    forms, full = [], {}
    for number, check in enumerate(lesson.checks, 1):
        if check.key in check_errors or check.key in missing_keys:
            forms.append(None)
            full[check.key] = choices.in_learner_order(enrolment, check)
            continue
        response = responses.get(check.id)
        forms.append(
            fragments.check_html(
                content, lesson, check, number, choices.choice_order(enrolment, check),
                submission_key=new_submission_key(),
                selected=response.selected if response is not None else None,
                note=note[1] if note is not None and note[0] == check.key else None,
            )
        )
    live = [state.lesson for state in states]
    index = next(i for i, item in enumerate(live) if item.id == lesson.id)
    return {
        "course": content,
        "manifest": content.manifest,
        "lesson": lesson,
        "checks": lesson.checks,
        "check_forms": forms,
        "full_checks": full,
        "responses": responses,
        "resume": resume_point(lesson, responses),
        "feedback": choices.feedback_for(lesson, responses) if full else {},
        "check_errors": check_errors,
        "missing": missing,
        "missing_message": MISSING_MESSAGE,
        "outline": states,
        "progress": course_progress(content, enrolment, states, read_again=written),
        "previous": live[index - 1] if index > 0 else None,
        "next": live[index + 1] if index + 1 < len(live) else None,
        "others_unfinished": any(not s.completed for s in states if s.lesson.id != lesson.id),
        "new_key": new_submission_key,
        "support_html": fragments.support_html(content),
    }

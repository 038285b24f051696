"""What the lesson page shows: the lesson, its checks filled in for the learner, the outline."""

from __future__ import annotations

from dataclasses import dataclass

from course.learn import choices, fragments
from course.learn import services as learn
from course.learn.assessment import course_progress
from course.learn.content import CourseContent, LessonView
from course.learn.forms import new_submission_key
from course.learn.reads import LearnerEnrolment

MISSING_MESSAGE = "Answer this knowledge check to finish the lesson."


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

"""What the lesson page shows: the lesson, its checks filled in for the learner, the outline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import session, url_for
from markupsafe import Markup

from course.learn import choices, fragments
from course.learn import services as learn
from course.learn.assessment import course_progress
from course.learn.content import CheckView, CourseContent, LessonView
from course.learn.forms import new_submission_key
from course.learn.reads import LearnerEnrolment
from course.wording import and_list

MISSING_MESSAGE = "Answer this knowledge check to finish the lesson."
#: Session key: a note for the next lesson page, under one check's feedback.
CHECK_NOTE = "learn_check_note"
#: Session key: a refused "Check my answer" or "Complete", for the lesson page it opens.
REFUSAL = "learn_lesson_refusal"
EMPTY_CHECK_MESSAGE = "Choose an answer, then check it."


@dataclass(frozen=True)
class Resume:
    """Where a learner who left mid-lesson goes on: the first check still unanswered, or
    (``key`` empty) the lesson's end, every check answered and the lesson not complete."""

    answered: int
    key: str
    number: int


def resume_point(lesson: LessonView, responses: dict, completed: bool = False) -> Resume | None:
    """Return the first unanswered check of a lesson begun but not finished, the lesson's
    end when only "Complete" is left, else None."""
    open_checks = [(n, c) for n, c in enumerate(lesson.checks, 1) if c.id not in responses]
    answered = len(lesson.checks) - len(open_checks)
    if not answered or completed:
        return None
    if not open_checks:
        # Left after the last check and before "Complete": without this the lesson opened
        # at its top, the button a phone's many screens of reading away.
        return Resume(answered, "", 0)
    number, check = open_checks[0]
    return Resume(answered, check.key, number)


#: What a note says when nothing new was saved: after Enter, after a check's own button.
UNCHANGED_WORDS = {
    "enter": "Nothing new to save: this answer is as it was saved. To check it again, "
             "press the button above.",
    "pressed": "This is the answer you gave before, so it is not saved a second time: its "
               "feedback is above.",
    "stale": "This answer was changed in another tab or window after that page opened: "
             "here it is as saved now, with its feedback.",
}


def note_kind(answer: learn.CheckAnswer) -> str:
    """Which ``UNCHANGED_WORDS`` an answer that was not stored calls for ("" when stored)."""
    return "stale" if answer.stale else "pressed" if answer.unchanged else ""


def leave_check_note(at: str, also_saved: list[str], unchanged: str = "") -> None:
    """Say under check ``at``'s feedback, on the page a form without script goes back to,
    which other checks were saved with it, or that nothing had changed (``UNCHANGED_WORDS``)."""
    # The page opens at one check's feedback: a check recorded off screen, its pick sent
    # by the lesson's one form, would otherwise meet the learner later as a surprise.
    if also_saved or unchanged:
        session[CHECK_NOTE] = [at, also_saved, unchanged]


def _numbered(lesson: LessonView, keys: list[str]) -> list[tuple[str, int]]:
    """The checks named by ``keys``, as (key, number on the page), in the lesson's order."""
    return [(check.key, n) for n, check in enumerate(lesson.checks, 1) if check.key in keys]


def note_html(lesson: LessonView, also_saved: list[str], unchanged: str = "") -> Markup:
    """The note under a check's feedback: other checks saved with it, or nothing new."""
    if unchanged:
        # An old session may hold True, from before the two wordings.
        words = UNCHANGED_WORDS.get(str(unchanged), UNCHANGED_WORDS["enter"])
        return Markup('<p class="feedback-note">{}</p>').format(words)
    links = [Markup('<a href="#feedback-{}">knowledge check {}</a>').format(key, number)
             for key, number in _numbered(lesson, also_saved)]
    if not links:
        return Markup()
    many = len(links) > 1
    listed = and_list(links)
    return Markup('<p class="feedback-note">Also saved, from the choice{} you picked: '
                  "your answer{} to {}, with {} feedback.</p>").format(
        "s" if many else "", "s" if many else "", listed, "their" if many else "its")


def _check_note(lesson: LessonView) -> tuple[str, Markup] | None:
    if CHECK_NOTE not in session:
        return None
    at, also_saved, unchanged = session.pop(CHECK_NOTE)
    note = note_html(lesson, also_saved, "enter" if unchanged is True else unchanged)
    return (at, note) if note else None


def completion_flash(
    content: CourseContent, lesson: LessonView, recorded: list[learn.CheckAnswer], last: bool
) -> str | dict:
    """What the next page says of a lesson just completed (``last``: every lesson is done),
    with a link back to the feedback on answers saved only as it was completed."""
    done = f"Lesson {lesson.position}, {lesson.title}, is complete"
    done += ": you have finished every lesson." if last else "."
    saved = [a for a in recorded if a.stored]
    if not saved:
        return done
    # Their feedback is the teaching, and the learner moved on without seeing it.
    numbers = [str(n) for _, n in _numbered(lesson, [a.question.key for a in saved])]
    many, listed = len(numbers) > 1, and_list(numbers)
    missed = sum(not a.result.correct for a in saved)
    text = (f"{done} Your answer{'s' if many else ''} to knowledge check{'s' if many else ''} "
            f"{listed} {'were' if many else 'was'} saved as you finished")
    if missed:
        text += f", {missed} of them not quite right" if many else ", not quite right"
    return {"text": text + ".", "link_text": f"See {'their' if many else 'its'} feedback",
            "link": url_for("learn.lesson", slug=content.slug, lesson_slug=lesson.slug,
                            _anchor=f"feedback-{saved[0].question.key}")}


def _shown(content: CourseContent, answer: learn.CheckAnswer) -> dict:
    return {"key": answer.question.key, "correct": answer.result.correct,
            "html": fragments.feedback_html(content, answer.question, answer.chosen),
            "next_key": new_submission_key()}


def answered_elsewhere(
    content: CourseContent, lesson: LessonView, answers: list[learn.CheckAnswer]
) -> dict:
    """The checks recorded beside a pressed one left empty, for the page to show (script),
    and the note saying so beside its refusal."""
    note = note_html(lesson, [answer.question.key for answer in answers])
    return {"others": [_shown(content, answer) for answer in answers], "note": note}


def answered_in_place(
    content: CourseContent, lesson: LessonView, pressed: str, answers: list[learn.CheckAnswer]
) -> dict:
    """What a check answered in place (with script) puts on the page: the pressed check's
    feedback and a note, and every other check recorded with it, each with a new key."""
    mine = next(a for a in answers if a.question.key == pressed)
    others = [a for a in answers if a.question.key != pressed]
    if mine.stale:
        # The page shows an answer that is no longer the saved one: it loads again, and
        # says why where it opens.
        leave_check_note(pressed, [a.question.key for a in others], "stale")
        return {"key": pressed, "stale": True}
    note = note_html(lesson, [a.question.key for a in others], note_kind(mine))
    first = _shown(content, mine)
    return {**first, "html": first["html"] + note,
            "others": [_shown(content, answer) for answer in others]}


def refuse_empty_check(
    content: CourseContent, lesson: LessonView, key: str, also_saved: list[str]
) -> str:
    """Leave an empty check's refusal for the lesson page; return its address at the check."""
    # Shown by a redirect, not as the answer to the POST: a reload then asks nothing and
    # the address bar holds the lesson's own address.
    session[REFUSAL] = [content.slug, lesson.slug, {"check": key, "also_saved": also_saved}]
    return url_for("learn.lesson", slug=content.slug, lesson_slug=lesson.slug,
                   _anchor=f"check-{key}")


def refuse_completion(content: CourseContent, lesson: LessonView, missing: list[CheckView]) -> str:
    """Leave a refused "Complete" for the lesson page; return its address at the list."""
    session[REFUSAL] = [content.slug, lesson.slug, {"missing": [check.key for check in missing]}]
    return url_for("learn.lesson", slug=content.slug, lesson_slug=lesson.slug,
                   _anchor="lesson-missing")


def completion_refused(missing: list[CheckView]) -> dict:
    """A refused "Complete" for a script: what it says, and the checks still unanswered."""
    many = len(missing) > 1
    return {"error": f"{len(missing)} knowledge {'checks are' if many else 'check is'} "
                     "still unanswered.", "missing": [check.key for check in missing]}


def _refusal(
    content: CourseContent, lesson: LessonView, responses: dict
) -> tuple[dict[str, str], dict[str, Markup], list[CheckView]]:
    """The refusal left for this lesson page, once: (check errors, notes, checks missing)."""
    if REFUSAL not in session:
        return {}, {}, []
    # Forgotten wherever it is read: a refusal shown on a later visit would be news of
    # something long past.
    course_slug, lesson_slug, said = session.pop(REFUSAL)
    if (course_slug, lesson_slug) != (content.slug, lesson.slug):
        return {}, {}, []
    key = said.get("check")
    if key is not None and lesson.check(key) is not None:
        note = note_html(lesson, said.get("also_saved", []))
        return {key: EMPTY_CHECK_MESSAGE}, {key: note}, []
    # A check answered since, in another tab, is no longer missing.
    missing = set(said.get("missing", ()))
    return {}, {}, [c for c in lesson.checks if c.key in missing and c.id not in responses]


def keep_name(content: CourseContent, lesson: LessonView, enrolment: LearnerEnrolment) -> str:
    """The browser storage name under which the lesson page keeps this learner's unsent
    picks and reading place: one per account, course version and lesson."""
    # From the enrolment's own random seed, hashed: opaque, so a shared computer's storage
    # names no one, and another account signed in there never finds this one's picks.
    # The version is in it because picks are kept as positions in this version's choices.
    who = hashlib.sha256(f"lesson-keep:{enrolment.choice_seed}".encode()).hexdigest()[:16]
    return f"ce-lesson:{who}:{content.slug}:{content.version_id}:{lesson.slug}"


def lesson_context(
    content: CourseContent,
    lesson: LessonView,
    enrolment: LearnerEnrolment,
    states: list[learn.LessonState],
    *,
    written: bool = False,
) -> dict:
    """Return the lesson template's variables (``written``: the request wrote progress).

    A check without an error comes from its pre-rendered parts (``fragments``); one that
    shows an error (a refused answer, or unanswered at "complete", carried in the session
    by ``refuse_empty_check`` and ``refuse_completion``) is rendered in full.
    """
    responses = learn.latest_responses(enrolment, lesson)
    check_errors, check_notes, missing = _refusal(content, lesson, responses)
    missing_keys = {check.key for check in missing}
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
        "resume": resume_point(lesson, responses, states[index].completed),
        "feedback": choices.feedback_for(lesson, responses) if full else {},
        "check_errors": check_errors,
        "check_notes": check_notes,
        "missing": missing,
        "missing_message": MISSING_MESSAGE,
        "outline": states,
        "progress": course_progress(content, enrolment, states, read_again=written),
        "previous": live[index - 1] if index > 0 else None,
        "next": live[index + 1] if index + 1 < len(live) else None,
        "others_unfinished": any(not s.completed for s in states if s.lesson.id != lesson.id),
        "new_key": new_submission_key,
        "keep_name": keep_name(content, lesson, enrolment),
        "support_html": fragments.support_html(content),
    }

"""The lesson page's fixed HTML, rendered once per course version and filled in per request.

A knowledge check is the same for every learner but for a few things: the order of its
choices (each learner's own), which are ticked, the feedback on the last answer and the
submission key (the page's one CSRF token is in its one form, outside the checks).
Rendering the whole check with Jinja on every page view was most of the page's template
time, so its parts are rendered once, by the same macros the full check uses
(``learn/_check.html``), with markers where those values go, and kept in the course
version's snapshot. A page view fills the markers in.

A post-test question's fieldset is kept the same way (``learn/_post_test.html``): its
number on the page and its choices' order and ticks are filled in per attempt.

The support panel and the course page's objectives, facts and references depend on the
version's manifest alone and are kept the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import get_template_attribute, render_template
from markupsafe import Markup

from course.learn.content import CheckView, CourseContent, LessonView

# Characters no rendered text or URL holds, and that HTML escaping leaves alone.
_KEY, _POSITION, _FEEDBACK = "\x00key\x00", "\x00pos\x00", "\x00fb\x00"
_DRAWN = "\x00drawn\x00"
_LABEL = "\x00label\x00"


@dataclass(frozen=True, slots=True)
class CheckParts:
    """One check's form, in pieces: head, a row per choice (plain and ticked), tails."""

    head: str
    choices_open: str
    choices_close: str
    rows: dict[str, tuple[str, str]]
    unanswered_tail: str
    #: After a wrong answer, then after a right one (the button's words differ).
    answered_tails: tuple[str, str]


def _memo(content: CourseContent, key: Any, make: Callable[[], Any]) -> Any:
    # Two requests may render a part at once; either result is the same, one is kept.
    found = content.fragments.get(key)
    if found is None:
        found = content.fragments.setdefault(key, make())
    return found


def support_html(content: CourseContent) -> Markup:
    """The course's support panel (hotlines and contacts), as every course page shows it."""
    def make() -> Markup:
        return Markup(render_template("_support.html", manifest=content.manifest))

    return _memo(content, "support", make)


@dataclass(frozen=True, slots=True)
class CourseAbout:
    """The course page's fixed parts: before the provider and approval, after, and the
    disclosure and references (the approval is an admin's record, read per request)."""

    head: Markup
    tail: Markup
    notes: Markup


def course_about_html(content: CourseContent) -> CourseAbout:
    """The course page's parts that depend on the version alone."""
    def make() -> CourseAbout:
        parts = {
            part: Markup(render_template(
                "learn/_course_about.html", part=part, manifest=content.manifest
            ))
            for part in ("head", "tail", "notes")
        }
        return CourseAbout(**parts)

    return _memo(content, "course-about", make)


def _row_pairs(question: CheckView, name: str, id_prefix: str) -> dict[str, tuple[str, str]]:
    """Each choice's row, plain and ticked, with a marker for its position."""
    row = get_template_attribute("learn/_choices.html", "choice_row")
    return {
        c.key: (
            str(row(question, c, _POSITION, name, id_prefix, False)),
            str(row(question, c, _POSITION, name, id_prefix, True)),
        )
        for c in question.choices
    }


def _filled_rows(
    rows: dict[str, tuple[str, str]], order: Sequence[str], chosen: Collection[str]
) -> str:
    """The rows in a learner's ``order``, numbered from 1, the ``chosen`` ones ticked."""
    return "\n  \n    ".join(
        rows[key][key in chosen].replace(_POSITION, str(position))
        for position, key in enumerate(order, 1)
    )


def _parts(content: CourseContent, lesson: LessonView, check: CheckView, number: int) -> CheckParts:
    def make() -> CheckParts:
        head = get_template_attribute("learn/_check.html", "check_head")
        tail = get_template_attribute("learn/_check.html", "check_tail")
        inputs = get_template_attribute("learn/_choices.html", "choice_inputs")
        name = f"choice-{check.key}"
        choices_open, rest = str(inputs(check, [], name, check.key, [])).rsplit("</div>", 1)
        where = (content.slug, lesson.slug)
        return CheckParts(
            head=str(head(check, number, _KEY, _DRAWN)),
            choices_open=choices_open,
            choices_close="</div>" + rest,
            rows=_row_pairs(check, name, check.key),
            unanswered_tail=str(tail(check, *where, None, None)),
            answered_tails=(
                str(tail(check, *where, True, None, Markup(_FEEDBACK), False)),
                str(tail(check, *where, True, None, Markup(_FEEDBACK), True)),
            ),
        )

    return _memo(content, ("check", lesson.id, check.id, number), make)


def feedback_html(content: CourseContent, check: CheckView, selected: Sequence[str]) -> Markup:
    """The feedback shown under a check for an answer (the same for everyone who gave it)."""
    return _graded(content, check, selected)[0]


def _graded(
    content: CourseContent, check: CheckView, selected: Sequence[str]
) -> tuple[Markup, bool]:
    chosen = tuple(sorted(set(selected)))

    def make() -> tuple[Markup, bool]:
        result = check.grade(chosen)
        html = render_template("learn/_feedback.html", question=check, result=result)
        return Markup(html), result.correct

    return _memo(content, ("feedback", check.id, chosen), make)


def check_html(
    content: CourseContent,
    lesson: LessonView,
    check: CheckView,
    number: int,
    order: Sequence[str],
    *,
    submission_key: str,
    selected: Collection[str] | None,
    note: Markup | None = None,
) -> Markup:
    """One check's form for a learner: choices in ``order``, ``selected`` ticked (None when
    never answered) and the feedback on that answer, with ``note`` after it; no error
    shown (the full macro does)."""
    parts = _parts(content, lesson, check, number)
    chosen = selected or ()
    rows = _filled_rows(parts.rows, order, chosen)
    if selected is None:
        tail = parts.unanswered_tail
    else:
        try:
            html, correct = _graded(content, check, list(selected))
            feedback = str(html)
        except ValueError:
            feedback, correct = "", False  # the answer predates a change to its choices
        tail = parts.answered_tails[correct].replace(_FEEDBACK, feedback + str(note or ""))
    drawn = ",".join(str(n) for n, key in enumerate(order, 1) if key in chosen)
    head = parts.head.replace(_KEY, submission_key).replace(_DRAWN, drawn)
    choices = f"{parts.choices_open}{rows}\n{parts.choices_close}"
    return Markup(f"{head}\n      {choices}\n{tail}")


@dataclass(frozen=True, slots=True)
class FieldsetParts:
    """A post-test question's fieldset in pieces: up to its choices, a row per choice
    (plain and ticked), and the rest."""

    head: str
    rows: dict[str, tuple[str, str]]
    tail: str


def _fieldset_parts(content: CourseContent, question: CheckView) -> FieldsetParts:
    def make() -> FieldsetParts:
        fieldset = get_template_attribute("learn/_post_test.html", "question_fieldset")
        inputs = get_template_attribute("learn/_choices.html", "choice_inputs")
        base = f"q-{question.key}"
        no_choices = str(inputs(question, [], base, base, []))
        # The last match: the choices come after the prompt, whatever the prompt holds.
        before, _, after = str(fieldset(question, [], _LABEL, [], False)).rpartition(no_choices)
        choices_open, choices_close = no_choices.rsplit("</div>", 1)
        return FieldsetParts(
            head=before + choices_open,
            rows=_row_pairs(question, base, base),
            tail=f"\n</div>{choices_close}{after}",
        )

    return _memo(content, ("post-test", question.id), make)


def post_test_fieldset(
    content: CourseContent,
    question: CheckView,
    choices: Sequence[str],
    label: str,
    chosen: Collection[str],
) -> Markup:
    """A post-test question for one attempt: ``choices`` (keys) in the attempt's order,
    the ``chosen`` ones ticked, under ``label``; no error shown (the full macro does)."""
    parts = _fieldset_parts(content, question)
    rows = _filled_rows(parts.rows, choices, chosen)
    return Markup(f"{parts.head.replace(_LABEL, label)}{rows}{parts.tail}")


def post_test_fieldsets(
    content: CourseContent, drawn: Sequence[Any], selected: Mapping[str, Collection[str]]
) -> list[Markup]:
    """Every drawn question's fieldset (``posttest.DrawnQuestion``), numbered in order,
    with the answers saved so far (question key -> choice keys) ticked."""
    total = len(drawn)
    return [
        post_test_fieldset(
            content,
            item.question,
            [choice.key for choice in item.choices],
            f"Question {number} of {total}",
            selected.get(item.question.key, ()),
        )
        for number, item in enumerate(drawn, 1)
    ]

"""The course evaluation: when it opens, checking the answers, storing it once."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm.attributes import flag_modified

from course import outbox
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn.assessment import InvalidSubmission, NotYetOpen, Progress, course_progress
from course.models import (
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
)
from course.names import is_stand_in

#: Refused until the learner adds the name their certificate should carry.
NAME_NEEDED = (
    "Your learning system did not share your name, so your certificate has none to show. "
    "Add your name on your profile, exactly as it appears on your license, then submit "
    "again: your answers are kept."
)


class NameNeeded(Exception):
    """The account holds the LMS stand-in name: a certificate would name nobody."""


LIKERT_LABELS = {
    "1": "Strongly disagree",
    "2": "Disagree",
    "3": "Neither agree nor disagree",
    "4": "Agree",
    "5": "Strongly agree",
}


def evaluation_items(course: Course) -> list[EvaluationItem]:
    """Return the course's live evaluation items in order."""
    return list(
        db.session.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.course_id == course.id, EvaluationItem.archived_at.is_(None))
            .order_by(EvaluationItem.position)
            # Fresh values even for items this session already holds (objects outlive
            # commits), so a submit checks against the form as it is now.
            .execution_options(populate_existing=True)
        )
    )


def _evaluation_of(enrolment: Enrolment) -> EvaluationResponse | None:
    return db.session.scalar(
        select(EvaluationResponse).where(EvaluationResponse.enrolment_id == enrolment.id)
    )


def ensure_evaluation_open(course: Course, enrolment: Enrolment) -> Progress:
    """Return the progress when the evaluation may be filled in.

    :raise NotYetOpen: until the post-test is passed.
    """
    progress = course_progress(course, enrolment)
    if progress.passed_attempt is None:
        raise NotYetOpen("The evaluation opens once you have passed the post-test.")
    return progress


#: The longest comment an evaluation stores (the page says so beside the box).
COMMENT_LIMIT = 5000


def validate_evaluation(items: list[EvaluationItem], values: dict[str, str]) -> dict[str, str]:
    """Return an error message per item key for missing or out-of-range answers."""
    errors: dict[str, str] = {}
    for item in items:
        value = (values.get(item.key) or "").strip()
        if not value:
            if item.required:
                errors[item.key] = _unanswered(item)
            continue
        if item.type == "likert" and value not in LIKERT_LABELS:
            errors[item.key] = "Choose one of the five options."
        elif item.type == "choice" and value not in item.choices:
            errors[item.key] = "Choose one of the options."
        elif item.type == "number":
            # ASCII digits only ("²".isdigit() is true, but int() refuses it), and few
            # enough that int() never parses thousands of them.
            if not (value.isascii() and value.isdigit()):
                # "1 hour" or "60 min" is a natural answer to the minutes question: say
                # what to type, as the message for an empty answer does.
                errors[item.key] = (
                    "Enter the number of minutes as a whole number, for example 60."
                    if asks_minutes(item) else "Enter a whole number."
                )
            elif len(value.lstrip("0")) > 9:
                errors[item.key] = "Enter a smaller number."
            elif item.minimum is not None and int(value) < item.minimum:
                errors[item.key] = f"Enter a number of at least {item.minimum}."
            elif item.maximum is not None and int(value) > item.maximum:
                errors[item.key] = f"Enter a number no larger than {item.maximum}."
        elif item.type == "text" and len(value) > COMMENT_LIMIT:
            errors[item.key] = (
                f"Keep your answer to {COMMENT_LIMIT:,} characters or fewer; "
                f"it has {len(value):,}."
            )
    return errors


@dataclass(frozen=True)
class ErrorSummary:
    """The evaluation's errors as its summary lists them, by question number (from 1).

    Required questions left empty are listed by number alone, as the post-test lists its
    own: a list of full prompts ran to two screens on a phone.
    """

    unanswered: list[tuple[int, EvaluationItem]] = field(default_factory=list)
    other: list[tuple[int, EvaluationItem, str]] = field(default_factory=list)


def error_summary(
    items: list[EvaluationItem], values: dict[str, str], errors: dict[str, str]
) -> ErrorSummary:
    """Sort ``validate_evaluation``'s errors into unanswered questions and the rest."""
    summary = ErrorSummary()
    for number, item in enumerate(items, 1):
        if item.key not in errors:
            continue
        if (values.get(item.key) or "").strip():
            summary.other.append((number, item, errors[item.key]))
        else:
            summary.unanswered.append((number, item))
    return summary


def asks_minutes(item: EvaluationItem) -> bool:
    """Whether the item is the course's question on how many minutes it took."""
    return item.type == "number" and "minute" in item.prompt.lower()


def _unanswered(item: EvaluationItem) -> str:
    """The message for a required item left empty, worded as the post-test words its own."""
    if item.type in ("likert", "choice"):
        return "Choose an answer to this question."
    if item.type == "number":
        # Courses ask how many minutes the course took (see docs/course-package.md); an
        # example says what to type, but would mislead on a number that counts anything else.
        if asks_minutes(item):
            return "Enter the number of minutes, for example 60."
        return "Enter a whole number."
    return "Please answer this question."


def submit_evaluation(
    course: Course, enrolment: Enrolment, values: dict[str, str]
) -> EvaluationResponse:
    """Store the evaluation once and complete the course.

    :raise NotYetOpen: before the post-test is passed.
    :raise InvalidSubmission: when answers are missing or out of range (see
        ``validate_evaluation`` for the messages).
    """
    ensure_evaluation_open(course, enrolment)
    items = evaluation_items(course)
    if validate_evaluation(items, values):
        raise InvalidSubmission("evaluation answers are missing or out of range")
    if is_stand_in(enrolment.user.full_name):
        raise NameNeeded(NAME_NEEDED)
    now = utcnow()
    inserted = insert_ignoring_duplicates(
        EvaluationResponse,
        {
            "enrolment_id": enrolment.id,
            "version_id": course.current_version_id,
            "submitted_at": now,
        },
    )
    response = _evaluation_of(enrolment)
    if not inserted:
        # Another request (a double click, another tab) stored it first: this one read the
        # enrollment before that commit, and the certificate it goes on to issue needs the
        # completion it recorded.
        db.session.refresh(enrolment, ["completed_at"])
    else:
        answers = [
            {"response_id": response.id, "item_id": item.id, "value": value}
            for item in items
            if (value := (values.get(item.key) or "").strip())
        ]
        if answers:
            # One statement for all the answers, not one each: the ORM inserts objects
            # row by row on SQLite, and these rows hold the write lock other saves wait on.
            db.session.execute(insert(EvaluationAnswer), answers)
        enrolment.completed_at = enrolment.completed_at or now
        enrolment.evaluation_draft = None  # the answers are stored now
        # Cleared even when it was empty as this request first read it: another tab's
        # save may have written one since, and the session does not know.
        flag_modified(enrolment, "evaluation_draft")
        db.session.flush()
        outbox.course_completed(enrolment)
    return response

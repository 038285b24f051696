"""A fair post-test over several attempts: caps and waits, what a review may show, and
the attempt history the learner record and audit pack show."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from course.dates import time_label
from course.db import utcnow
from course.extensions import db
from course.learn import reads
from course.learn.assessment import Closed, NotYetOpen, Progress, closed_by_progress
from course.learn.content import CourseContent, LessonView
from course.models import Enrolment, PostTestAttempt, Question
from lessons.manifest import DEFAULT_MAX_ATTEMPTS, DEFAULT_RETAKE_WAIT_MINUTES, DEFAULT_REVIEW


@dataclass(frozen=True)
class RetakeRules:
    """A course's rules for attempts (``post_test:`` in course.yaml)."""

    max_attempts: int  # 0: no cap
    wait_minutes: int
    review: str  # "missed", "keyed" or "score"


@dataclass(frozen=True)
class ReviewView:
    """What a review of one attempt shows."""

    #: Which choice of each question was keyed.
    keys: bool
    #: The questions with the learner's answers and the explanations.
    questions: bool


@dataclass(frozen=True)
class ObjectiveShare:
    """One objective in an attempt's blueprint, as a review shows it."""

    objective: str
    text: str
    drawn: int
    bank: int
    missed: int


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt in a learner's history, for the learner record and the audit pack."""

    attempt: PostTestAttempt
    version_number: int
    blueprint: list[ObjectiveShare]

    @property
    def number(self) -> int:
        return self.attempt.number

    @property
    def submitted(self) -> bool:
        return self.attempt.submitted_at is not None


@dataclass(frozen=True)
class PostTestStep:
    """The post-test as the course page shows it: open or why not, and the last review."""

    closed: Closed | None
    #: The number of the learner's newest submitted attempt, if any.
    last_attempt: int | None = None
    #: Answers kept in the open attempt, when there are any.
    saved: SavedAnswers | None = None


@dataclass(frozen=True)
class SavedAnswers:
    """Answers kept for a form not yet sent: how many, of how many, and when."""

    answered: int
    of: int | None
    saved_at: datetime


def _answered(draft: dict[str, Any] | None) -> int:
    """How many answers a kept draft holds (an emptied field is none)."""
    return sum(1 for value in (draft or {}).values() if value)


def saved_evaluation(enrolment: Any) -> SavedAnswers | None:
    """Return the evaluation answers kept so far, for the course page's next step."""
    row = reads.evaluation_draft(enrolment.id)
    if row is None or row.evaluation_draft_saved_at is None:
        return None
    answered = _answered(row.evaluation_draft)
    return SavedAnswers(answered, None, row.evaluation_draft_saved_at) if answered else None


def rules_of(manifest: Any) -> RetakeRules:
    """Return a stored version's attempt rules (the defaults for versions made before them)."""
    return RetakeRules(
        max_attempts=int(manifest.get("post_test_max_attempts", DEFAULT_MAX_ATTEMPTS)),
        wait_minutes=int(
            manifest.get("post_test_retake_wait_minutes", DEFAULT_RETAKE_WAIT_MINUTES)
        ),
        review=str(manifest.get("post_test_review", DEFAULT_REVIEW)),
    )


def _counted(attempts: Iterable[Any]) -> list[datetime]:
    """When each submitted attempt that counts was sent (an admin's reset stays in the
    record but no longer counts or makes one wait)."""
    return [a.submitted_at for a in attempts if a.submitted_at is not None and a.counts]


def attempts_after(manifest: Any, attempts: Iterable[Any]) -> int | None:
    """How many more attempts the course allows after the open one; None without a cap."""
    cap = rules_of(manifest).max_attempts
    if not cap:
        return None
    return max(0, cap - len(_counted(attempts)) - 1)


def ensure_can_draw(course, enrolment: Enrolment, now: datetime | None = None) -> None:
    """Check that the learner may start a new attempt.

    :raise NotYetOpen: when every allowed attempt is used, or the wait after a failed
        attempt has not passed yet.
    """
    closed = closed_for_retake(course.manifest, enrolment.attempts, now)
    if closed:
        raise NotYetOpen(closed.reason, closed.heading)


def closed_for_retake(
    manifest: Any, attempts: Iterable[Any], now: datetime | None = None
) -> Closed | None:
    """Return why a new attempt cannot start yet (every attempt used, or the wait after
    the last one); None when it can. ``attempts`` need ``submitted_at`` and ``counts``."""
    submitted = _counted(attempts)
    return closed_after(manifest, len(submitted), max(submitted, default=None), now)


def closed_after(
    manifest: Any, counted: int, last_sent: datetime | None, now: datetime | None = None
) -> Closed | None:
    """Return why a new attempt cannot start yet, from how many attempts count and when
    the last of them was sent (as ``closed_for_retake``); None when it can."""
    rules = rules_of(manifest)
    if rules.max_attempts and counted >= rules.max_attempts:
        cap = rules.max_attempts
        used = f"all {cap} attempts" if cap > 1 else "your one attempt"  # not "all 1 attempts"
        return Closed(
            "used_up",
            f"You have used {used} at this post-test. Please"
            " contact the course provider, who can review your attempts with you and"
            " allow another.",
            "No attempts left",
            heading="No attempts left at this post-test",
        )
    if last_sent is None or not rules.wait_minutes:
        return None
    opens_at = last_sent + timedelta(minutes=rules.wait_minutes)
    left = math.ceil(((opens_at - (now or utcnow())).total_seconds()) / 60)
    if left <= 0:
        return None
    minutes = "minute" if left == 1 else "minutes"
    # The clock shows whole minutes: said as the minute it opens in ("9:45" for 9:45:40),
    # a learner back at 9:45 would be turned away again. The next whole minute is open.
    shown = opens_at if not (opens_at.second or opens_at.microsecond) else (
        opens_at.replace(second=0, microsecond=0) + timedelta(minutes=1))
    return Closed(
        "wait",
        f"You can take the post-test again in about {left} {minutes}, at"
        f" {time_label(shown)}. Meanwhile the review of your last attempt shows which"
        " topics to look at again in the lessons.",
        f"Can retake in about {left} {minutes}",
        left,
        opens_at=shown,
        heading="A short break before your next attempt",
    )


def last_submitted(attempts: Iterable[PostTestAttempt]) -> PostTestAttempt | None:
    """Return the learner's newest submitted attempt, whose review says what to read again."""
    submitted = [a for a in attempts if a.submitted_at is not None]
    return max(submitted, key=lambda a: a.number, default=None)


def post_test_step(content: CourseContent, enrolment: Any, progress: Progress) -> PostTestStep:
    """Return whether the learner can take the post-test now, as ``post_test`` decides.

    Reads the learner's attempts (one query) only once the lessons are done and the
    post-test is not passed: before that the lessons decide, and after it nothing waits.
    """
    closed = closed_by_progress(progress)
    if progress.passed_attempt or not progress.lessons_complete:
        return PostTestStep(closed)
    attempts = reads.submitted_attempts(enrolment.id)
    closed = closed or closed_for_retake(content.manifest, attempts)
    draft = None if closed else reads.open_attempt_draft(enrolment.id)
    answered = _answered(draft.draft) if draft else 0
    saved = SavedAnswers(answered, draft.question_count, draft.draft_saved_at) if answered else None
    return PostTestStep(closed, attempts[-1].number if attempts else None, saved)


def manifest_of(attempt: PostTestAttempt, content: CourseContent) -> Any:
    """Return the manifest of the version the attempt was drawn from (in memory if current)."""
    if attempt.version_id == content.version_id:
        return content.manifest
    return attempt.version.manifest


def review_of(attempt: PostTestAttempt, manifest: Any) -> ReviewView:
    """Return what the review of a submitted attempt shows under the course's policy.

    A failed attempt never shows the keyed choices unless the course chose ``keyed``:
    the learner sees what was missed and why, then answers a new draw on their own.
    """
    policy = rules_of(manifest).review
    if attempt.passed or policy == "keyed":
        return ReviewView(keys=True, questions=True)
    return ReviewView(keys=False, questions=policy != "score")


def blueprint_of(
    attempt: PostTestAttempt, missed_ids: set[int], manifest: Any = None
) -> list[ObjectiveShare]:
    """Return the objectives of the attempt's draw and how many questions of each were missed.

    ``manifest`` is that of the attempt's version, when the caller has it at hand.
    Attempts drawn before blueprints were kept get one worked out from their questions.
    """
    manifest = attempt.version.manifest if manifest is None else manifest
    texts = {o["id"]: o["text"] for o in manifest.get("objectives", [])}
    objective_of = {item["question_id"]: item.get("objective") for item in attempt.draw}
    if any(value is None for value in objective_of.values()):
        rows = db.session.execute(
            select(Question.id, Question.objective).where(Question.id.in_(list(objective_of)))
        )
        objective_of = {question_id: objective or "" for question_id, objective in rows}
    blueprint = attempt.blueprint or [
        {"objective": o, "drawn": list(objective_of.values()).count(o), "bank": 0}
        for o in dict.fromkeys(objective_of.values())
    ]
    return [
        ObjectiveShare(
            objective=share["objective"],
            text=texts.get(share["objective"], ""),
            drawn=share["drawn"],
            bank=share["bank"],
            missed=sum(
                1
                for question_id, objective in objective_of.items()
                if objective == share["objective"] and question_id in missed_ids
            ),
        )
        for share in blueprint
    ]


def missed_question_ids(attempt: PostTestAttempt) -> set[int]:
    """Ids of the drawn questions a submitted attempt did not answer correctly."""
    right = {answer.question_id for answer in attempt.answers if answer.is_correct}
    return {item["question_id"] for item in attempt.draw} - right


def attempt_history(enrolment: Enrolment) -> list[AttemptRecord]:
    """Return every attempt of the enrolment, in order, with its version and blueprint."""
    attempts = db.session.scalars(
        select(PostTestAttempt)
        .where(PostTestAttempt.enrolment_id == enrolment.id)
        .order_by(PostTestAttempt.number)
        .options(selectinload(PostTestAttempt.answers), selectinload(PostTestAttempt.version))
    )
    return [
        AttemptRecord(
            attempt=attempt,
            version_number=attempt.version.number,
            blueprint=blueprint_of(
                attempt, missed_question_ids(attempt) if attempt.submitted_at else set()
            ),
        )
        for attempt in attempts
    ]


def lessons_by_objective(content: CourseContent) -> dict[str, list[LessonView]]:
    """Return the live lessons that teach each objective, in course order."""
    found: dict[str, list[LessonView]] = {}
    for lesson in content.lessons:
        for objective in lesson.objectives:
            found.setdefault(objective, []).append(lesson)
    return found

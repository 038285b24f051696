"""The post-test: a draw balanced by objective and stored once with its blueprint, the
choices' positions on the page mapped back to their keys, grading and recording once."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from course import outbox
from course.db import utcnow
from course.extensions import db
from course.learn import activetime, retakes
from course.learn.assessment import PASSED_ATTEMPT_ID, InvalidSubmission, Unanswered, open_attempt
from course.learn.content import CheckView, ChoiceView, CourseContent, check_view
from course.models import AttemptAnswer, Enrolment, PostTestAttempt, Question
from lessons import grade
from lessons.draw import balanced_draw, keys_at

_shuffler = random.SystemRandom()


@dataclass(frozen=True)
class DrawnQuestion:
    """A question of an attempt, with its choices in the attempt's shuffled order."""

    question: CheckView
    choice_keys: tuple[str, ...]

    @property
    def choices(self) -> list[ChoiceView]:
        by_key = {c.key: c for c in self.question.choices}
        return [by_key[key] for key in self.choice_keys if key in by_key]


@dataclass(frozen=True)
class PreparedDraw:
    """What an attempt stores: the questions in order, and the blueprint they follow."""

    items: list[dict[str, Any]]
    blueprint: list[dict[str, Any]]


# Before a draw is stored, under SQLite's write lock: whether the learner has passed,
# their open attempt, the last attempt's number, and how many attempts count and when the
# last was sent (the cap and the wait, checked again), in one round trip. PostgreSQL takes
# no such lock and needs none here: the one statement reads from one snapshot, and a tab
# that draws (and even sends) an attempt after it takes the number this draw would store,
# unique per enrollment, so the insert below fails instead of passing the cap or the wait.
_COUNTED = (
    PostTestAttempt.enrolment_id == bindparam("enrolment_id"),
    PostTestAttempt.submitted_at.is_not(None),
    PostTestAttempt.reset_at.is_(None),
)
_BEFORE_DRAW = select(
    PASSED_ATTEMPT_ID.scalar_subquery(),
    select(PostTestAttempt.id)
    .where(
        PostTestAttempt.enrolment_id == bindparam("enrolment_id"),
        PostTestAttempt.submitted_at.is_(None),
        PostTestAttempt.reset_at.is_(None),
    )
    .limit(1)  # one at most: a partial unique index holds it
    .scalar_subquery(),
    select(func.max(PostTestAttempt.number))
    .where(PostTestAttempt.enrolment_id == bindparam("enrolment_id"))
    .scalar_subquery(),
    select(func.count()).select_from(PostTestAttempt).where(*_COUNTED).scalar_subquery(),
    select(func.max(PostTestAttempt.submitted_at)).where(*_COUNTED).scalar_subquery(),
)


def questions_seen(enrolment: Enrolment) -> set[str]:
    """The question ids of the learner's earlier attempts at the course (read with the
    enrolment's attempts, which the page needs anyway)."""
    return {item["question_id"] for attempt in enrolment.attempts for item in attempt.draw or ()}


def prepare_draw(content: CourseContent, seen: Collection[str] = ()) -> PreparedDraw:
    """Draw the post-test's questions, every objective its share, and shuffle choices.

    A retake asks questions the learner has not seen (``seen``) before any it repeats, as
    its page promises new ones. From the published bank in memory; the result is stored
    with the attempt, so a reload shows the same questions in the same order.
    """
    bank = content.post_test
    objectives = [o["id"] for o in content.manifest.get("objectives", [])]
    count = min(int(content.manifest["post_test_draw"]), len(bank))
    picked, shares = balanced_draw(
        [(question_id, bank[question_id].objective or "") for question_id in sorted(bank)],
        objectives,
        count,
        _shuffler,
        seen,
    )
    items = []
    for question_id in picked:
        question = bank[question_id]
        keys = [choice.key for choice in question.choices]
        if question.type != "true_false":
            _shuffler.shuffle(keys)
        items.append(
            {
                "question_id": question_id,
                "key": question.key,
                "objective": question.objective or "",
                "choices": keys,
            }
        )
    blueprint = [{"objective": s.objective, "drawn": s.drawn, "bank": s.bank} for s in shares]
    return PreparedDraw(items, blueprint)


def store_draw(
    content: CourseContent, enrolment: Enrolment, draw: PreparedDraw
) -> PostTestAttempt | None:
    """Store a prepared draw as the open attempt; inside the write transaction.

    Checked again first, in SQL: if another tab drew meanwhile, its attempt is returned
    instead; if another tab passed meanwhile, or sent the last attempt the course allows
    (or one that starts a wait), None: the page's check before the lock saw less.
    """
    passed_id, open_id, latest, counted, last_sent = db.session.execute(
        _BEFORE_DRAW, {"enrolment_id": enrolment.id}
    ).one()
    if passed_id is not None:
        return None
    if open_id is not None:
        return db.session.get(PostTestAttempt, open_id)
    if retakes.closed_after(content.manifest, counted, last_sent):
        return None
    attempt = PostTestAttempt(
        enrolment_id=enrolment.id,
        number=1 + (latest or 0),
        version_id=content.version_id,
        draw=draw.items,
        blueprint=draw.blueprint,
        question_count=len(draw.items),
        started_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another tab drew after the check (PostgreSQL lets it): its attempt is the one
        # to show, or none once it was sent (then the page says why no attempt is open).
        attempt = open_attempt(enrolment)
    else:
        activetime.leave_lessons(enrolment.id)
        outbox.post_test_attempted(attempt)
    return attempt


def drawn_questions(content: CourseContent, attempt: PostTestAttempt) -> list[DrawnQuestion]:
    """Return the attempt's questions in their drawn order.

    From the published bank in memory; a question archived since the draw (an import
    replaced it) is read from the database, as the learner saw it.
    """
    ids = [item["question_id"] for item in attempt.draw]
    views = {i: content.post_test[i] for i in ids if i in content.post_test}
    archived = [i for i in ids if i not in views]
    if archived:
        rows = db.session.scalars(
            select(Question).where(Question.id.in_(archived)).options(selectinload(Question.choices))
        )
        views.update((question.id, check_view(question)) for question in rows)
    return [
        DrawnQuestion(views[item["question_id"]], tuple(item["choices"]))
        for item in attempt.draw
        if item["question_id"] in views
    ]


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question of a submitted attempt as the learner saw it when it was graded."""

    id: int
    prompt_html: str
    explanation_html: str
    choices: tuple[ChoiceView, ...]


def graded_record(
    prompt_html: str, explanation_html: str, choices: Iterable[tuple[str, str, bool]]
) -> dict[str, Any]:
    """Return what ``AttemptAnswer.shown`` keeps: the prompt, the explanation and the
    choices shown, in order, as (key, text HTML, keyed) triples."""
    return {
        "prompt_html": prompt_html,
        "explanation_html": explanation_html,
        "choices": [{"key": key, "text_html": text_html, "is_correct": is_correct}
                    for key, text_html, is_correct in choices],
    }


def _as_graded(drawn: DrawnQuestion) -> dict[str, Any]:
    question = drawn.question
    return graded_record(question.prompt_html, question.explanation_html,
                         ((c.key, c.text_html, c.is_correct) for c in drawn.choices))


def _from_graded(question_id: int, shown: dict[str, Any]) -> AnsweredQuestion:
    choices = tuple(ChoiceView(c["key"], c["text_html"], c["is_correct"], "")
                    for c in shown["choices"])
    return AnsweredQuestion(question_id, shown["prompt_html"], shown["explanation_html"], choices)


def answered_question(answer: AttemptAnswer) -> AnsweredQuestion:
    """Return an answer's question as graded; as it stands now for answers from before
    the attempt kept it (their keys may name other texts since a revision)."""
    if answer.shown:
        return _from_graded(answer.question_id, answer.shown)
    question = answer.question
    return AnsweredQuestion(question.id, question.prompt_html, question.explanation_html,
                            tuple(ChoiceView(c.key, c.text_html, c.is_correct, "")
                                  for c in question.choices))


def reviewed_questions(
    content: CourseContent, attempt: PostTestAttempt, answers: Mapping[int, AttemptAnswer]
) -> list[AnsweredQuestion]:
    """Return a submitted attempt's questions in their drawn order, as graded."""
    graded = {qid: answer.shown for qid, answer in answers.items() if answer.shown}
    now: dict[int, DrawnQuestion] = {}
    if any(item["question_id"] not in graded for item in attempt.draw):
        now = {d.question.id: d for d in drawn_questions(content, attempt)}
    reviewed = []
    for item in attempt.draw:
        qid = item["question_id"]
        if qid in graded:
            reviewed.append(_from_graded(qid, graded[qid]))
        elif qid in now:
            question = now[qid].question
            reviewed.append(AnsweredQuestion(qid, question.prompt_html,
                                             question.explanation_html, tuple(now[qid].choices)))
    return reviewed


def chosen_keys(
    content: CourseContent, attempt: PostTestAttempt, positions: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """Map a post-test form's answers (question key -> positions) to choice keys.

    Positions count the choices the page showed: the draw's order, less any choice a
    revision removed since the draw.

    :raise InvalidSubmission: for a question that was not drawn or a position that is
        not on the page.
    """
    orders = {
        item.question.key: [choice.key for choice in item.choices]
        for item in drawn_questions(content, attempt)
    }
    answers = {}
    for key, values in positions.items():
        if key not in orders:
            raise InvalidSubmission("answers for questions that are not in this attempt")
        try:
            answers[key] = keys_at(orders[key], values)
        except ValueError as exc:
            raise InvalidSubmission(str(exc)) from exc
    return answers


@dataclass(frozen=True)
class GradedAttempt:
    """An attempt's answers graded against the drawn questions, not yet recorded.

    Rows hold question ids, not questions: the write transaction that records them
    begins with a commit, and an expired question would be loaded again under the lock.
    """

    rows: tuple[tuple[int, list[str], bool, dict[str, Any]], ...]
    correct: int
    passed: bool
    #: The version that graded it and that version's passing score, kept with the result.
    version_id: int
    passing_score: int

    @property
    def score_percent(self) -> int:
        return (100 * self.correct) // len(self.rows) if self.rows else 0


def grade_attempt(
    content: CourseContent, attempt: PostTestAttempt, answers: dict[str, list[str]]
) -> GradedAttempt:
    """Grade an attempt's answers; reads only, so it runs before the write transaction.

    ``answers`` maps question keys to selected choice keys.

    :raise InvalidSubmission: when an answer names a question that was not drawn, or a
        choice the question does not have.
    :raise NotYetOpen: when a drawn question is left unanswered.
    """
    drawn = drawn_questions(content, attempt)
    by_key = {d.question.key: d for d in drawn}
    unknown = set(answers) - set(by_key)
    if unknown:
        raise InvalidSubmission("answers for questions that are not in this attempt")
    missing = [i for i, d in enumerate(drawn, start=1) if not answers.get(d.question.key)]
    if missing and attempt.submitted_at is None:
        raise Unanswered(missing)
    rows = []
    for key, shown in by_key.items():
        try:
            result = grade(shown.question.spec, answers.get(key, []))
        except ValueError as exc:
            raise InvalidSubmission(str(exc)) from exc
        selected = sorted(set(answers.get(key, [])))
        rows.append((shown.question.id, selected, result.correct, _as_graded(shown)))
    correct = sum(ok for _, _, ok, _ in rows)
    passing = int(content.manifest["passing_score"])
    passed = bool(rows) and correct * 100 >= passing * len(rows)
    return GradedAttempt(tuple(rows), correct, passed, content.version_id, passing)


def differs_from_recorded(attempt: PostTestAttempt, graded: GradedAttempt) -> bool:
    """Whether answers sent for an attempt already recorded differ from those recorded."""
    if attempt.submitted_at is None:  # not recorded at all: an administrator reset it
        return False
    recorded = {answer.question_id: sorted(answer.selected) for answer in attempt.answers}
    return recorded != {qid: sorted(selected) for qid, selected, _, _ in graded.rows}


def record_attempt(attempt: PostTestAttempt, graded: GradedAttempt) -> tuple[PostTestAttempt, bool]:
    """Record a graded attempt exactly once; return it and whether this call recorded it."""
    # A conditional update is the lock: of two racing submits only one matches.
    claimed = db.session.execute(
        update(PostTestAttempt)
        .where(
            PostTestAttempt.id == attempt.id,
            PostTestAttempt.submitted_at.is_(None),
            PostTestAttempt.reset_at.is_(None),  # an admin reset it: it is not graded
        )
        .values(
            submitted_at=utcnow(),
            correct_count=graded.correct,
            score_percent=graded.score_percent,
            passed=graded.passed,
            graded_version_id=graded.version_id,
            passing_score=graded.passing_score,
            draft=None,  # the answers are recorded now; the draft has done its work
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        # One statement for all the answers: the write lock is held while they go in.
        rows = [
            {"attempt_id": attempt.id, "question_id": qid, "selected": selected,
             "is_correct": ok, "shown": shown}
            for qid, selected, ok, shown in graded.rows
        ]
        db.session.execute(insert(AttemptAnswer), rows)
        activetime.leave_lessons(attempt.enrolment_id)  # a lesson opened during the test
    db.session.refresh(attempt)
    if claimed:
        outbox.post_test_submitted(attempt)
    return attempt, bool(claimed)

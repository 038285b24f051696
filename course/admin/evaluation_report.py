"""Evaluation results per item: Likert spread and mean, number median, choices, comments."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import Integer, Select, cast, func, select

from course.admin.aggregates import Count, count_of, median_of, percent
from course.dbutil import among
from course.extensions import db
from course.learn.evaluation import LIKERT_LABELS, asks_minutes
from course.models import Course, EvaluationAnswer, EvaluationItem, EvaluationResponse

LIKERT_VALUES = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class EvaluationStat:
    """Results for one evaluation item."""

    item: EvaluationItem
    responses: int
    counts: list[Count]
    mean: float | None
    median: float | None
    comments: list[str]
    #: On the course's question on minutes taken: the answers under half its contact
    #: minutes, worth a look by the provider (the post-test opened on measured reading).
    under_half: int | None = None
    #: Half the course's contact minutes, the line ``under_half`` counts below.
    half_minutes: int | None = None

    @property
    def comment_count(self) -> int:
        """Every comment given, of which ``comments`` may hold only the newest."""
        return self.responses if self.item.type == "text" else 0


def _answers(course: Course, enrolments: Collection[int] | None = None) -> Select:
    statement = (
        select(EvaluationAnswer.item_id)
        .join(EvaluationItem, EvaluationItem.id == EvaluationAnswer.item_id)
        .where(EvaluationItem.course_id == course.id)
    )
    return _of(statement, enrolments)


def _of(statement: Select, enrolments: Collection[int] | None) -> Select:
    """Narrow a query of evaluation answers to the responses of these enrolments."""
    if enrolments is None:
        return statement
    return statement.join(
        EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id
    ).where(among(EvaluationResponse.enrolment_id, enrolments))


#: A comment emptied when its learner's account was deleted (course.privacy.deletion).
ERASED_COMMENT = "[removed when the learner's account was deleted]"


def evaluation_results(
    course: Course, enrolments: Collection[int] | None = None, newest_comments: int | None = None
) -> list[EvaluationStat]:
    """Return per-item results: Likert spread and mean, number median, choice counts, comments
    (of every response, or of those ``enrolments`` gave; oldest first, or only the
    ``newest_comments``, newest first)."""
    items = list(
        db.session.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.course_id == course.id)
            .order_by(EvaluationItem.archived_at.is_not(None), EvaluationItem.position)
        )
    )
    grouped = db.session.execute(
        _answers(course, enrolments)
        .add_columns(EvaluationAnswer.value, func.count())
        .where(EvaluationItem.type.in_(("likert", "choice")))
        .group_by(EvaluationAnswer.item_id, EvaluationAnswer.value)
    ).all()
    responses = dict(
        db.session.execute(
            _answers(course, enrolments)
            .add_columns(func.count())
            .group_by(EvaluationAnswer.item_id)
        ).all()
    )
    results = []
    for item in items:
        n = responses.get(item.id, 0)
        if item.archived_at is not None and not n:
            continue
        counts = {value: c for item_id, value, c in grouped if item_id == item.id}
        stat = _item_result(item, n, counts, enrolments, newest_comments)
        if asks_minutes(item) and course.current_version is not None:
            stat = _with_short_answers(stat, course, enrolments)
        results.append(stat)
    return results


def _with_short_answers(stat: EvaluationStat, course: Course,
                        enrolments: Collection[int] | None) -> EvaluationStat:
    """Count the self-reported times under half the course's contact minutes."""
    half = round(float(course.current_version.manifest.get("contact_hours") or 0) * 30)
    under = count_of(_of(
        select(func.count()).select_from(EvaluationAnswer).where(
            EvaluationAnswer.item_id == stat.item.id,
            cast(EvaluationAnswer.value, Integer) < half),
        enrolments,
    ))  # fmt: skip
    return replace(stat, under_half=under, half_minutes=half)


def _item_result(
    item: EvaluationItem,
    n: int,
    counts: dict[str, int],
    enrolments: Collection[int] | None,
    newest: int | None,
) -> EvaluationStat:
    mean = median = None
    comments: list[str] = []
    labels: list[str] = []
    if item.type == "likert":
        labels = list(LIKERT_VALUES)
        if n:
            mean = round(sum(int(v) * c for v, c in counts.items() if v.isdigit()) / n, 2)
    elif item.type == "choice":
        labels = list(item.choices) + sorted(set(counts) - set(item.choices))
    elif item.type == "number":
        median = median_of(
            _of(
                select(cast(EvaluationAnswer.value, Integer)).where(
                    EvaluationAnswer.item_id == item.id
                ),
                enrolments,
            )
        )
    elif item.type == "text":
        statement = (
            select(EvaluationAnswer.value)
            .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
            .where(EvaluationAnswer.item_id == item.id)
        )
        if enrolments is not None:
            statement = statement.where(among(EvaluationResponse.enrolment_id, enrolments))
        if newest is None:
            order = (EvaluationResponse.submitted_at, EvaluationAnswer.id)
        else:
            # A report page at a few thousand completions listed every comment (200 KB).
            order = (EvaluationResponse.submitted_at.desc(), EvaluationAnswer.id.desc())
        found = db.session.scalars(statement.order_by(*order).limit(newest))
        # Only an account's deletion empties a stored comment (blank ones are not stored):
        # say so, or an auditor cannot tell it from a row left blank.
        comments = [comment or ERASED_COMMENT for comment in found]
    # A Likert answer is stored as 1-5: its words say which end agrees.
    words = LIKERT_LABELS if item.type == "likert" else {}
    rows = [Count(v, counts.get(v, 0), percent(counts.get(v, 0), n), words.get(v))
            for v in labels]  # fmt: skip
    return EvaluationStat(item, n, rows, mean, median, comments)

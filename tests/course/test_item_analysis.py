"""Item analysis: the discrimination index beside difficulty, and how the page explains it."""

from __future__ import annotations

import csv
import io
import statistics
import zipfile

import pytest
from sqlalchemy import select

from course.admin import report_services as reports
from course.admin.item_analysis import MIN_ANSWERS, Discrimination, discrimination, point_biserial
from course.db import utcnow
from course.extensions import db
from course.learn import services as learn
from course.models import (
    AttemptAnswer,
    Course,
    PostTestAttempt,
    Question,
    QuestionKind,
    Role,
)
from tests.course.factories import import_course, make_user, sign_in

# Twelve learners (rows) answer the same five questions (columns): 1 right, 0 wrong.
# q1 follows overall strength, q2 runs against it, q3 everyone gets right, q4 and q5 vary.
PATTERN = [
    # q1 q2 q3 q4 q5
    (1, 0, 1, 1, 1),
    (1, 0, 1, 1, 1),
    (1, 0, 1, 1, 1),
    (1, 0, 1, 1, 0),
    (1, 1, 1, 1, 1),
    (1, 0, 1, 0, 1),
    (0, 1, 1, 1, 0),
    (0, 1, 1, 0, 0),
    (0, 1, 1, 0, 0),
    (0, 0, 1, 0, 0),
    (1, 1, 1, 0, 0),
    (0, 1, 1, 0, 1),
]


def _bank(course: Course) -> list[Question]:
    query = (
        select(Question)
        .where(Question.course_id == course.id, Question.kind == QuestionKind.POST_TEST)
        .order_by(Question.position)
    )
    return list(db.session.scalars(query))[:5]


def _record(course: Course, bank: list[Question], pattern=PATTERN) -> None:
    for row in pattern:
        enrolment = learn.enrol(make_user(), course)
        attempt = PostTestAttempt(
            enrolment_id=enrolment.id, number=1, version_id=course.current_version_id,
            draw=[{"question_id": q.id, "key": q.key, "choices": []} for q in bank],
            question_count=len(bank), started_at=utcnow(), submitted_at=utcnow(),
            correct_count=sum(row), score_percent=round(100 * sum(row) / len(row)),
            passed=sum(row) == len(row),
        )  # fmt: skip
        db.session.add(attempt)
        db.session.flush()
        for question, right in zip(bank, row, strict=True):
            db.session.add(
                AttemptAnswer(attempt_id=attempt.id, question_id=question.id, selected=[],
                              is_correct=bool(right))
            )  # fmt: skip
    db.session.commit()


def _reference(column: int) -> float:
    """The corrected point-biserial by the book: item against the rest of the attempt."""
    item = [row[column] for row in PATTERN]
    rest = [(sum(row) - row[column]) / (len(row) - 1) for row in PATTERN]
    return statistics.correlation(item, rest)


def test_the_sums_formula_is_pearsons_r():
    x, y = [1, 0, 1, 1, 0, 0, 1], [0.9, 0.2, 0.7, 0.4, 0.5, 0.1, 0.8]
    sums = (
        len(x),
        sum(x),
        sum(y),
        sum(v * v for v in y),
        sum(a * b for a, b in zip(x, y, strict=True)),
    )
    assert point_biserial(*sums) == pytest.approx(statistics.correlation(x, y))
    assert point_biserial(3, 3, 1.5, 0.9, 1.5) is None  # everyone right: no spread
    assert point_biserial(3, 1, 1.5, 0.75, 0.5) is None  # every rest score equal


def test_discrimination_per_question_against_the_rest_of_each_attempt(app, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        bank = _bank(course)
        _record(course, bank)
        found = discrimination(course.id)
    indexes = [found[q.id] for q in bank]
    assert [d.answers for d in indexes] == [len(PATTERN)] * 5
    for column in (0, 1, 3, 4):
        assert indexes[column].index == pytest.approx(round(_reference(column), 2))
    assert indexes[0].index > 0.3 and indexes[0].reading == "good"
    assert indexes[1].index < 0 and indexes[1].reading.startswith("negative")
    assert indexes[2] == Discrimination(len(PATTERN), None)
    assert indexes[2].reading == "no spread to measure"


def test_too_few_answers_show_no_index(app, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        bank = _bank(course)
        _record(course, bank, PATTERN[: MIN_ANSWERS - 1])
        found = discrimination(course.id)
    assert {d.index for d in found.values()} == {None}
    assert {d.reading for d in found.values()} == {"too few answers"}


def test_an_unsubmitted_attempt_does_not_count(app, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        bank = _bank(course)
        _record(course, bank)
        attempt = db.session.scalars(select(PostTestAttempt)).first()
        attempt.submitted_at = None
        db.session.commit()
        found = discrimination(course.id)
    assert found[bank[0].id].answers == len(PATTERN) - 1


def test_the_report_shows_difficulty_and_discrimination_with_a_note(
    app, client, minimal_package_dir
):
    with app.app_context():
        course = import_course(minimal_package_dir)
        bank = _bank(course)
        _record(course, bank)
        report = reports.course_report(course)
        first = next(s for s in report.post_test if s.question.id == bank[0].id)
        assert first.percent == pytest.approx(round(100 * 7 / 12, 1))
        assert first.discrimination.index == pytest.approx(round(_reference(0), 2))
        admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    page = client.get("/admin/courses/minimal/report").get_data(as_text=True)
    assert "Difficulty (share correct)" in page and '<th scope="col">Discrimination</th>' in page
    assert "learners who did well on the rest of the" in page
    assert f"{round(_reference(0), 2):.2f}</td>\n      <td>good</td>" in page
    assert "negative: check the answer key and wording" in page
    assert "too few answers" in page  # the bank's unanswered questions


def test_the_pack_gives_a_negative_discrimination_as_a_number(app, client, minimal_package_dir):
    with app.app_context():
        course = import_course(minimal_package_dir)
        bank = _bank(course)
        _record(course, bank)
        admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/admin/courses/minimal/audit-pack.zip").data))
    text = archive.read("item-analysis.csv").decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["question_id"] == bank[1].key)
    # A number carries no formula: an apostrophe before the minus made it text that a
    # spreadsheet cannot sort or average, and that float() refuses.
    assert float(row["discrimination"]) == pytest.approx(round(_reference(1), 2))

"""The insert-or-nothing helper that stores a replayed form exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.models import Course, Enrolment, User
from tests.course.factories import import_course, make_user


@pytest.fixture
def learner_and_course(app: Flask, minimal_package_dir) -> tuple[int, int]:
    with app.app_context():
        user = make_user()
        course = import_course(minimal_package_dir)
        return user.id, course.id


def _enrolments(user_id: int) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == user_id)))


def test_the_first_insert_wins_and_a_replay_stores_nothing(app, learner_and_course):
    user_id, course_id = learner_and_course
    first = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with app.app_context():
        assert insert_ignoring_duplicates(
            Enrolment, {"user_id": user_id, "course_id": course_id, "enrolled_at": first}
        )
        replay = datetime(2026, 1, 5, 9, 31, tzinfo=UTC)
        assert not insert_ignoring_duplicates(
            Enrolment, {"user_id": user_id, "course_id": course_id, "enrolled_at": replay}
        )
        db.session.commit()
        (enrolment,) = _enrolments(user_id)
        assert enrolment.enrolled_at == first  # converted both ways as the column does


def test_a_column_left_out_takes_its_model_default(app, learner_and_course):
    user_id, course_id = learner_and_course
    with app.app_context():
        before = datetime.now(UTC)
        assert insert_ignoring_duplicates(Enrolment, {"user_id": user_id, "course_id": course_id})
        db.session.commit()
        (enrolment,) = _enrolments(user_id)
        assert before <= enrolment.enrolled_at <= datetime.now(UTC)


def test_an_unknown_column_is_named_and_nothing_is_stored(app, learner_and_course):
    user_id, course_id = learner_and_course
    with app.app_context():
        with pytest.raises(KeyError, match="enrolled_on"):
            insert_ignoring_duplicates(
                Enrolment, {"user_id": user_id, "course_id": course_id, "enrolled_on": None}
            )
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
        assert db.session.get(User, user_id) is not None
        assert db.session.get(Course, course_id) is not None

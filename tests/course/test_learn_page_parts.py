"""The lesson page's checks, built from parts rendered once per course version, show each
learner their own order, their own ticks and feedback, and fresh tokens on every view."""

from __future__ import annotations

import re

import pytest
from flask import get_template_attribute
from sqlalchemy import select

from course.extensions import db
from course.learn.choices import feedback_for, in_learner_order
from course.learn.content import content_of
from course.learn.services import latest_responses
from course.models import Course, Question
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import check_positions, choices_on_page, enrolment_of, plain

LESSON = "/courses/minimal/lessons/push-pull"


@pytest.fixture
def course_slug(app, minimal_package_dir) -> str:
    with app.app_context():
        return import_course(minimal_package_dir).slug


def _answer(app, client, check: str, *keys: str) -> list[str]:
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == check))
        positions = check_positions(client, "minimal", question, list(keys))
    response = client.post(f"{LESSON}/checks/{check}", data={f"choice-{check}": positions})
    assert response.status_code == 303
    return positions


def _two_learners(app):
    """Two learners signed in on their own clients, both enrolled in the minimal course."""
    first, second = app.test_client(), app.test_client()
    with app.app_context():
        sign_in(first, make_user(email="one@example.org"))
        sign_in(second, make_user(email="two@example.org"))
    for client in (first, second):
        client.post("/courses/minimal/enrol")
    return first, second


def _ticked(page: str, check: str) -> set[str]:
    found = re.findall(rf'id="{check}-(\d+)" value="\d+" checked', page)
    return set(found)


def test_each_learner_sees_their_own_ticks_order_and_feedback(app, course_slug):
    first, second = _two_learners(app)
    ticked = _answer(app, first, "push-pull-2", "a", "c")  # one right, one wrong
    page = first.get(LESSON).get_data(as_text=True)
    assert _ticked(page, "push-pull-2") == set(ticked)
    assert _ticked(page, "push-pull-1") == set()
    assert "Not quite" in plain(page) and "An invitation pulls rather than pushes." in page
    assert ">Check again</button>" in page and ">Check my answer</button>" in page
    # The other learner's page shows none of it, in that learner's own order.
    other = second.get(LESSON).get_data(as_text=True)
    assert _ticked(other, "push-pull-2") == set() and "Not quite" not in plain(other)
    with app.app_context():
        for client, html in ((first, page), (second, other)):
            question = db.session.scalar(select(Question).where(Question.key == "push-pull-2"))
            ordered = in_learner_order(enrolment_of(client, "minimal"), _snapshot_check(question))
            order = [plain(c.text_html) for c in ordered.choices]
            labels = [label for _, label in choices_on_page(html, "choice-push-pull-2")]
            assert labels == order


def _snapshot_check(question: Question):
    course = db.session.get(Course, question.course_id)
    lessons = content_of(course).lessons
    return next(lesson for lesson in lessons if lesson.id == question.lesson_id).check(question.key)


def test_every_view_gets_fresh_submission_keys(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    pattern = r'name="submission_key-[\w-]+" value="([^"]+)"'
    first = re.findall(pattern, client.get(LESSON).get_data(as_text=True))
    second = re.findall(pattern, client.get(LESSON).get_data(as_text=True))
    assert len(first) == 2 and len(set(first + second)) == 4


def test_a_check_from_its_parts_reads_as_the_full_form(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    _answer(app, client, "push-pull-2", "a", "b")
    page = client.get(LESSON).get_data(as_text=True)
    tokens = r'(name="(?:csrf_token|submission_key-[\w-]+)" value=)"[^"]*"'
    normal = lambda html: " ".join(re.sub(tokens, r'\1""', html).split())  # noqa: E731
    with app.test_request_context():
        enrolment = enrolment_of(client, "minimal")
        course = db.session.get(Course, enrolment.course_id)
        lesson = content_of(course).lesson("push-pull")
        responses = latest_responses(enrolment, lesson)
        feedback = feedback_for(lesson, responses)
        form = get_template_attribute("learn/_check.html", "check_form")
        for number, check in enumerate(lesson.checks, 1):
            full = form(in_learner_order(enrolment, check), number, responses.get(check.id),
                        feedback.get(check.id), "minimal", "push-pull", lambda: "")
            assert normal(str(full)) in normal(page)


def test_interleaved_tries_show_each_checks_newest_answer(app, course_slug):
    first, second = _two_learners(app)
    _answer(app, first, "push-pull-1", "b")
    newest_two = _answer(app, first, "push-pull-2", "a", "c")
    newest_one = _answer(app, first, "push-pull-1", "a")
    others = _answer(app, second, "push-pull-2", "b")  # tried last, by someone else
    page = first.get(LESSON).get_data(as_text=True)
    assert _ticked(page, "push-pull-1") == set(newest_one)
    assert _ticked(page, "push-pull-2") == set(newest_two)
    assert _ticked(second.get(LESSON).get_data(as_text=True), "push-pull-2") == set(others)

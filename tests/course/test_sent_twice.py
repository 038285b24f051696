"""A post-test or evaluation sent twice counts once, and the learner is told what became
of the second sending: from another tab with other answers, or a second click; and the
course page says when answers wait in one not yet sent."""

from __future__ import annotations

from sqlalchemy import func, select

from course.db import write_transaction
from course.extensions import db
from course.issuing import issue_after_completion
from course.learn.evaluation import evaluation_items, submit_evaluation
from course.models import Course, Enrolment, EvaluationResponse, PostTestAttempt
from tests.course.journey import answers_for, evaluation_form, open_attempt
from tests.course.test_answers_kept import (  # noqa: F401  (the learner fixture)
    EVALUATION,
    POST_TEST,
    learner,
    with_token,
)

ALREADY = "This attempt had already been submitted, from another tab or window."


def test_a_second_tab_with_other_answers_is_told_they_were_not_recorded(
        app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        passing = with_token(client, POST_TEST, answers_for(attempt, right=10))
        failing = {**answers_for(attempt, right=0), "csrf_token": passing["csrf_token"]}
        first = client.post(POST_TEST, data=passing)  # tab A
        assert ALREADY not in client.get(first.location).get_data(as_text=True)
        second = client.post(POST_TEST, data=failing)  # tab B, answered otherwise
        assert second.location == first.location  # the review of the one recorded
        review = client.get(second.location).get_data(as_text=True)
        assert ALREADY in review and "were not recorded" in review
        assert client.post(POST_TEST, data=passing).status_code == 303  # a second click
        assert ALREADY not in client.get(first.location).get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).score_percent == 100
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 1


def test_a_second_tab_with_questions_left_blank_is_told_they_were_not_recorded(
        app, client, learner):  # noqa: F811
    # Not asked to finish an attempt that is already graded: its answers would go nowhere.
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        passing = with_token(client, POST_TEST, answers_for(attempt, right=10))
        half = dict(list(passing.items())[:6])  # the id and 5 answers, as tab B left them
        half["csrf_token"] = passing["csrf_token"]
        first = client.post(POST_TEST, data=passing)  # tab A
        second = client.post(POST_TEST, data=half)  # tab B
        assert second.status_code == 303 and second.location == first.location
        assert ALREADY in client.get(second.location).get_data(as_text=True)
        db.session.expire_all()
        stored = db.session.get(PostTestAttempt, attempt.id)
        assert (stored.score_percent, stored.draft) == (100, None)


def test_an_evaluation_sent_twice_still_says_the_course_is_complete(
        app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        data = with_token(client, EVALUATION, evaluation_form(db.session.scalar(select(Course))))
        assert client.post(EVALUATION, data=data).status_code == 303
        # The browser dropped the first reply (a double click): the second still says it.
        client.get("/courses/minimal/certificate")  # (the first reply's notice, shown)
        again = client.post(EVALUATION, data=data)
        assert again.status_code == 302
        page = client.get(again.location, follow_redirects=True).get_data(as_text=True)
        assert "the course is complete. It counted once" in page
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1


def test_the_course_page_says_when_post_test_or_evaluation_answers_wait(
        app, client, learner):  # noqa: F811
    with app.app_context():
        course_page = "/courses/minimal"
        assert "Take the post-test" in client.get(course_page).get_data(as_text=True)
        attempt = open_attempt(client, "minimal")
        half = dict(list(answers_for(attempt, right=10).items())[:6])  # the id and 5 answers
        client.post(f"{POST_TEST}/save", data=with_token(client, POST_TEST, half))
        page = " ".join(client.get(course_page).get_data(as_text=True).split())
        assert "Your post-test answers are saved: 5 of 10 questions answered (last saved" in page
        assert "Continue the post-test</a>" in page and "Take the post-test" not in page
        home = client.get("/").get_data(as_text=True)  # My learning words it alike
        assert "Continue the post-test</a>" in home and "Take the post-test" not in home
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        assert "Fill in the evaluation" in client.get(course_page).get_data(as_text=True)
        some = dict(list(evaluation_form(db.session.scalar(select(Course))).items())[:2])
        client.post(f"{EVALUATION}/save", data=with_token(client, EVALUATION, some))
        page = " ".join(client.get(course_page).get_data(as_text=True).split())
        assert "Your evaluation answers are saved (last saved" in page
        assert "Continue the evaluation</a>" in page
        home = client.get("/").get_data(as_text=True)
        assert "Continue the evaluation</a>" in home and "Fill in" not in home


def test_the_second_of_an_evaluation_sent_twice_at_once_issues_the_certificate_quietly(
        app, client, learner, caplog):  # noqa: F811
    """A double click sends the evaluation twice at once. The second request read the
    enrollment before the first stored the evaluation, and reaches the certificate while
    the first is still drawing it: it issues the certificate (one, shared) rather than
    logging a failure for an operator to chase."""
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        course = db.session.scalar(select(Course))
        form = evaluation_form(course)
        values = {item.key: form[f"item-{item.id}"] for item in evaluation_items(course)}
        second = db.session.scalar(select(Enrolment))  # read by the second click's request
        db.session.commit()  # (outside a request a transaction would hold SQLite's lock)
        with app.app_context():  # the first click's: stored, its certificate not drawn yet
            first = db.session.scalar(select(Enrolment))
            with write_transaction():
                submit_evaluation(first.course, first, values)
        with write_transaction():
            submit_evaluation(course, second, values)
        certificate = issue_after_completion(second)
        assert certificate is not None and certificate.enrolment_id == second.id
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1
    assert "not issued yet" not in caplog.text

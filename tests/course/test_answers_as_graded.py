"""A submitted post-test keeps its questions as graded: a later revision that rewords a
question or turns its choices around changes neither the review nor the records."""

from __future__ import annotations

import re

import yaml
from markupsafe import Markup
from sqlalchemy import select

from course.extensions import db
from course.models import AttemptAnswer, PostTestAttempt, Question, Role
from tests.course.factories import PASSWORD, import_course, make_user, sign_in
from tests.course.journey import answers_for, open_attempt

PROMPT = "Which are push factors? Select all that apply."
REWORDED = "Which of these push a youth away from a placement?"


def _your_answers(review: str, prompt: str) -> list[str]:
    """The choice texts marked "Your answer" under the review's question with ``prompt``."""
    (item,) = [part for part in review.split('<li class="review-item')[1:] if prompt in part]
    marked = [choice for choice in re.findall(r"<li>(.*?)</li>", item, re.S)
              if "Your answer" in choice]
    return [Markup(choice.split("<span")[0]).striptags().strip() for choice in marked]


def test_a_revision_after_the_attempt_leaves_its_review_and_records_as_graded(
    app, ready, package_copy
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        question = db.session.scalar(select(Question).where(Question.key == "pt-lo1-3"))
        # The attempt shows this question's choices in the package's order (a, b, c).
        item = {"question_id": question.id, "key": question.key, "objective": "LO1",
                "choices": [c.key for c in question.choices]}
        others = [i for i in attempt.draw if i["key"] != question.key]
        attempt.draw = [item, *others[: len(attempt.draw) - 1]]
        db.session.commit()
        ready.post("/courses/minimal/post-test",
                   data=answers_for(db.session.get(PostTestAttempt, attempt.id), right=10))
        answer = db.session.scalar(
            select(AttemptAnswer).where(AttemptAnswer.question_id == question.id))
        assert answer.selected == ["a", "b"] and answer.is_correct
        learner = attempt.enrolment.user
    # A revision rewords the question and turns its choices around: "a" is now the
    # wrong choice, "A partner who offers housing".
    bank_file = package_copy / "post-test.yaml"
    bank = yaml.safe_load(bank_file.read_text())
    revised = next(q for q in bank["questions"] if q["id"] == "pt-lo1-3")
    revised["prompt"], revised["choices"] = REWORDED, revised["choices"][::-1]
    bank_file.write_text(yaml.safe_dump(bank, sort_keys=False))
    with app.app_context():
        import_course(package_copy)
        admin = make_user(role=Role.ADMIN, email="admin@example.org")
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert REWORDED not in review
    assert _your_answers(review, PROMPT) == ["Frequent placement changes", "Feeling unheard"]

    record = sign_in(app.test_client(), admin).get(f"/admin/learners/{learner.id}")
    page = record.get_data(as_text=True)
    assert PROMPT in page and REWORDED not in page
    assert "a. Frequent placement changes; b. Feeling unheard" in page

    ready.post("/auth/login", data={"email": learner.email, "password": PASSWORD})  # fresh
    download = ready.get("/auth/profile/my-data.json").get_json()
    (graded,) = [a for a in download["enrolments"][0]["post_test_attempts"][0]["answers"]
                 if a["question"]["id"] == "pt-lo1-3"]
    assert graded["question"]["prompt"] == PROMPT
    assert [c["text"] for c in graded["selected"]] == ["Frequent placement changes",
                                                       "Feeling unheard"]



def test_answers_recorded_before_questions_were_kept_show_the_question_as_it_reads_now(
    app, ready
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        for answer in db.session.scalars(select(AttemptAnswer)):
            answer.shown = None  # as recorded before the column existed
        db.session.commit()
        learner = attempt.enrolment.user
        admin = make_user(role=Role.ADMIN, email="admin@example.org")
        texts = {c.text_html for q in db.session.scalars(select(Question)) for c in q.choices}
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert "10 of 10 correctly" in review and review.count("Your answer") >= 10
    page = sign_in(app.test_client(), admin).get(f"/admin/learners/{learner.id}")
    assert page.get_data(as_text=True).count("as the question reads now") == 10
    ready.post("/auth/login", data={"email": learner.email, "password": PASSWORD})
    download = ready.get("/auth/profile/my-data.json").get_json()
    answers = download["enrolments"][0]["post_test_attempts"][0]["answers"]
    assert len(answers) == 10
    assert all(c["text"] in texts for a in answers for c in a["selected"])

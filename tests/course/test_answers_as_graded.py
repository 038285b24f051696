"""A submitted post-test keeps its questions as graded: a later revision that rewords a
question or turns its choices around changes neither the review nor the records."""

from __future__ import annotations

import re

import yaml
from markupsafe import Markup
from sqlalchemy import select

from course.extensions import db
from course.models import AttemptAnswer, AuditEvent, PostTestAttempt, Question, Role
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


def _choices_in(review: str, prompt: str) -> list[str]:
    """Every choice text under the review's question with ``prompt``, in page order."""
    (item,) = [part for part in review.split('<li class="review-item')[1:] if prompt in part]
    return [Markup(choice.split("<span")[0]).striptags().strip()
            for choice in re.findall(r"<li>(.*?)</li>", item, re.S)]


def _revise(package_copy) -> None:
    """Reword pt-lo1-3 and turn its choices around: "a" becomes the wrong choice, "A
    partner who offers housing"."""
    bank_file = package_copy / "post-test.yaml"
    bank = yaml.safe_load(bank_file.read_text())
    revised = next(q for q in bank["questions"] if q["id"] == "pt-lo1-3")
    revised["prompt"], revised["choices"] = REWORDED, revised["choices"][::-1]
    bank_file.write_text(yaml.safe_dump(bank, sort_keys=False))


def _draw_with_push_factors_first(attempt: PostTestAttempt) -> None:
    # pt-lo1-3's choices shown c, a, b: "A partner who offers housing" first.
    question = db.session.scalar(select(Question).where(Question.key == "pt-lo1-3"))
    item = {"question_id": question.id, "key": question.key, "objective": "LO1",
            "choices": ["c", "a", "b"]}
    others = [i for i in attempt.draw if i["key"] != question.key]
    attempt.draw = [item, *others[: len(attempt.draw) - 1]]
    db.session.commit()


def _recorded_before_shown_existed(app, ready) -> int:
    """Submit an attempt and empty its answers' questions, as an older release left them;
    return the attempt's id."""
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        for answer in db.session.scalars(select(AttemptAnswer)):
            answer.shown = None
        db.session.commit()
        return attempt.id


def _submitted_then_revised(app, ready, package_copy, *, before_shown_existed=False):
    """Submit an attempt showing pt-lo1-3 as c, a, b, answered a and b (right); then
    revise it (``_revise``). Return the learner and an admin."""
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        _draw_with_push_factors_first(attempt)
        question = db.session.scalar(select(Question).where(Question.key == "pt-lo1-3"))
        ready.post("/courses/minimal/post-test",
                   data=answers_for(db.session.get(PostTestAttempt, attempt.id), right=10))
        answer = db.session.scalar(
            select(AttemptAnswer).where(AttemptAnswer.question_id == question.id))
        assert answer.selected == ["a", "b"] and answer.is_correct
        if before_shown_existed:
            for answer in db.session.scalars(select(AttemptAnswer)):
                answer.shown = None
            db.session.commit()
        learner = attempt.enrolment.user
    _revise(package_copy)
    with app.app_context():
        import_course(package_copy)
        admin = make_user(role=Role.ADMIN, email="admin@example.org")
    return learner, admin


def test_a_revision_after_the_attempt_leaves_its_review_and_records_as_graded(
    app, ready, package_copy
):
    learner, admin = _submitted_then_revised(app, ready, package_copy)
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert REWORDED not in review
    assert _your_answers(review, PROMPT) == ["Frequent placement changes", "Feeling unheard"]

    record = sign_in(app.test_client(), admin).get(f"/admin/learners/{learner.id}")
    page = record.get_data(as_text=True)
    assert PROMPT in page and REWORDED not in page
    # The learner's choices, then the keyed ones as graded (the revision keyed others).
    row = re.search(r"<code>pt-lo1-3</code>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page, re.S)
    assert row.groups() == ("a. Frequent placement changes; b. Feeling unheard",) * 2

    ready.post("/auth/login", data={"email": learner.email, "password": PASSWORD})  # fresh
    download = ready.get("/auth/profile/my-data.json").get_json()
    (graded,) = [a for a in download["enrollments"][0]["post_test_attempts"][0]["answers"]
                 if a["question"]["id"] == "pt-lo1-3"]
    assert graded["question"]["prompt"] == PROMPT
    assert [c["text"] for c in graded["selected"]] == ["Frequent placement changes",
                                                       "Feeling unheard"]



def test_answers_recorded_before_questions_were_kept_are_labeled_then_filled_in(
    app, ready, package_copy, runner
):
    learner, admin = _submitted_then_revised(app, ready, package_copy,
                                             before_shown_existed=True)
    staff = sign_in(app.test_client(), admin)
    page = staff.get(f"/admin/learners/{learner.id}").get_data(as_text=True)
    # Without the question as graded, the record can only show today's text, and says so.
    assert page.count("as the question reads now") == 10
    assert "a. A partner who offers housing; b. Feeling unheard" in page

    done = runner.invoke(args=["db", "keep-graded"])
    assert "for 10 post-test answers" in done.output, done.output
    page = staff.get(f"/admin/learners/{learner.id}").get_data(as_text=True)
    assert "as the question reads now" not in page
    assert "a. Frequent placement changes; b. Feeling unheard" in page and REWORDED not in page
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert _your_answers(review, PROMPT) == ["Frequent placement changes", "Feeling unheard"]
    assert _choices_in(review, PROMPT) == [  # in the order the attempt showed them
        "A partner who offers housing", "Frequent placement changes", "Feeling unheard"]
    assert "for 0 post-test answers" in runner.invoke(args=["db", "keep-graded"]).output
    with app.app_context():
        detail = db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "answers.kept_as_graded"))
        assert (detail["filled"], detail["left"], detail["via"]) == (10, 0, "command line")


def test_answers_whose_question_the_stored_package_lacks_are_left_and_counted(
    app, ready, runner
):
    attempt_id = _recorded_before_shown_existed(app, ready)
    with app.app_context():
        attempt = db.session.get(PostTestAttempt, attempt_id)
        version = attempt.version
        bank = yaml.safe_load(version.files["post-test.yaml"])
        drawn = {item["key"] for item in attempt.draw}
        bank["questions"] = [q for q in bank["questions"] if q["id"] != min(drawn)]
        version.files = {**version.files, "post-test.yaml": yaml.safe_dump(bank)}
        db.session.commit()
    done = runner.invoke(args=["db", "keep-graded"]).output
    assert "for 9 post-test answers" in done and "Left 1 answer as they are" in done, done


def test_an_attempt_graded_after_a_revision_is_filled_in_from_the_version_that_graded_it(
    app, ready, package_copy, runner
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        _draw_with_push_factors_first(attempt)
    _revise(package_copy)  # published while the attempt is open: grading reads it
    with app.app_context():
        import_course(package_copy)
        attempt = db.session.get(PostTestAttempt, attempt.id)
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        question = db.session.scalar(select(Question).where(Question.key == "pt-lo1-3"))
        answer = db.session.scalar(
            select(AttemptAnswer).where(AttemptAnswer.question_id == question.id))
        assert answer.selected == ["b", "c"] and answer.is_correct  # the revised keys
        for each in db.session.scalars(select(AttemptAnswer)):
            each.shown = None
        db.session.commit()
    assert "for 10 post-test answers" in runner.invoke(args=["db", "keep-graded"]).output
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    # From the revised version, which graded it; the draw's version would put the
    # learner's b and c on "Feeling unheard" and "A partner who offers housing".
    assert _your_answers(review, REWORDED) == ["Frequent placement changes", "Feeling unheard"]


def test_answers_whose_stored_package_no_longer_reads_are_left(app, ready, runner):
    attempt_id = _recorded_before_shown_existed(app, ready)
    with app.app_context():
        version = db.session.get(PostTestAttempt, attempt_id).version
        version.files = {**version.files, "course.yaml": "title: [not closed"}
        db.session.commit()
    done = runner.invoke(args=["db", "keep-graded"])
    assert done.exit_code == 0, done.output
    assert "for 0 post-test answers" in done.output and "Left 10 answers" in done.output

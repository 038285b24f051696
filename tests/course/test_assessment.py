"""Post-test and evaluation: opening rules, stored draws, exactly-once submission, review."""

from __future__ import annotations

import re

import yaml
from flask import get_template_attribute
from sqlalchemy import func, select

from course.extensions import db
from course.learn import fragments, posttest
from course.learn.content import content_of
from course.learn.evaluation import validate_evaluation
from course.models import (
    AttemptAnswer,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    PostTestAttempt,
    Question,
    QuestionKind,
)
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    choices_on_page,
    evaluation_form,
    finish_lessons,
    open_attempt,
    without_minimum_time,
)


def test_the_post_test_is_closed_until_every_lesson_is_complete(app, client, package_copy):
    with app.app_context():
        import_course(without_minimum_time(package_copy))
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    response = client.get("/courses/minimal/post-test")
    assert response.status_code == 403
    assert "2 lessons to go" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 0


def test_a_minimum_active_time_keeps_the_post_test_closed(app, client, package_copy):
    with app.app_context():
        import_course(package_copy)  # this package asks for 20 minutes
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
    response = client.get("/courses/minimal/post-test")
    assert response.status_code == 403
    assert "at least 20 minutes" in response.get_data(as_text=True)


def test_before_the_lessons_are_done_the_closed_post_test_names_both_conditions(
    app, client, package_copy
):
    with app.app_context():
        import_course(package_copy)  # 20 minutes, two lessons
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    page = client.get("/courses/minimal/post-test").get_data(as_text=True)
    assert "2 lessons to go" in page
    assert "at least 20 minutes of reading in the lessons; you have about 20 to go" in page


def test_a_reload_shows_the_same_stored_draw(app, ready):
    with app.app_context():
        first = open_attempt(ready, "minimal")
        again = open_attempt(ready, "minimal")
        assert first.id == again.id and first.draw == again.draw
        assert first.question_count == 10
        assert len({item["key"] for item in first.draw}) == 10


def test_draws_shuffle_questions_and_choices(app, ready):
    with app.app_context():
        orders, choice_orders = set(), set()
        for _ in range(8):
            attempt = open_attempt(ready, "minimal")
            orders.add(tuple(item["key"] for item in attempt.draw))
            choice_orders.update(
                tuple(item["choices"]) for item in attempt.draw if len(item["choices"]) > 2
            )
            ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=0))
        assert len(orders) > 1 and len(choice_orders) > 1


def test_a_draw_takes_only_live_questions_each_with_all_its_choices(app, ready, package_copy):
    # A revision of the package retires two questions: the import archives them.
    bank_file = package_copy / "post-test.yaml"
    bank_data = yaml.safe_load(bank_file.read_text())
    bank_data["questions"].sort(key=lambda q: q["type"] != "true_false")  # keep one live
    retired_keys = {q["id"] for q in bank_data["questions"][10:]}
    bank_data["questions"] = bank_data["questions"][:10]
    bank_file.write_text(yaml.safe_dump(bank_data, sort_keys=False))
    with app.app_context():
        import_course(package_copy)
        bank = db.session.scalars(
            select(Question).where(Question.kind == QuestionKind.POST_TEST).order_by(Question.id)
        ).all()
        live = [q for q in bank if q.archived_at is None]
        assert retired_keys and {q.key for q in bank if q.archived_at} == retired_keys
        assert any(q.type == "true_false" for q in live)
        attempt = open_attempt(ready, "minimal")
        drawn = {item["question_id"]: item for item in attempt.draw}
        assert set(drawn) == {q.id for q in live}
        for question in live:
            item = drawn[question.id]
            keys = [c.key for c in question.choices]
            assert item["key"] == question.key and sorted(item["choices"]) == sorted(keys)
            if question.type == "true_false":
                assert item["choices"] == keys  # True stays before False


def test_an_attempt_drawn_before_a_revision_keeps_the_questions_it_showed(
    app, ready, package_copy
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        retired = [item["key"] for item in attempt.draw][:2]
        prompts = {q.key: q.prompt_html for q in attempt_questions(attempt)}
    # Meanwhile a revision of the package retires two of the questions drawn.
    bank_file = package_copy / "post-test.yaml"
    bank_data = yaml.safe_load(bank_file.read_text())
    bank_data["questions"] = [q for q in bank_data["questions"] if q["id"] not in retired]
    bank_file.write_text(yaml.safe_dump(bank_data, sort_keys=False))
    with app.app_context():
        import_course(package_copy)
        page = ready.get("/courses/minimal/post-test").get_data(as_text=True)
        assert f'value="{attempt.id}"' in page  # the same attempt, not a new draw
        assert all(prompts[key] in page for key in retired)
        response = ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        review = ready.get(response.location).get_data(as_text=True)
        assert "10 of 10 correctly (100%)" in review and "You passed" in review
        assert all(prompts[key] in review for key in retired)


def test_the_post_test_page_shows_each_question_as_the_full_template_would(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        with app.test_request_context():
            content = content_of(course)
            drawn = posttest.drawn_questions(content, attempt)
            fieldset = get_template_attribute("learn/_post_test.html", "question_fieldset")
            for number, item in enumerate(drawn, 1):
                keys = [choice.key for choice in item.choices]
                ticked = keys[-1:] if number % 2 else []  # the last choice, on every other
                label = f"Question {number} of {len(drawn)}"
                full = fieldset(item.question, item.choices, label, ticked, False)
                parts = fragments.post_test_fieldset(content, item.question, keys, label, ticked)
                assert _tags(parts) == _tags(full)
                assert ("checked" in parts) == bool(ticked)


def _tags(html: str) -> str:
    """HTML with runs of white space collapsed, and none left between tags."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


def test_positions_mean_what_the_page_showed_after_a_revision_drops_a_choice(
    app, ready, package_copy
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        question = db.session.scalar(select(Question).where(Question.key == "pt-lo1-3"))
        wrong = question.choices[-1]  # choice c: "A partner who offers housing"
        assert not wrong.is_correct and len(question.choices) == 3
        # This attempt drew the question with its wrong choice first (draws are shuffled).
        item = {"question_id": question.id, "key": question.key, "objective": "LO1",
                "choices": [wrong.key] + [c.key for c in question.choices[:-1]]}
        others = [i for i in attempt.draw if i["key"] != question.key]
        attempt.draw = [item, *others[: len(attempt.draw) - 1]]
        db.session.commit()
    # Meanwhile a revision drops that choice: the page now shows two, numbered 1 and 2.
    bank_file = package_copy / "post-test.yaml"
    bank_data = yaml.safe_load(bank_file.read_text())
    revised = next(q for q in bank_data["questions"] if q["id"] == "pt-lo1-3")
    revised["choices"] = revised["choices"][:-1]
    bank_file.write_text(yaml.safe_dump(bank_data, sort_keys=False))
    with app.app_context():
        import_course(package_copy)
        page = ready.get("/courses/minimal/post-test").get_data(as_text=True)
        shown = choices_on_page(page, "q-pt-lo1-3")
        assert [label for _, label in shown] == ["Frequent placement changes", "Feeling unheard"]
        data = answers_for(db.session.get(PostTestAttempt, attempt.id), right=10)
        data["q-pt-lo1-3"] = [value for value, _ in shown]  # both right answers, as ticked
        response = ready.post("/courses/minimal/post-test", data=data)
        assert response.status_code == 303
        assert "10 of 10 correctly" in ready.get(response.location).get_data(as_text=True)


def attempt_questions(attempt: PostTestAttempt) -> list[Question]:
    """The attempt's drawn questions as stored rows."""
    ids = [item["question_id"] for item in attempt.draw]
    return list(db.session.scalars(select(Question).where(Question.id.in_(ids))))


def test_opening_the_post_test_early_by_posting_is_refused(app, client, package_copy):
    with app.app_context():
        course = import_course(without_minimum_time(package_copy))
        learner = make_user()
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        enrolment = db.session.scalar(select(Enrolment))
        forged = PostTestAttempt(
            enrolment_id=enrolment.id, number=1, version_id=course.current_version_id,
            draw=[], question_count=0,
        )
        assert forged  # nothing is stored: a learner cannot reach a draw before lessons end
    response = client.post("/courses/minimal/post-test", data={"attempt": "1"})
    assert response.status_code == 404


def test_a_double_submit_records_exactly_one_attempt(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
    first = ready.post("/courses/minimal/post-test", data=data)
    second = ready.post("/courses/minimal/post-test", data=data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 1
        assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 10


def test_a_submit_from_a_second_tab_after_the_first_changes_nothing(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        passing = answers_for(attempt, right=10)
        failing = answers_for(attempt, right=0)
    ready.post("/courses/minimal/post-test", data=passing)
    ready.post("/courses/minimal/post-test", data=failing)
    with app.app_context():
        stored = db.session.scalar(select(PostTestAttempt))
        assert (stored.correct_count, stored.passed) == (10, True)


def test_failing_shows_what_was_missed_and_a_retake_gets_a_new_draw(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        first_draw = attempt.draw
        response = ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=7))
        review = ready.get(response.location).get_data(as_text=True)
        assert "7 of 10 correctly (70%)" in review
        assert "The passing score is 80%" in review and ">Try the post-test again</a>" in review
        assert review.count("<strong>Missed</strong>") == 3
        retake = open_attempt(ready, "minimal")
        assert retake.number == 2 and retake.id != attempt.id
        assert retake.draw != first_draw
        # Every question the first attempt left out is asked before any is repeated.
        bank = set(db.session.scalars(select(Question.key).where(
            Question.kind == QuestionKind.POST_TEST, Question.archived_at.is_(None))))
        first = {item["key"] for item in first_draw}
        assert bank - first <= {item["key"] for item in retake.draw}
        passed = ready.post("/courses/minimal/post-test", data=answers_for(retake, right=8))
        assert "8 of 10 correctly (80%)" in ready.get(passed.location).get_data(as_text=True)


def test_unanswered_questions_are_pointed_out_and_answers_kept(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
        dropped = next(key for key in data if key.startswith("q-"))
        kept = [key for key in data if key.startswith("q-") and key != dropped][0]
        del data[dropped]
    response = ready.post("/courses/minimal/post-test", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # The error summary links to the unanswered question; the error stands beside it too.
    assert "Answer every question before you submit." in page
    assert re.search(rf'<a href="#{dropped}">Question \d+</a>', page)
    assert f'<fieldset class="question has-error" id="{dropped}"' in page
    value = data[kept][0]
    assert f'id="{kept}-{value}" value="{value}" checked' in page
    with app.app_context():
        assert db.session.scalar(select(PostTestAttempt)).submitted_at is None


def test_answers_for_questions_outside_the_draw_are_refused(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
        bank = {q for q in ("pt-lo1-1", "pt-lo1-2", "pt-lo1-3")}
        outside = next(
            (k for k in sorted(bank) if k not in {i["key"] for i in attempt.draw}), "forged-id"
        )
        data[f"q-{outside}"] = ["a"]
    assert ready.post("/courses/minimal/post-test", data=data).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(PostTestAttempt)).submitted_at is None


def test_another_learners_attempt_cannot_be_submitted(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
        intruder = sign_in(app.test_client(), make_user())
    intruder.post("/courses/minimal/enrol")
    assert intruder.post("/courses/minimal/post-test", data=data).status_code == 404
    assert intruder.get("/courses/minimal/post-test/attempts/1").status_code == 404


def test_an_unanswered_evaluation_item_says_what_to_do_for_its_kind() -> None:
    def item(key: str, kind: str, prompt: str) -> EvaluationItem:
        return EvaluationItem(key=key, type=kind, prompt=prompt, required=True, choices=["Phone"])

    items = [
        item("lo1", "likert", "The course helped me."),
        item("device", "choice", "What device did you use?"),
        item("minutes", "number", "About how many minutes did the course take you?"),
        item("visits", "number", "How many home visits do you make a week?"),
        item("comments", "text", "What would you change?"),
    ]
    assert validate_evaluation(items, {}) == {
        "lo1": "Choose an answer to this question.",
        "device": "Choose an answer to this question.",
        "minutes": "Enter the number of minutes, for example 60.",
        "visits": "Enter a whole number.",  # no example in minutes for another count
        "comments": "Please answer this question.",
    }


def test_a_minutes_answer_in_words_is_told_what_to_type() -> None:
    def item(key: str, prompt: str) -> EvaluationItem:
        return EvaluationItem(key=key, type="number", prompt=prompt, required=True)

    items = [
        item("minutes", "About how many minutes did the course take you?"),
        item("visits", "How many home visits do you make a week?"),
    ]
    assert validate_evaluation(items, {"minutes": "1 hour", "visits": "three"}) == {
        "minutes": "Enter the number of minutes as a whole number, for example 60.",
        "visits": "Enter a whole number.",
    }


def test_the_evaluation_opens_after_passing_and_completes_the_course(app, ready):
    assert ready.get("/courses/minimal/evaluation").status_code == 403
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=9))
        course = db.session.scalar(select(Course))
        form = evaluation_form(course)
    assert ready.get("/courses/minimal/evaluation").status_code == 200
    incomplete = {k: v for k, v in form.items() if not v.isdigit()}
    response = ready.post("/courses/minimal/evaluation", data=incomplete)
    assert response.status_code == 422
    # Worded as the post-test words an unanswered question, and per kind of item.
    missing = response.get_data(as_text=True)
    assert "Choose an answer to this question." in missing  # the likert items
    assert "Enter the number of minutes, for example 60." in missing
    assert "Please answer this question." not in missing
    done = ready.post("/courses/minimal/evaluation", data=form)
    assert done.status_code == 303
    page = ready.get(done.location, follow_redirects=True).get_data(as_text=True)
    assert "the course is complete" in page and "Certificate of Completion" in page
    again = ready.post("/courses/minimal/evaluation", data=form)
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1
        answers = db.session.scalar(select(func.count()).select_from(EvaluationAnswer))
        assert answers == len(form)
        assert db.session.scalar(select(Enrolment)).completed_at is not None
    transcript = ready.get("/me").get_data(as_text=True)
    assert "Completed" in transcript and "90%" in transcript


def test_a_passed_attempt_leads_on_to_the_evaluation_then_to_the_certificate(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=9))
        form = evaluation_form(db.session.scalar(select(Course)))
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert "Continue to the evaluation" in review and "View your certificate" not in review
    ready.post("/courses/minimal/evaluation", data=form)
    review = ready.get("/courses/minimal/post-test/attempts/1").get_data(as_text=True)
    assert "View your certificate" in review and "Continue to the evaluation" not in review
    assert 'href="/courses/minimal/certificate"' in review

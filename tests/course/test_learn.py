"""The learner's journey: enrol, lessons and checks, resume, seat time, transcript."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import CheckResponse, Course, Enrolment, Question
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import check_positions, correct_keys, wrong_keys


@pytest.fixture
def course_slug(app, minimal_package_dir) -> str:
    with app.app_context():
        return import_course(minimal_package_dir).slug


@pytest.fixture
def learner(app):
    with app.app_context():
        return make_user()


def _course(slug: str = "minimal") -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _choice(app, client, *keys: str, check: str = "push-pull-1") -> list[str]:
    """What the learner's page sends for choosing these keys (their positions on it)."""
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == check))
        return check_positions(client, "minimal", question, list(keys))


def test_anonymous_visitors_are_asked_to_sign_in(client, course_slug):
    page = client.get(f"/courses/{course_slug}").get_data(as_text=True)
    assert ">Sign in</a>" in page and ">Create a free account</a>" in page
    response = client.get(f"/courses/{course_slug}/lessons/push-pull")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_enrolling_twice_keeps_one_enrolment_and_opens_the_first_lesson(
    app, client, course_slug, learner
):
    sign_in(client, learner)
    first = client.post(f"/courses/{course_slug}/enrol")
    second = client.post(f"/courses/{course_slug}/enrol")
    assert first.location.endswith("/courses/minimal/lessons/push-pull")
    assert second.location == first.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_a_learner_who_is_not_enrolled_cannot_answer_or_open_lessons(client, course_slug, learner):
    sign_in(client, learner)
    page = client.get(f"/courses/{course_slug}/lessons/push-pull")
    assert page.status_code == 302 and page.location.endswith("/courses/minimal")
    answer = client.post(
        f"/courses/{course_slug}/lessons/push-pull/checks/push-pull-1", data={"choice": "a"}
    )
    assert answer.status_code == 403
    refusal = answer.get_data(as_text=True)
    assert "Start the course to open its lessons." in refusal
    assert '<a href="/courses/minimal">Back to the course</a>' in refusal


def test_the_lesson_shows_its_text_and_labelled_checks(client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    page = client.get(f"/courses/{course_slug}/lessons/push-pull").get_data(as_text=True)
    assert "Push and pull factors" in page
    assert 'id="push-pull-1-1"' in page and 'for="push-pull-1-1"' in page
    assert "Support is available" in page


def test_answering_a_check_stores_it_and_shows_feedback_without_javascript(
    app, client, course_slug, learner
):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    url = f"/courses/{course_slug}/lessons/push-pull/checks/push-pull-1"
    wrong = client.post(url, data={"choice": _choice(app, client, "b"), "submission_key": "k1"})
    assert wrong.status_code == 303
    # The page reopens at the feedback (the verdict in view on a phone), which takes focus.
    assert wrong.location.endswith("/lessons/push-pull#feedback-push-pull-1")
    page = client.get(wrong.location).get_data(as_text=True)
    assert 'id="feedback-push-pull-1" aria-live="polite" tabindex="-1"' in page
    assert "Not quite" in page and "That pushes a youth away from placement." in page
    check = page[page.index('id="check-push-pull-1"'):page.index('id="feedback-push-pull-1"')]
    assert ">Check again</button>" in check
    right = client.post(url, data={"choice": _choice(app, client, "a"), "submission_key": "k2"})
    page = client.get(right.location).get_data(as_text=True)
    assert "That&#39;s right." in page or "That's right." in page
    # Right: the button offers a change of answer, not another check of the same one.
    check = page[page.index('id="check-push-pull-1"'):page.index('id="feedback-push-pull-1"')]
    assert ">Try another answer</button>" in check and "Check again" not in check
    with_script = client.post(url, data={"choice": _choice(app, client, "a"),
                                         "submission_key": "k3"},
                              headers={"Accept": "application/json"})  # fmt: skip
    assert with_script.get_json()["correct"] is True  # lesson.js words the button from it
    with app.app_context():
        rows = db.session.scalars(select(CheckResponse).order_by(CheckResponse.id)).all()
        assert [(r.selected, r.is_correct) for r in rows] == [
            (["b"], False), (["a"], True), (["a"], True)
        ]


def test_a_double_submitted_check_is_stored_once(app, client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    url = f"/courses/{course_slug}/lessons/push-pull/checks/push-pull-1"
    for _ in range(3):
        client.post(url, data={"choice": _choice(app, client, "a"), "submission_key": "same-form"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 1


def test_answering_in_place_returns_feedback_for_screen_readers(
    app, client, course_slug, learner
):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    response = client.post(
        f"/courses/{course_slug}/lessons/push-pull/checks/push-pull-1",
        data={"choice": _choice(app, client, "a"), "submission_key": "js-1"},
        headers={"Accept": "application/json"},
    )
    payload = response.get_json()
    assert payload["correct"] is True
    assert "Pull factors draw a youth toward" in payload["html"]
    assert payload["next_key"] and payload["next_key"] != "js-1"


@pytest.mark.parametrize(
    ("key", "choice", "status"),
    [
        ("no-such-check", "1", 404),
        ("returning-1", "1", 404),
        ("push-pull-1", "z", 400),
        ("push-pull-1", "9", 400),  # a position the page does not show
        ("push-pull-1", "a", 400),  # a choice's key: pages send positions
    ],
)
def test_tampered_question_or_choice_ids_are_refused(
    app, client, course_slug, learner, key, choice, status
):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    url = f"/courses/{course_slug}/lessons/push-pull/checks/{key}"
    assert client.post(url, data={"choice": choice}).status_code == status
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 0


def test_a_lesson_completes_only_when_its_checks_are_answered(app, client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    client.get(f"/courses/{course_slug}/lessons/push-pull")
    early = client.post(f"/courses/{course_slug}/lessons/push-pull/complete")
    # Refused where the button was: the unanswered checks listed, each a link to it.
    assert early.status_code == 303
    assert early.location == f"/courses/{course_slug}/lessons/push-pull#lesson-missing"
    listed = client.get(early.location).get_data(as_text=True)
    assert '<a href="#check-push-pull-1">Knowledge check 1</a>' in listed
    with app.app_context():
        course = _course()
        for check in course.live_lessons[0].live_checks:
            client.post(
                f"/courses/{course_slug}/lessons/push-pull/checks/{check.key}",
                # wrong answers still count as answered
                data={"choice": check_positions(client, "minimal", check, wrong_keys(check))},
            )
    done = client.post(f"/courses/{course_slug}/lessons/push-pull/complete")
    # The next page opens at its top (#main), not at the finishing form's #lesson-missing.
    assert done.location.endswith("/lessons/returning#main")
    with app.app_context():
        for check in _course().live_lessons[1].live_checks:
            client.post(
                f"/courses/{course_slug}/lessons/returning/checks/{check.key}",
                data={"choice": check_positions(client, "minimal", check, wrong_keys(check))},
            )
    last = client.post(f"/courses/{course_slug}/lessons/returning/complete")
    assert last.location.endswith(f"/courses/{course_slug}/post-test#main")
    # The post-test page may say it is not open yet: it also says the lesson counted.
    arrived = client.get(last.location).get_data(as_text=True)
    done = "Lesson 2, When a youth returns, is complete: you have finished every lesson."
    assert done in arrived


def test_sequential_courses_keep_later_lessons_locked(client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    response = client.get(f"/courses/{course_slug}/lessons/returning")
    assert response.status_code == 302 and response.location.endswith("/lessons/push-pull")


def test_a_locked_lesson_refuses_answers_and_completion_sent_without_its_page(
    app, client, course_slug, learner
):
    # A script (or an old tab) posting straight to a later lesson of a sequential course
    # must not answer it or complete it before the first lesson is done.
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    with app.app_context():
        check = _course().live_lessons[1].live_checks[0]
        positions = check_positions(client, "minimal", check, correct_keys(check))
    lesson = f"/courses/{course_slug}/lessons/returning"
    answered = client.post(f"{lesson}/checks/{check.key}", data={"choice": positions})
    completed = client.post(f"{lesson}/complete")
    for refused in (answered, completed):
        assert refused.status_code == 403
        assert "Please finish" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 0
    assert "0 of 2 lessons" in client.get(f"/courses/{course_slug}").get_data(as_text=True)


def test_resume_goes_to_the_first_unfinished_lesson(app, client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    with app.app_context():
        for check in _course().live_lessons[0].live_checks:
            client.post(
                f"/courses/{course_slug}/lessons/push-pull/checks/{check.key}",
                data={"choice": check_positions(client, "minimal", check, correct_keys(check))},
            )
    client.post(f"/courses/{course_slug}/lessons/push-pull/complete")
    # days later, on another device: a fresh client for the same learner
    other = sign_in(app.test_client(), learner)
    page = other.get(f"/courses/{course_slug}").get_data(as_text=True)
    assert "Continue: Lesson 2, " in page
    assert "/lessons/returning" in page
    assert "1 of 2 lessons" in page


def test_the_transcript_lists_the_course_with_status_and_time(client, course_slug, learner):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    page = client.get("/me").get_data(as_text=True)
    assert "Youth Who Run from Foster Care (test course)" in page
    assert "Enrolled" in page and "0 min" in page

"""Page titles a screen reader says first on arrival: they tell where the learner is."""

from __future__ import annotations

import re

from tests.course.factories import make_user, sign_in
from tests.course.journey import answers_for, open_attempt

COURSE = "/courses/minimal"


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S)[1].split(" · ")[0]


def _titled(page: str) -> list[str]:
    return re.search(r"<title>(.*?)</title>", page, re.S)[1].split(" · ")


def test_lesson_and_post_test_titles_say_where_in_which_course(ready) -> None:
    course = "Youth Who Run from Foster Care (test course)"
    lesson = ready.get(f"{COURSE}/lessons/push-pull").get_data(as_text=True)
    assert _titled(lesson)[:2] == ["Push and pull factors, lesson 1 of 2", course]
    with ready.application.app_context():
        open_attempt(ready, "minimal")
    post_test = ready.get(f"{COURSE}/post-test").get_data(as_text=True)
    assert _titled(post_test)[:2] == ["Post-test", course]


def test_the_post_test_review_is_titled_with_its_attempt_and_outcome(ready) -> None:
    with ready.application.app_context():
        attempt = open_attempt(ready, "minimal")
        failed = ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=7),
                            follow_redirects=True)
        assert _title(failed.get_data(as_text=True)) == "Post-test attempt 1: not passed"
        attempt = open_attempt(ready, "minimal")
        passed = ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=10),
                            follow_redirects=True)
        assert _title(passed.get_data(as_text=True)) == "Post-test attempt 2: passed"


def test_a_refused_form_says_error_first_in_its_title(ready) -> None:
    # The title is read first on arrival: a refused form says so before anything else.
    with ready.application.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
        del data[next(key for key in data if key.startswith("q-"))]  # one left unanswered
    refused = ready.post(f"{COURSE}/post-test", data=data)
    assert refused.status_code == 422
    assert _title(refused.get_data(as_text=True)) == "Error: Post-test"
    assert _title(ready.get(f"{COURSE}/post-test").get_data(as_text=True)) == "Post-test"
    signed_out = ready.application.test_client()
    wrong = signed_out.post("/auth/login", data={"email": "nobody@example.org",
                                                 "password": "not the password"})
    assert _title(wrong.get_data(as_text=True)) == "Error: Sign in"
    assert _title(signed_out.get("/auth/login").get_data(as_text=True)) == "Sign in"
    lookup = signed_out.get("/verify", query_string={"code": "not a code"})
    assert _title(lookup.get_data(as_text=True)) == "Error: Verify a certificate"


def test_a_refused_knowledge_check_or_completion_says_error_in_its_title(
    app, client, course_slug
) -> None:
    # Without JavaScript these go back to the lesson page, the problem shown in place.
    with app.app_context():
        sign_in(client, make_user())
    client.post(f"/courses/{course_slug}/enrol")
    lesson = f"/courses/{course_slug}/lessons/push-pull"
    shown = "Push and pull factors, lesson 1 of 2"
    assert _title(client.get(lesson).get_data(as_text=True)) == shown
    for form, data in ((f"{lesson}/checks/push-pull-1", {}), (f"{lesson}/complete", None)):
        refused = client.post(form, data=data, follow_redirects=True)
        assert refused.request.path == lesson
        assert _title(refused.get_data(as_text=True)) == f"Error: {shown}"
        assert _title(client.get(lesson).get_data(as_text=True)) == shown  # said once

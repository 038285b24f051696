"""Page titles a screen reader says first on arrival: they tell where the learner is."""

from __future__ import annotations

import re

from tests.course.journey import answers_for, open_attempt

COURSE = "/courses/minimal"


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S)[1].split(" · ")[0]


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

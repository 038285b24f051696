"""The post-test and its review by heading: a screen reader steps question to question."""

from __future__ import annotations

import re

from tests.course.journey import answers_for, open_attempt

COURSE = "/courses/minimal"


def _headings(page: str, level: int) -> list[str]:
    found = re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", page, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def test_each_post_test_question_is_a_heading_and_the_review_numbers_them(ready) -> None:
    with ready.application.app_context():
        attempt = open_attempt(ready, "minimal")
        page = ready.get(f"{COURSE}/post-test").get_data(as_text=True)
        assert _headings(page, 2)[:10] == [f"Question {n} of 10" for n in range(1, 11)]
        review = ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=7),
                            follow_redirects=True).get_data(as_text=True)
    numbered = [h for h in _headings(review, 3) if h.startswith("Question")]
    assert len(numbered) == 10 and numbered[0] in ("Question 1 correct", "Question 1 missed")
    assert sum(h.endswith(" missed") for h in numbered) == 3

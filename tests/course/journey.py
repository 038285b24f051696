"""Helpers that walk a signed-in learner through a course with the test client."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Course, Enrolment, PostTestAttempt, Question
from lessons.draw import shuffled_choices


def correct_keys(question: Question) -> list[str]:
    """Return the keys of the question's correct choices."""
    return [c.key for c in question.choices if c.is_correct]


def wrong_keys(question: Question) -> list[str]:
    """Return one wrong answer for the question."""
    return [next(c.key for c in question.choices if not c.is_correct)]


def enrolment_of(client: FlaskClient, slug: str) -> Enrolment:
    """Return the enrolment in the course of the learner signed in on ``client``."""
    with client.session_transaction() as session:
        user_id = int(session["_user_id"].split(":", 1)[0])
    return db.session.scalar(
        select(Enrolment).join(Course).where(Course.slug == slug, Enrolment.user_id == user_id)
    )


def check_positions(client: FlaskClient, slug: str, check: Question, keys: list[str]) -> list[str]:
    """Return what the learner's lesson page sends for choosing ``keys`` of a check.

    Pages send each choice's position in the learner's own order, not its key.
    """
    order = [c.key for c in check.choices]
    if check.type != "true_false":
        order = shuffled_choices(order, enrolment_of(client, slug).choice_seed, check.key)
    return [str(order.index(key) + 1) for key in keys]


def quick_retakes(package_dir: Path) -> Path:
    """Let the package's post-test be retaken at once (the default asks for a wait)."""
    manifest = package_dir / "course.yaml"
    text = manifest.read_text()
    block = "post_test:\n  draw: 10\n"
    assert block in text, "the minimal package changed; update this helper"
    manifest.write_text(text.replace(block, block + "  retake_wait_minutes: 0\n"))
    return package_dir


def without_minimum_time(package_dir: Path) -> Path:
    """Drop the minimal package's minimum reading time, so its post-test opens at once."""
    manifest = package_dir / "course.yaml"
    text = manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    manifest.write_text(text)
    return package_dir


def finish_lessons(client: FlaskClient, slug: str) -> None:
    """Answer every check correctly and complete every lesson, in order."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for lesson in course.live_lessons:
        page = client.get(f"/courses/{slug}/lessons/{lesson.slug}")
        assert page.status_code == 200, (page.status_code, page.location)
        for check in lesson.live_checks:
            client.post(
                f"/courses/{slug}/lessons/{lesson.slug}/checks/{check.key}",
                data={"choice": check_positions(client, slug, check, correct_keys(check))},
            )
        response = client.post(f"/courses/{slug}/lessons/{lesson.slug}/complete")
        assert response.status_code == 302


def open_attempt(client: FlaskClient, slug: str) -> PostTestAttempt:
    """Open the post-test page and return the stored attempt it shows."""
    page = client.get(f"/courses/{slug}/post-test")
    assert page.status_code == 200, page.get_data(as_text=True)
    attempt_id = int(re.search(r'name="attempt"[^>]*value="(\d+)"', page.get_data(as_text=True))[1])
    return db.session.get(PostTestAttempt, attempt_id)


def answers_for(attempt: PostTestAttempt, right: int) -> dict[str, list[str]]:
    """Form data answering the first ``right`` drawn questions correctly, the rest wrongly.

    Like the page, it sends each chosen choice's position in the attempt's order.
    """
    data: dict[str, list[str]] = {"attempt": [str(attempt.id)]}
    for index, item in enumerate(attempt.draw):
        question = db.session.get(Question, item["question_id"])
        keys = correct_keys(question) if index < right else wrong_keys(question)
        data[f"q-{question.key}"] = positions_in(item["choices"], keys)
    return data


def positions_in(order: list[str], keys: list[str]) -> list[str]:
    """Return the 1-based positions of ``keys`` in a page's ``order`` of choice keys."""
    return [str(order.index(key) + 1) for key in keys]


def evaluation_form(course: Course) -> dict[str, str]:
    """A complete, valid evaluation for the minimal course."""
    from course.models import EvaluationItem

    items = db.session.scalars(select(EvaluationItem).where(EvaluationItem.course_id == course.id))
    values = {"likert": "4", "number": "55", "choice": None, "text": "Helpful, thank you."}
    data = {}
    for item in items:
        value = values[item.type] if item.type != "choice" else item.choices[0]
        data[f"item-{item.id}"] = value
    return data


class _Choices(HTMLParser):
    """The labelled inputs of a page, as a browser shows them: id, name, value, label."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input" and values.get("type") in {"radio", "checkbox"}:
            self.inputs.append(values)
        elif tag == "label" and "for" in values:
            self._label = values["for"]
            self.labels[self._label] = ""

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None


def choices_on_page(page: str, name: str) -> list[tuple[str, str]]:
    """Return (value, label text) of the inputs called ``name`` on a page, in page order
    (a lesson's choices are ``choice-<check key>``: ``choice`` finds every check's)."""
    parser = _Choices()
    parser.feed(page)
    return [
        (item["value"], " ".join(parser.labels.get(item["id"], "").split()))
        for item in parser.inputs
        if item.get("name") == name or item.get("name", "").startswith(f"{name}-")
    ]


def plain(html: str) -> str:
    """Text of an HTML fragment with tags dropped and spaces normalised, as a label reads."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())

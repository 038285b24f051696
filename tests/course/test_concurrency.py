"""Fifty learners take the course at once against a real server, double-clicking as they go.

gunicorn with two sync worker processes serves the app on a loopback port, on an SQLite
file in WAL mode, with CSRF on. Each learner signs up (or signs in to an account made
beforehand) over HTTP, answers every knowledge check, fails the post-test once, passes
it, fills in the evaluation and gets the certificate, submitting several forms twice
(at the same moment, or again afterwards). Afterwards the database must hold each
distinct submission exactly once.

Marked ``concurrency``: deselect with ``-m "not concurrency"``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest
from sqlalchemy import func, select

import lessons
from course import create_app
from course.extensions import db
from course.models import (
    AttemptAnswer,
    CheckResponse,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
    Question,
    User,
)
from course.models.records import Certificate
from course.packages import import_package
from course.users import create_user
from tests.live_client import Form, Page, forms_in, label_text
from tests.live_servers import app_environment, gunicorn, quick_package
from tests.smtp_sink import Inbox, link_path, smtp_server

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.skipif(
        importlib.util.find_spec("gunicorn") is None,
        reason="the concurrency test needs gunicorn (pip install -e '.[test]')",
    ),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_DATABASE_URL")),
        reason="the concurrency test runs once, on SQLite, in the main pass",
    ),
]

LEARNERS = 50
WORKERS = 2
PASSWORD = "walnut harbour cinema ninety"
SLUG = "minimal"
MINIMAL = Path(__file__).resolve().parent.parent / "data" / "packages" / "minimal"


# -- the server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    #: question key -> (right choices, one wrong selection), as their labels read
    answers: dict[str, tuple[list[str], list[str]]]
    #: email addresses of the accounts made before the server started
    accounts: list[str]
    log: Path
    #: the SMTP server on loopback the app sends its email to (sign-up links)
    inbox: Inbox

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _prepare_database(root: Path, database_url: str) -> tuple[dict, list[str]]:
    """Create the schema, import the course (no minimum reading time), make some accounts."""
    package = quick_package(MINIMAL, root / "content" / SLUG)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        import_package(lessons.load_package(package))
        accounts = [f"ready{n}@example.org" for n in range(LEARNERS // 2)]
        first = create_user(email=accounts[0], password=PASSWORD, full_name="Ready Learner0")
        for n, email in enumerate(accounts[1:], start=1):
            # One hash for all: hashing is slow on purpose, and not what this test is about.
            hashed = first.password_hash
            db.session.add(User(email=email, password_hash=hashed, full_name=f"Ready Learner{n}"))
        db.session.commit()
        answers = {
            q.key: (
                [label_text(c.text_html) for c in q.choices if c.is_correct],
                [label_text(next(c.text_html for c in q.choices if not c.is_correct))],
            )
            for q in db.session.scalars(select(Question))
        }
        db.session.remove()
        db.engine.dispose()
    return answers, accounts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn, two sync workers, on a free loopback port and a migrated SQLite file."""
    root = tmp_path_factory.mktemp("concurrency")
    database_url = f"sqlite:///{root / 'course.db'}"
    answers, accounts = _prepare_database(root, database_url)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        env = app_environment(
            database_url, root / "content", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port)
        )
        with gunicorn(root, env, workers=WORKERS) as running:
            yield Server(running.url, database_url, answers, accounts, running.log, inbox)


# -- a learner over HTTP ---------------------------------------------------------------


@dataclass
class Learner:
    """One learner with their own cookie jar; records what they submitted."""

    server: Server
    number: int
    check_keys: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        cookies = urllib.request.HTTPCookieProcessor(CookieJar())
        self.opener = urllib.request.build_opener(cookies)
        #: Half the learners answer checks like the script does (JSON), half like a form.
        self.json = self.number % 2 == 0

    def request(self, path: str, data: list[tuple[str, str]] | None = None, **headers) -> Page:
        body = urlencode(data).encode() if data is not None else None
        url = urljoin(self.server.url, path)
        request = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                page = Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                page = Page(error.code, error.url, error.read().decode(errors="replace"))
        self.statuses[page.status] += 1
        if page.status >= 500:
            pytest.fail(f"{path}: HTTP {page.status}; server log:\n{self.server.log_tail()}")
        assert page.status == 200, f"{path}: HTTP {page.status}\n{page.body[:2000]}"
        return page

    def twice_at_once(self, path: str, data: list[tuple[str, str]], **headers) -> list[Page]:
        """Send the same form twice at the same moment, like a double click."""
        barrier = threading.Barrier(2)

        def send() -> Page:
            barrier.wait()
            return self.request(path, data, **headers)

        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda _: send(), range(2)))

    # -- the course --------------------------------------------------------------------

    def sign_up_or_in(self) -> None:
        if self.number % 2:
            email = self.server.accounts[self.number // 2]
            form = self.request("/auth/login").form("/auth/login")
            data = [("csrf_token", form.value("csrf_token")), ("next", "")]
            data += [("email", email), ("password", PASSWORD)]
            page = self.request(form.action, data)
            assert "You are signed in." in page.body
        else:
            form = self.request(f"/auth/register?next=/courses/{SLUG}").form("/auth/register")
            data = [("csrf_token", form.value("csrf_token")), ("next", form.value("next"))]
            data += [("full_name", f"Busy Learner{self.number}")]
            data += [("email", f"busy{self.number}@example.org"), ("password", PASSWORD)]
            data += [("licence_number", ""), ("licence_jurisdiction", ""), ("profession", "")]
            page = self.request(form.action, data)
            assert page.path == "/auth/register/sent", page.url
            message = self.server.inbox.next_to(f"busy{self.number}@example.org", timeout=60)
            link = link_path(message, "/auth/register/confirm/")
            form = self.request(link).form(link)
            page = self.request(form.action, [("csrf_token", form.value("csrf_token")),
                                              ("password", PASSWORD)])  # fmt: skip
            assert page.path == f"/courses/{SLUG}", page.url

    def answer(self, lesson: Form, question: str, choices: list[str], send: str = "once") -> str:
        """Answer a check; ``send`` is "once", "at once" (twice) or "again" (twice, in turn).

        ``lesson`` is the lesson's one form; the check's button sends it to the check.
        Return the submission key for the next answer to the same check.
        """
        action = next(a for a in lesson.actions if a.endswith(f"/checks/{question}"))
        key = lesson.value(f"submission_key-{question}")
        self.check_keys.add(key)
        data = [("csrf_token", lesson.value("csrf_token")), (f"submission_key-{question}", key)]
        name = f"choice-{question}"
        data += [(name, c) for c in lesson.values_labelled(name, choices)]
        headers = {"Accept": "application/json"} if self.json else {}
        if send == "at once":
            pages = self.twice_at_once(action, data, **headers)
        else:
            times = 2 if send == "again" else 1
            pages = [self.request(action, data, **headers) for _ in range(times)]
        if self.json:
            replies = [json.loads(p.body) for p in pages]
            right = choices == self.correct(question)
            assert [r["correct"] for r in replies] == [right] * len(pages)
            return replies[-1]["next_key"]
        return pages[-1].form("/complete").value(f"submission_key-{question}")

    def correct(self, question: str) -> list[str]:
        return self.server.answers[question][0]

    def lessons(self) -> Page:
        page = self.request(f"/courses/{SLUG}")
        enrol = page.form("/enroll")
        page = self.request(enrol.action, [("csrf_token", enrol.value("csrf_token"))])
        first = True
        while "/lessons/" in page.path:
            lesson = page.form("/complete")
            for action in (a for a in lesson.actions if "/checks/" in a):
                question = action.rsplit("/", 1)[1]
                if first:
                    # Wrong first (double-clicked), then right with the key of the page
                    # that follows (and that form sent again).
                    key = self.answer(lesson, question, self.server.answers[question][1],
                                      "at once")
                    lesson = lesson.with_value(f"submission_key-{question}", key)
                    self.answer(lesson, question, self.correct(question), "again")
                    first = False
                else:
                    self.answer(lesson, question, self.correct(question))
            page = self.request(lesson.action, [("csrf_token", lesson.value("csrf_token"))])
        return page

    def post_test(self, page: Page, *, right: bool, at_once: bool) -> list[Page]:
        assert page.path == f"/courses/{SLUG}/post-test", page.url
        form = page.form("/post-test")
        data = [("csrf_token", form.value("csrf_token")), ("attempt", form.value("attempt"))]
        for name in form.names("q-"):
            right_keys, wrong_keys = self.server.answers[name[2:]]
            labels = right_keys if right else wrong_keys
            data += [(name, c) for c in form.values_labelled(name, labels)]
        if at_once:
            return self.twice_at_once(form.action, data)
        return [self.request(form.action, data) for _ in range(2)]

    def evaluation(self) -> list[Page]:
        page = self.request(f"/courses/{SLUG}/evaluation")
        form = next(f for f in forms_in(page.body) if f.names("item-"))
        data = [("csrf_token", form.value("csrf_token"))]
        for name in form.names("item-"):
            kinds = [f for f in form.fields if f["name"] == name]
            if kinds[0].get("type") == "radio":
                data.append((name, kinds[-1]["value"]))
            else:
                data.append((name, "30" if kinds[0]["tag"] == "input" else "Thank you."))
        return self.twice_at_once(page.path, data)

    def take_the_course(self) -> None:
        self.sign_up_or_in()
        page = self.lessons()
        reviews = self.post_test(page, right=False, at_once=True)
        assert {p.path for p in reviews} == {f"/courses/{SLUG}/post-test/attempts/1"}
        assert all("You answered 0 of 10 correctly" in p.body for p in reviews)
        page = self.request(f"/courses/{SLUG}/post-test")
        reviews = self.post_test(page, right=True, at_once=False)
        assert {p.path for p in reviews} == {f"/courses/{SLUG}/post-test/attempts/2"}
        assert all("You passed." in p.body for p in reviews)
        certificates = self.evaluation()
        paths = {p.path for p in certificates}
        assert len(paths) == 1 and paths.pop().startswith("/me/certificates/"), paths


# -- the test --------------------------------------------------------------------------


def test_fifty_learners_at_once_store_every_submission_exactly_once(server: Server) -> None:
    learners = [Learner(server, n) for n in range(LEARNERS)]
    started = time.monotonic()
    with ThreadPoolExecutor(LEARNERS) as pool:
        for future in [pool.submit(learner.take_the_course) for learner in learners]:
            future.result()
    elapsed = time.monotonic() - started
    statuses = sum((learner.statuses for learner in learners), Counter())
    print(f"{LEARNERS} learners, {statuses.total()} requests in {elapsed:.1f} s: {statuses}")

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": server.database_url})
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        checks = sum(len(lesson.live_checks) for lesson in course.live_lessons)
        items = count(EvaluationItem)

        assert count(User) == LEARNERS
        enrolments = list(db.session.scalars(select(Enrolment)))
        assert len(enrolments) == LEARNERS
        assert all(e.completed_at is not None for e in enrolments)
        progress = list(db.session.scalars(select(LessonProgress)))
        assert len(progress) == LEARNERS * len(course.live_lessons)
        assert all(p.completed_at is not None for p in progress)

        # Every check answer once per distinct form: one wrong try, then each check right.
        sent = set().union(*(learner.check_keys for learner in learners))
        assert len(sent) == LEARNERS * (checks + 1)
        stored = list(db.session.scalars(select(CheckResponse.submission_key)))
        assert len(stored) == len(sent)
        assert set(stored) == sent

        # Two attempts each, the first failed and the second passed, ten answers apiece.
        attempts = list(db.session.scalars(select(PostTestAttempt)))
        assert len(attempts) == 2 * LEARNERS
        assert Counter((a.number, a.passed, a.score_percent) for a in attempts) == {
            (1, False, 0): LEARNERS,
            (2, True, 100): LEARNERS,
        }
        assert count(AttemptAnswer) == sum(a.question_count for a in attempts) == 20 * LEARNERS

        assert count(EvaluationResponse) == LEARNERS
        assert count(EvaluationAnswer) == LEARNERS * items
        assert count(Certificate) == LEARNERS
        db.session.remove()
        db.engine.dispose()

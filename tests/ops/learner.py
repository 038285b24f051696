"""A scripted learner who takes the whole course over HTTP, as a browser would.

It signs up, enrols, answers every knowledge check, completes every lesson, passes the
post-test, fills in the evaluation, opens the certificate and downloads its PDF. With
``resubmit`` every form goes twice (the second copy is a reload or a double click; behind
a round-robin proxy it lands on the other server). The learner remembers what the server
acknowledged, so a test can compare it with what the database holds.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import lessons
from tests.live_client import Browser, Form, Page, forms_in, label_text
from tests.smtp_sink import Inbox, link_path

PASSWORD = "walnut harbour cinema ninety"


@dataclass(frozen=True)
class AnswerKey:
    """Right answers for every question of a package, by question id (= key in the app).

    Answers are the choices' texts as their labels read: pages send a choice's position
    in the learner's own order, so a learner picks by what a label says.
    """

    slug: str
    right: dict[str, list[str]]

    @classmethod
    def of(cls, package: Path) -> AnswerKey:
        loaded = lessons.load_package(package)
        questions = [q for lesson in loaded.lessons for q in lesson.checks]
        questions += list(loaded.post_test)
        right = {q.id: [label_text(c.text_html) for c in q.choices if c.correct] for q in questions}
        return cls(loaded.slug, right)


class LearnerFailed(AssertionError):
    """The server answered something a learner cannot go on from."""


class TimeUp(Exception):
    """The run is over: the learner stops before the next form."""


@dataclass
class Learner:
    """One person taking the course in one browser."""

    browser: Browser
    key: AnswerKey
    email: str
    resubmit: bool = False
    think: tuple[float, float] = (0.0, 0.0)
    #: submission keys sent, and those the server acknowledged (HTTP 200 with feedback)
    sent_keys: set[str] = field(default_factory=set)
    acked_keys: set[str] = field(default_factory=set)
    steps: list[str] = field(default_factory=list)
    certificate: str | None = None
    #: time.monotonic() after which the learner sends no further form
    deadline: float | None = None
    #: close the tab once the evaluation is sent, before the certificate page opens
    leave_after_evaluation: bool = False
    #: the SMTP server the app sends sign-up links to
    inbox: Inbox | None = None

    def pause(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeUp(self.email)
        low, high = self.think
        if high > 0:
            time.sleep(random.uniform(low, high))

    def ok(self, page: Page, what: str) -> Page:
        if page.status != 200:
            text = " ".join(re.sub(r"<[^>]+>", " ", page.body).split())
            raise LearnerFailed(
                f"{self.email} {what}: HTTP {page.status} at {page.url}: {text[:700]}"
            )
        return page

    def send(self, form: Form, data: list[tuple[str, str]], what: str, **headers: str) -> Page:
        """Think, then submit a form (twice when resubmitting); return the last answer."""
        self.pause()
        return self.post(form, data, what, **headers)

    def post(self, form: Form, data: list[tuple[str, str]], what: str, **headers: str) -> Page:
        """Submit a form now (twice when resubmitting); return the last answer."""
        page = self.ok(self.browser.request(form.action, data, **headers), what)
        if self.resubmit:
            page = self.ok(self.browser.request(form.action, data, **headers), what + " again")
        return page

    # -- the course --------------------------------------------------------------------

    def sign_up(self) -> Page:
        course = f"/courses/{self.key.slug}"
        page = self.ok(self.browser.request(f"/auth/register?next={course}"), "register")
        form = page.form("/auth/register")
        data = [("csrf_token", form.value("csrf_token")), ("next", form.value("next"))]
        data += [("full_name", "Ops Learner " + self.email.split("@")[0].replace("-", " "))]
        data += [("email", self.email), ("password", PASSWORD)]
        data += [("licence_number", ""), ("licence_jurisdiction", ""), ("profession", "")]
        self.pause()
        page = self.ok(self.browser.request(form.action, data), "register")
        if page.path != "/auth/register/sent":
            raise LearnerFailed(f"{self.email} sign-up answered {page.url}")
        assert self.inbox is not None, "a learner who signs up needs the app's SMTP server"
        message = self.inbox.next_to(self.email, timeout=120)
        link = link_path(message, "/auth/register/confirm/")
        page = self.browser.request(link)
        if page.status == 200:
            button = page.form(link)
            data = [("csrf_token", button.value("csrf_token")), ("password", PASSWORD)]
            self.pause()
            page = self.browser.request(button.action, data)
            if self.resubmit:
                self.browser.request(button.action, data)
        if page.status != 200 or page.path != course:
            # A dropped answer was sent again, or the link was opened twice: the account
            # exists ("your account is ready"). The course page says whether this
            # browser is signed in; sign in if not.
            page = self.ok(self.browser.request(course), "course")
            if not any(f.action.endswith("/enroll") for f in forms_in(page.body)):
                page = self.sign_in()
        self.steps.append("signed up")
        return page

    def sign_in(self) -> Page:
        slug = self.key.slug
        page = self.ok(self.browser.request(f"/auth/login?next=/courses/{slug}"), "sign-in")
        form = page.form("/auth/login")
        data = [("csrf_token", form.value("csrf_token")), ("next", form.value("next"))]
        data += [("email", self.email), ("password", PASSWORD)]
        page = self.ok(self.browser.request(form.action, data), "sign-in")
        if page.path != f"/courses/{slug}":
            raise LearnerFailed(f"{self.email} could not sign in: {page.url}")
        return page

    def lessons(self, page: Page) -> Page:
        enrol = page.form("/enroll")
        page = self.send(enrol, [("csrf_token", enrol.value("csrf_token"))], "enrol")
        while "/lessons/" in page.path:
            complete = page.form("/complete")  # the lesson's one form
            for action in (a for a in complete.actions if "/checks/" in a):
                self.answer(Form(action, complete.fields))
            data = [("csrf_token", complete.value("csrf_token"))]
            page = self.send(complete, data, "complete " + page.path)
            self.steps.append("lesson")
        return page

    def answer(self, form: Form) -> None:
        question = form.action.rsplit("/", 1)[1]
        # As the page's script sends it: this check's fields alone.
        key = form.value(f"submission_key-{question}")
        data = [("csrf_token", form.value("csrf_token")), (f"submission_key-{question}", key)]
        right = form.values_labelled(f"choice-{question}", self.key.right[question])
        data += [(f"choice-{question}", c) for c in right]
        self.pause()
        self.sent_keys.add(key)
        page = self.post(form, data, f"check {question}", Accept="application/json")
        reply = json.loads(page.body)
        if reply.get("correct") is not True:
            raise LearnerFailed(f"{self.email} check {question} graded wrong: {reply}")
        self.acked_keys.add(key)

    def post_test(self, page: Page) -> Page:
        if not page.path.endswith("/post-test"):
            raise LearnerFailed(f"{self.email} expected the post-test, got {page.url}")
        form = page.form("/post-test")
        data = [("csrf_token", form.value("csrf_token")), ("attempt", form.value("attempt"))]
        for name in form.names("q-"):
            data += [(name, c) for c in form.values_labelled(name, self.key.right[name[2:]])]
        page = self.send(form, data, "post-test")
        if "/post-test/attempts/" not in page.path or "You passed." not in page.body:
            raise LearnerFailed(f"{self.email} did not pass the post-test: {page.url}")
        self.steps.append("passed")
        return page

    def evaluation(self) -> Page:
        slug = self.key.slug
        page = self.ok(self.browser.request(f"/courses/{slug}/evaluation"), "evaluation")
        form = next(f for f in forms_in(page.body) if f.names("item-"))
        data = [("csrf_token", form.value("csrf_token"))]
        for name in form.names("item-"):
            kinds = [f for f in form.fields if f["name"] == name]
            if kinds[0].get("type") == "radio":
                data.append((name, kinds[-1]["value"]))
            else:
                data.append((name, "30" if kinds[0]["tag"] == "input" else "Thank you."))
        form.action = form.action or page.path
        if self.leave_after_evaluation:
            self.pause()
            left = self.browser.request(form.action, data, follow=False)
            if left.status not in (302, 303):  # 302: the first copy was already saved
                raise LearnerFailed(f"{self.email} evaluation: HTTP {left.status}")
            self.steps.append("left")
            return left
        page = self.send(form, data, "evaluation")
        self.steps.append("evaluated")
        return page

    def certificate_pdf(self, page: Page) -> None:
        if not page.path.startswith("/me/certificates/"):
            # The redirect to the certificate was lost: open it again.
            path = f"/courses/{self.key.slug}/certificate"
            page = self.ok(self.browser.request(path), "certificate")
        if not page.path.startswith("/me/certificates/"):
            raise LearnerFailed(f"{self.email} has no certificate: {page.url}")
        self.certificate = page.path.rsplit("/", 1)[1]
        status, data, headers = self.browser.get_bytes(page.path + ".pdf")
        if status != 200 or not data.startswith(b"%PDF"):
            raise LearnerFailed(f"{self.email} certificate PDF: HTTP {status}")
        self.steps.append("certificate")

    def take_the_course(self) -> None:
        page = self.sign_up()
        page = self.lessons(page)
        page = self.post_test(page)
        page = self.evaluation()
        if not self.leave_after_evaluation:
            self.certificate_pdf(page)

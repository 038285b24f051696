"""Helpers for the browser tests: answer keys, axe-core checks, keyboard moves, a learner."""

from __future__ import annotations

import functools
import io
import itertools
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import zxingcpp
from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from certificates.codes import verify_url_for
from course.auth.sessions import SEEN_AT
from course.db import utcnow
from course.extensions import db
from course.learn.services import enrol
from course.models import Course, LessonProgress, Question
from course.users import create_user, find_user_by_email
from tests.live_client import label_text
from tests.smtp_sink import link_path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "plum tractor lantern seventeen"

_serial = itertools.count(1)

#: The lines an element's visible text takes on screen (text only a screen reader hears,
#: such as a check symbol's spoken name, is left out): for ``locator.evaluate``.
LINES_SEEN = """e => {
  const tops = new Set(), walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
  for (let text = walk.nextNode(); text; text = walk.nextNode()) {
    if (text.parentElement.closest('.visually-hidden')) continue;
    const range = document.createRange(); range.selectNodeContents(text);
    for (const box of range.getClientRects()) tops.add(Math.round(box.top));
  }
  return tops.size;
}"""


@dataclass(frozen=True)
class AnswerKey:
    """The right and one wrong selection for a question, as the choices' labels read.

    A page sends each choice's position in the learner's own order, so a learner (and
    this kit) picks choices by what their labels say.
    """

    right: tuple[str, ...]
    wrong: tuple[str, ...]
    type: str


def answer_keys(server: Any) -> dict[str, AnswerKey]:
    """Read every question's answer key from the server's database (the test owns it)."""
    with server.app.app_context():
        course_id = select(Course.id).where(Course.slug == server.slug).scalar_subquery()
        questions = db.session.scalars(select(Question).where(Question.course_id == course_id))
        keys = {
            q.key: AnswerKey(
                right=tuple(label_text(c.text_html) for c in q.choices if c.is_correct),
                wrong=(label_text(next(c.text_html for c in q.choices if not c.is_correct)),),
                type=q.type,
            )
            for q in questions
        }
        db.session.remove()
    return keys


def new_learner() -> tuple[str, str]:
    """Return a fresh full name and email address."""
    n = next(_serial)
    return f"Jordan Browser{n}", f"browser-learner{n}@example.org"


def label_of(box: Locator) -> str:
    """The text of an input's label, as a learner reads it."""
    return " ".join(box.evaluate("e => e.labels[0].textContent").split())


def pick(page: Page, key: str, labels: tuple[str, ...]) -> None:
    """Tick the choices of a knowledge check whose labels read as ``labels``, no other."""
    for box in page.locator(f"#check-{key} input[name='choice-{key}']").all():
        wanted = label_of(box) in labels
        if box.get_attribute("type") == "checkbox":
            box.set_checked(wanted)
        elif wanted:
            box.check()


def ids_labelled(page: Page, scope: str, labels: tuple[str, ...]) -> tuple[str, ...]:
    """The ids of the inputs in ``scope`` whose labels read as one of ``labels``."""
    boxes = page.locator(f"{scope} input[type=radio], {scope} input[type=checkbox]").all()
    return tuple(box.get_attribute("id") for box in boxes if label_of(box) in labels)


def check_keys(page: Page) -> list[str]:
    """Return the question keys of the knowledge checks on a lesson page, in order."""
    checks = page.locator("div.check")
    # A click that opens the lesson returns before the lesson arrives; every lesson
    # of the test courses has checks, so wait for the first rather than read none.
    checks.first.wait_for(state="attached")
    ids = checks.evaluate_all("s => s.map(e => e.id)")
    return [i.removeprefix("check-") for i in ids]


# -- accessibility ---------------------------------------------------------------------


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_run(page: Page, tags: list[str]) -> list[dict[str, Any]]:
    """Run axe-core on the page with these rule tags; return every violation found."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the app's
        # Content-Security-Policy forbids inline scripts and stays on for these tests.
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            // USWDS's web fonts load with font-display: fallback, so on a busy machine
            // the page may still be in its fallback font and reflow mid-run: measure
            // sizes and spacing (target-size) in the font the learner ends up with.
            await document.fonts.ready;
            await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }""",
        tags,
    )


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page (WCAG 2.2 A and AA rules); return violations of any impact."""
    return axe_run(page, WCAG_TAGS)


def assert_accessible(page: Page, what: str, seen: set[str] | None = None) -> None:
    """Fail with a readable list when axe-core finds any violation."""
    violations = axe_violations(page)
    assert not violations, f"{what} ({page.url}):\n" + json.dumps(violations, indent=2)
    if seen is not None:
        seen.add(what)


def sign_in(page: Page, server: Any, email: str) -> None:
    """Sign in on the sign-in page with the tests' password, and wait until signed in."""
    page.goto(server.url + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")


def sign_in_here(page: Page, email: str) -> None:
    """Fill in the sign-in form the page shows, without "keep me signed in" (the idle limit
    applies), as a person sent there by a time-out does."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def idle_for(context: BrowserContext, server: Any, seconds: int) -> None:
    """Make the server see no activity from this browser for ``seconds``."""
    name = server.app.config["SESSION_COOKIE_NAME"]
    cookie = next(c for c in context.cookies(server.url) if c["name"] == name)
    serializer = server.app.session_interface.get_signing_serializer(server.app)
    data = serializer.loads(cookie["value"])
    data[SEEN_AT] = int(time.time()) - seconds
    context.add_cookies([{**cookie, "value": serializer.dumps(data)}])


# -- keyboard --------------------------------------------------------------------------


def focused(page: Page) -> dict[str, str]:
    """Describe the element that has keyboard focus."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {id: e.id || "", tag: e.tagName.toLowerCase(), type: e.type || "",
                    name: e.name || "", text: (e.textContent || "").trim()};
        }"""
    )


def tab_to(page: Page, matches, limit: int = 120) -> dict[str, str]:
    """Press Tab until the focused element matches; return its description."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = focused(page)
        if matches(current):
            return current
    raise AssertionError(f"Tab never reached the element (last focus: {focused(page)})")


def choose_by_keyboard(page: Page, prefix: str, ids: tuple[str, ...], kind: str) -> None:
    """Select the inputs with these ids (all starting with ``prefix``) by keyboard alone.

    Radios: Tab into the group, Space selects the focused one, arrow keys move the
    selection. Checkboxes: Tab from box to box, Space ticks the ones wanted.
    """
    in_group = lambda f: f["tag"] == "input" and f["id"].startswith(prefix)  # noqa: E731
    current = tab_to(page, in_group)
    if kind == "radio":
        (target,) = ids
        page.keyboard.press("Space")
        for _ in range(10):
            if focused(page)["id"] == target:
                break
            page.keyboard.press("ArrowDown")
        else:
            raise AssertionError(f"arrow keys never reached {target}")
        return
    wanted = set(ids)
    while wanted:
        if current["id"] in wanted:
            page.keyboard.press("Space")
            wanted.discard(current["id"])
        if wanted:
            page.keyboard.press("Tab")
            current = focused(page)
            assert in_group(current), f"Tab left the group {prefix} before ticking {wanted}"


# -- a learner's way through the course -------------------------------------------

RIGHT = "That's right."
NOT_QUITE = "Not quite. Here is why, and you are welcome to try again."


class Journey:
    """One learner's way through the course in one browser page."""

    def __init__(self, page: Page, server, *, js: bool, audit: bool) -> None:
        self.page, self.server, self.js = page, server, js
        self.keys: dict[str, AnswerKey] = answer_keys(server)
        self.audited: set[str] | None = set() if audit else None
        self.name = ""

    def audit(self, what: str) -> None:
        if self.audited is not None:
            assert_accessible(self.page, what, self.audited)

    def heading(self):
        return self.page.get_by_role("heading", level=1)

    # -- account -------------------------------------------------------------------

    def sign_up(self) -> str:
        page, server = self.page, self.server
        page.goto(server.url + "/")
        expect(self.heading()).to_have_text("Courses")
        self.audit("catalogue")
        page.get_by_role("link", name=server.title).click()
        expect(self.heading()).to_have_text(server.title)
        # Styles and fonts in before the next click: on a busy machine the stylesheet can
        # land between the click's aim and its press and move the link (once in CI).
        page.wait_for_load_state("load")
        self.audit("course page")
        page.locator(".actions").get_by_role("link", name="Sign in", exact=True).click()
        expect(self.heading()).to_have_text("Sign in")
        self.audit("sign-in")
        page.get_by_role("link", name="Create an account").click()
        expect(self.heading()).to_have_text("Create an account")
        self.audit("register")
        name, email = new_learner()
        page.get_by_label("Full name").fill(name)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Create a password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(self.heading()).to_have_text("Check your email")
        self.audit("sign-up link sent")
        # The link in the email, then its button, as the learner would.
        link = link_path(server.inbox.next_to(email), "/auth/register/confirm/")
        page.goto(server.url + link)
        expect(self.heading()).to_have_text("Finish creating your account")
        self.audit("finish creating the account")
        page.get_by_label("The password you chose when you signed up").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        # Back on the course page it came from, signed in.
        expect(page).to_have_url(f"{server.url}/courses/{server.slug}")
        expect(page.locator(".flashes")).to_contain_text(f"Welcome, {name}")
        self.name, self.email = name, email
        return name

    # -- lessons -------------------------------------------------------------------

    def answer(self, key: str, choices: tuple[str, ...], verdict: str) -> None:
        """Answer a knowledge check and wait for its feedback (in place with JS)."""
        page = self.page
        section = page.locator(f"#check-{key}")
        pick(page, key, choices)
        page.evaluate("() => { window.sameDocument = true; }")
        section.get_by_role("button").click()
        region = section.locator(".feedback[aria-live=polite]")
        expect(region.locator(".feedback-verdict")).to_have_text(verdict)
        expect(region.locator(".feedback-why").first).not_to_be_empty()
        # After a right answer the button offers a change; after a wrong one, another try.
        button = "Try another answer" if verdict == RIGHT else "Check again"
        expect(section.get_by_role("button")).to_have_text(button)
        if self.js:
            assert page.evaluate("() => window.sameDocument === true"), "the page reloaded"
        else:
            # Back at the feedback, the verdict in view.
            expect(page).to_have_url(re.compile(rf"#feedback-{re.escape(key)}$"))
            expect(region.locator(".feedback-verdict")).to_be_in_viewport()
            assert page.evaluate("() => window.sameDocument === undefined")

    def lessons(self) -> None:
        page = self.page
        page.get_by_role("button", name="Start the course").click()
        titles = []
        for number in range(1, 100):
            expect(page.locator(".breadcrumbs")).to_contain_text(f"Lesson {number} of")
            titles.append(self.heading().inner_text())
            keys = check_keys(page)
            assert keys, "every lesson of the test course has knowledge checks"
            for index, key in enumerate(keys):
                if number == 1 and index == 0:
                    # A wrong answer first: feedback explains, and the learner tries again.
                    self.answer(key, self.keys[key].wrong, NOT_QUITE)
                    self.audit("lesson with feedback")
                self.answer(key, self.keys[key].right, RIGHT)
            finish = page.get_by_role("button", name=re.compile(r"^Complete and"))
            last = finish.inner_text() == "Complete and go to the post-test"
            finish.click()
            if last:
                break
            expect(page.locator(".breadcrumbs")).to_contain_text(f"Lesson {number + 1} of")
        assert len(titles) == 2 and len(set(titles)) == 2

    # -- post-test, evaluation, completion -----------------------------------------

    def post_test(self, right: int) -> None:
        """Answer the open attempt with ``right`` questions correct, then submit."""
        page = self.page
        expect(self.heading()).to_have_text("Post-test")
        fieldsets = page.locator("form.post-test fieldset.question")
        ids = fieldsets.evaluate_all("f => f.map(e => e.id)")
        assert len(ids) == 10
        for index, fieldset_id in enumerate(ids):
            answer = self.keys[fieldset_id.removeprefix("q-")]
            answer_question(page, fieldset_id, answer.right if index < right else answer.wrong)
        page.get_by_role("button", name="Submit my answers").click()

    def fail_then_pass(self) -> None:
        page = self.page
        self.audit("post-test")
        self.post_test(right=7)
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        result = page.locator(".result[role=status]")
        expect(result).to_contain_text("You answered 7 of 10 correctly (70%)")
        expect(result).to_contain_text("The passing score is 80%")
        expect(page.locator(".review-item.is-incorrect")).to_have_count(3)
        self.audit("review")
        page.get_by_role("link", name="Try the post-test again").click()
        self.post_test(right=10)
        expect(page).to_have_url(re.compile(r"/post-test/attempts/2$"))
        expect(result).to_contain_text("You answered 10 of 10 correctly (100%)")
        expect(result).to_contain_text("You passed.")
        page.get_by_role("link", name="Continue to the evaluation").click()

    def evaluation(self) -> None:
        page = self.page
        expect(self.heading()).to_have_text("Course evaluation")
        page.get_by_role("button", name="Submit the evaluation").click()
        summary = page.locator(".error-summary[role=alert]")
        expect(summary).to_contain_text("There is a problem with 5 questions")
        expect(page.locator(".field-error")).to_have_count(5)
        self.audit("evaluation with errors")
        for fieldset in page.locator("form.evaluation fieldset").all():
            fieldset.get_by_role("radio").last.check()
        page.get_by_label(re.compile("how many minutes")).fill("45")
        page.get_by_label(re.compile("Anything else")).fill("Clear and kind. Thank you.")
        page.get_by_role("button", name="Submit the evaluation").click()

    def completion(self) -> None:
        page, server = self.page, self.server
        # The evaluation leads to the learner's certificate, issued on the spot.
        flash = "Thank you. Your evaluation is saved and the course is complete."
        expect(page.locator(".flashes")).to_have_text(flash)
        # Read on arrival: the message takes focus (a status present at load is not read).
        expect(page.locator(".flashes .focus-target")).to_be_focused()
        expect(self.heading()).to_have_text("Certificate of Completion")
        certificate = page.locator("article.certificate")
        expect(certificate).to_contain_text(self.name)
        expect(certificate).to_contain_text(server.title)
        # A phone that scans the page's QR code opens this certificate's verification page.
        code = unquote(page.url.rsplit("/", 1)[1])
        # The address percent-encodes a check symbol of * $ or = (the project's own rule).
        shown = verify_url_for(server.url, code).rsplit("/", 1)[1]
        verify = page.get_by_role("link", name=re.compile(re.escape(shown))).get_attribute("href")
        assert verify.endswith(f"/verify/{shown}")
        scan = Image.open(io.BytesIO(page.locator(".cert-qr svg").screenshot()))
        assert [r.text for r in zxingcpp.read_barcodes(scan)] == [verify]
        self.audit("completion")
        nav = page.get_by_role("navigation", name="Account")
        nav.get_by_role("link", name="My transcript").click()
        expect(self.heading()).to_have_text("My transcript")
        row = page.get_by_role("row", name=re.compile(re.escape(server.title)))
        expect(row).to_contain_text("Completed")
        expect(row).to_contain_text("100% (2 attempts)")
        expect(row).to_contain_text("0.25 contact hours")
        expect(page.get_by_role("link", name=server.title)).to_have_count(2)  # row, certificate
        self.audit("transcript")

    def profile_and_sign_out(self) -> None:
        page, server = self.page, self.server
        nav = page.get_by_role("navigation", name="Account")
        nav.get_by_role("link", name="Profile").click()
        expect(self.heading()).to_have_text("Your profile")
        expect(page.get_by_label("Full name")).to_have_value(self.name)
        sign_ins = page.locator("h2#sign-ins + ul > li")
        expect(sign_ins).to_have_count(1)
        expect(sign_ins).to_contain_text("This browser")
        expect(page.get_by_text("You are not signed in anywhere else.")).to_be_visible()
        self.audit("profile")
        nav.get_by_role("button", name="Sign out").click()
        expect(page.locator(".flashes")).to_have_text("You have signed out.")
        page.goto(server.url + "/me")
        expect(self.heading()).to_have_text("Sign in")  # the transcript needs a sign-in again

    def whole_course(self) -> None:
        self.sign_up()
        self.lessons()
        self.fail_then_pass()
        self.evaluation()
        self.completion()
        self.profile_and_sign_out()


def with_lessons_done(server: Any, email: str, count: int | None = None) -> None:
    """Enroll the account in the test course with its first ``count`` lessons (or all)
    complete."""
    with server.app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == server.slug))
        enrolment = enrol(find_user_by_email(email), course)
        now = utcnow()
        for lesson in course.live_lessons[:count]:
            db.session.add(
                LessonProgress(enrolment=enrolment, lesson_id=lesson.id, started_at=now,
                               last_seen_at=now, reached_end_at=now, completed_at=now)
            )  # fmt: skip
        db.session.commit()
        db.session.remove()


def learner_at_the_post_test(server: Any) -> str:
    """A new account with every lesson of the test course complete; returns its email."""
    name, email = new_learner()
    with server.app.app_context():
        create_user(email=email, password=PASSWORD, full_name=name)
        db.session.commit()
        db.session.remove()
    with_lessons_done(server, email)
    return email


def signed_in_at(context: BrowserContext, server: Any, email: str, path: str) -> Page:
    """A page of ``context`` signed in as ``email`` through the form, opened at ``path``."""
    page = context.new_page()
    page.goto(f"{server.url}/auth/login")
    sign_in_here(page, email)
    page.goto(f"{server.url}{path}")
    return page


def answer_question(page: Page, fieldset_id: str, wanted: tuple[str, ...]) -> None:
    """Pick exactly the choices labelled ``wanted`` in one post-test question."""
    for box in page.locator(f"[id='{fieldset_id}'] input").all():
        if box.get_attribute("type") == "checkbox":
            box.set_checked(label_of(box) in wanted)
        elif label_of(box) in wanted:
            box.check()

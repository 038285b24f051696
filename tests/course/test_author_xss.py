"""Script and event-handler payloads typed by an author never come out as executable markup.

Every text an author types (lesson Markdown and title, check prompt, choices and why,
post-test question and explanation, evaluation prompt, course settings) gets hostile
payloads. The author pages that show them (editor, preview, diff, publish) and, once
published, the learner pages are parsed with html.parser: no inline <script>, no on*
attribute, no javascript: (or vbscript:, data:) URL, no frames or plug-ins.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from course.extensions import db
from course.models import Lesson, Role
from tests.course.author_kit import (
    BASE,
    LESSON,
    flashes,
    lesson_text,
    page_form,
    post_publish,
    sign_in_reviewer,
    submit,
)
from tests.course.factories import import_course, join_team, make_user, sign_in
from tests.course.journey import check_positions, wrong_keys

NOTE = {"note": "Reviewed and approved."}

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=alert('xss-2')>",
    "[click](javascript:alert('xss-3'))",
    '<a href="jav&#x09;ascript:alert(4)">xss-4</a>',
    "<svg onload=alert('xss-5')></svg>",
    '"><script>alert("xss-6")</script>',
    "</textarea><script>alert('xss-7')</script>",
    "<iframe src=\"javascript:alert('xss-8')\"></iframe>",
    "<details open ontoggle=alert('xss-9')>x</details>",
    "</title><script>alert('xss-10')</script>",
    "' onmouseover='alert(11)' x='",
]
HOSTILE = " ".join(PAYLOADS)
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
BAD_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}


class ExecutableMarkup(HTMLParser):
    """Collect everything in a page that a browser could run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (values.get("src") or "").startswith("/static/"):
                self.problems.append(f"<script {values}>")
        if tag in BAD_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            compact = re.sub(r"[\x00-\x20]+", "", value or "").lower()
            if name in URL_ATTRIBUTES and compact.startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")


def assert_inert(response, what: str) -> str:
    """Fail when the page holds executable markup; return its text."""
    assert response.status_code in (200, 422), (what, response.status_code)
    page = response.get_data(as_text=True)
    parser = ExecutableMarkup()
    parser.feed(page)
    parser.close()
    assert not parser.problems, f"{what}: {parser.problems}"
    return page


def test_the_detector_finds_what_a_browser_would_run():
    for hostile in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href=" javascript:alert(1)">x</a>',
        "<iframe src=x></iframe>",
        "<textarea></textarea><script>x()</script>",
    ):
        parser = ExecutableMarkup()
        parser.feed(hostile)
        assert parser.problems, hostile
    parser = ExecutableMarkup()
    parser.feed(
        '<script src="/static/js/lesson.js" defer></script><textarea>&lt;script&gt;</textarea>'
    )
    assert not parser.problems


@pytest.fixture
def author_client(app, client, minimal_package_dir):
    with app.app_context():
        import_course(minimal_package_dir)
        user = join_team("minimal", make_user(Role.AUTHOR))
    return sign_in(client, user)


def _type_payloads_everywhere(client) -> None:
    """Put the payloads in every text an author edits, through the forms."""
    body = lesson_text(client).replace(
        "## Push factors", f"{HOSTILE}\n\n<div>{PAYLOADS[1]}</div>\n\n## Push factors"
    )
    response = submit(client, LESSON, "preview", body=body, title=f"Push {PAYLOADS[0]}")
    assert_inert(response, "lesson preview")
    submit(client, LESSON, "save", body=body, title=f"Push {PAYLOADS[0]}")
    check = {"prompt": f"Which? {HOSTILE}", "choices-1-text": f"Conflict {PAYLOADS[3]}",
             "choices-1-why": f"Because {HOSTILE}"}  # fmt: skip
    flashes(client, submit(client, f"{LESSON}/checks/push-pull-1", "save", **check))
    question = {"prompt": f"Push? {HOSTILE}", "explanation": f"Explained {HOSTILE}"}
    flashes(client, submit(client, f"{BASE}/post-test/questions/pt-lo1-1", "save", **question))
    flashes(client, submit(client, f"{BASE}/evaluation", "save",
                           **{"items-0-prompt": f"Helpful? {HOSTILE}"}))  # fmt: skip
    settings = {
        "title": f"Course {PAYLOADS[9]}",
        "summary": f"Summary {HOSTILE}",
        "audience": PAYLOADS[10],
        "format": PAYLOADS[5],
        "advisory": f"Advisory {HOSTILE}",
        "objectives-0-text": f"Describe {HOSTILE}",
        "provider_name": PAYLOADS[6],
        "approval_statement": f"Approved {HOSTILE}",
        "support-0-name": PAYLOADS[0],
        "support-0-note": PAYLOADS[1],
        "sequential": [],
    }
    flashes(client, submit(client, f"{BASE}/settings", "save", **settings))


AUTHOR_PAGES = [
    "/author/",
    f"{BASE}/",
    f"{BASE}/settings",
    LESSON,
    f"{LESSON}/checks/push-pull-1",
    f"{BASE}/post-test",
    f"{BASE}/post-test/questions/pt-lo1-1",
    f"{BASE}/evaluation",
    f"{BASE}/history",
    f"{BASE}/history/compare?old=0",
    f"{BASE}/history/compare?old=1&new=3",
    f"{BASE}/publish",
]


def test_payloads_stay_text_on_author_and_learner_pages(app, client, author_client):
    _type_payloads_everywhere(author_client)
    for url in AUTHOR_PAGES:
        page = assert_inert(author_client.get(url), url)
        assert "&lt;script&gt;" in page or url.endswith("/history"), url
    comment = author_client.post(f"{BASE}/comments", data={"body": PAYLOADS[0]})
    assert comment.status_code == 303
    reviewer = sign_in_reviewer(app, client)
    page = assert_inert(reviewer.get(f"{BASE}/publish"), "review page with a comment")
    assert "&lt;script&gt;" in page
    published = flashes(reviewer, post_publish(reviewer, f"{BASE}/publish", NOTE))
    assert "Published as version 2." in published

    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    assert_inert(client.get("/"), "catalogue")
    client.post("/courses/minimal/enrol")
    assert_inert(client.get("/courses/minimal"), "course page")
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        check = next(q for q in lesson.live_checks if q.key == "push-pull-1")
        wrong = check_positions(client, "minimal", check, wrong_keys(check))
    assert_inert(client.get("/courses/minimal/lessons/push-pull"), "lesson")
    answer = client.post(
        "/courses/minimal/lessons/push-pull/checks/push-pull-1", data={"choice": wrong}
    )
    assert answer.status_code == 303, answer.status_code
    page = assert_inert(client.get("/courses/minimal/lessons/push-pull"), "lesson with feedback")
    assert "Because" in page and "Which?" in page
    assert_inert(client.get("/courses/minimal/lessons/returning"), "second lesson")
    assert_inert(client.get("/me"), "transcript")


def test_a_script_url_in_the_support_links_is_refused_and_never_linked(app, author_client):
    for url in (
        "javascript:alert(1)",
        " JaVa\tScRiPt:alert(1)",
        "data:text/html,<script>x</script>",
    ):
        page = flashes(author_client, submit(author_client, f"{BASE}/settings", "save",
                                             **{"support-0-url": url}))  # fmt: skip
        assert "support url" in page and "must start with https://" in page
        for target in (f"{BASE}/settings", f"{BASE}/publish", f"{BASE}/"):
            assert_inert(author_client.get(target), target)
    form = page_form(author_client.get(f"{BASE}/settings").get_data(as_text=True), "base_revision")
    assert form["support-0-url"] == ["data:text/html,<script>x</script>"]
    reviewer = sign_in_reviewer(app, author_client)
    assert post_publish(reviewer, f"{BASE}/publish", NOTE).status_code == 422

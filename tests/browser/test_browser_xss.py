"""Hostile text through every way in, rendered in chromium under the real CSP: nothing runs.

Every payload in tests/data/xss_payloads.py goes through each place text enters the app:

- a course package (imported as authors publish): lesson Markdown, knowledge-check
  prompts, choices and feedback, post-test prompts, choices and explanations, the
  course advisory;
- account names, through registration and then the profile form;
- evaluation comments (stored) and the evaluation form sent back with errors;
- the certificate-verification code box and verification addresses;
- the admin certificate search and the author's lesson preview.

Markdown fields get one payload each (Markdown parsing depends on context, so each one is
tried alone). Plain-text fields are escaped as a whole, so several payloads share one value
up to the field's limit, and values over the limit are sent too, to test the refusal page.

Each page is then opened in chromium from the live server, which sends the app's real
headers. The test listens for dialogs, reads the ``window.__xss`` marker the payloads try
to set, collects ``securitypolicyviolation`` events, and walks the DOM for anything that
could run on a click or hover (event-handler attributes, script URLs, scripts, frames,
objects, style). All of these must stay empty; refused external images are counted only.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server
from xss_site import (  # beside this file, as browser_kit is
    COMMENT_LIMIT,
    HOSTILE,
    NAME_LIMIT,
    PASSWORD,
    QUERY_LIMIT,
    USER_AGENT,
    Person,
    Site,
    build_site,
    hostile_package,
    packs,
    quick_minimal,
    setup_client,
)
from xss_watch import WATCH, Watch

import lessons
from course import create_app
from course.extensions import db
from course.mail import sender_for
from course.models import Certificate, Course, User
from course.packages import import_package
from tests.course.journey import answers_for, open_attempt
from tests.data.xss_payloads import PAYLOADS
from tests.smtp_sink import Inbox, link_path, smtp_server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("xss")
    content = root / "content"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'xss.db'}",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WTF_CSRF_ENABLED": False,  # setup only: switched on before the server starts
            "RATELIMIT_ENABLED": False,
            "CONTENT_DIR": str(content),
        }
    )
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        for package in (
            hostile_package(content / HOSTILE),
            quick_minimal(content / "minimal"),
        ):
            import_package(lessons.load_package(package))
        db.session.commit()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        yield from _serve(app, build_site(app, inbox), started)


def _serve(app, site: Site, started: float) -> Iterator[Site]:
    app.config["WTF_CSRF_ENABLED"] = True
    setup_seconds = time.perf_counter() - started
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="xss-server", daemon=True)
    thread.start()
    try:
        site.url = f"http://127.0.0.1:{server.server_port}"
        print(f"\nxss setup: {len(site.holders)} name holders, {setup_seconds:.1f} s")
        yield site
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        sender_for(app).stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_page(browser, site: Site, watch: Watch):
    """Open a page in a fresh context; signed in as the person given, if any."""
    contexts = []

    def open_page(person: Person | None = None):
        context = browser.new_context(user_agent=USER_AGENT)
        contexts.append(context)
        context.add_init_script(WATCH)
        if person is not None:
            context.add_cookies([{"name": "session", "value": person.cookie, "url": site.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch.attach(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


def set_value(locator, text: str) -> None:
    """Put text in a field as a script could: past its maxlength, newlines and all."""
    locator.evaluate("(box, text) => { box.value = text; }", text)


def switch(page, person: Person, site: Site) -> None:
    """Make the page's context signed in as someone else."""
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "session", "value": person.cookie, "url": site.url}])


# -- learner pages -------------------------------------------------------------------------


def test_learner_pages_of_the_hostile_course(site: Site, watch: Watch, new_page) -> None:
    page = new_page(site.reader)
    base = f"{site.url}/courses/{HOSTILE}"
    watch.visit(page, base, "course page (advisory)")
    with site.app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == HOSTILE))
        slugs = [lesson.slug for lesson in course.live_lessons]
    for slug in slugs:
        watch.visit(page, f"{base}/lessons/{slug}", "lesson (body, checks, feedback)")
        checks = page.locator("div.check").count()
        assert checks > 100
        # Both right choices were chosen: their feedback is on the page, under each check.
        assert page.locator(".feedback-list > li").count() == 2 * checks
    watch.visit(page, f"{base}/post-test", "post-test")
    assert page.locator("fieldset.question").count() == len(PAYLOADS)
    watch.visit(page, f"{base}/post-test/attempts/1", "review (explanations)")
    assert page.locator(".review-item").count() == len(PAYLOADS)

    # Pass attempt 2 from the server side (clicking 277 radio buttons adds nothing), then
    # the review, the evaluation and the certificate in the browser.
    client = setup_client(site.app)
    client.set_cookie("session", site.reader.cookie)
    token = page.locator("input[name=csrf_token]").first.input_value()
    with site.app.app_context():
        attempt = open_attempt(client, HOSTILE)
        data = {**answers_for(attempt, right=len(PAYLOADS)), "csrf_token": [token]}
        response = client.post(f"/courses/{HOSTILE}/post-test", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    watch.visit(page, f"{base}/post-test/attempts/2", "review (explanations)")

    watch.visit(page, f"{base}/evaluation", "evaluation")
    comment = page.locator("textarea")
    everything = "\n".join(p for p in PAYLOADS if "\x00" not in p)
    # Over the 5,000-character limit, with a hostile number and no ratings: refused, and
    # everything comes back in the form.
    comment.evaluate("(box, text) => { box.value = text; }", everything)
    page.get_by_label("About how many minutes").fill(packs(QUERY_LIMIT)[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Submit the evaluation").click()
    watch.inspect(page, "evaluation sent back with errors")
    assert page.locator(".error-summary").count() == 1
    assert len(comment.input_value()) > COMMENT_LIMIT  # all of it came back, as text
    for fieldset in page.locator("form.evaluation fieldset").all():
        fieldset.get_by_role("radio").first.check()
    page.get_by_label("About how many minutes").fill("45")
    comment.fill(packs(COMMENT_LIMIT)[0])
    with page.expect_navigation(url="**/me/certificates/**"):
        page.get_by_role("button", name="Submit the evaluation").click()
    watch.inspect(page, "certificate (hostile name)")
    watch.visit(page, f"{site.url}/me", "transcript")
    watch.assert_clean()


def test_names_on_certificates_and_their_public_verification(
    site: Site, watch: Watch, new_page
) -> None:
    page = new_page(site.certified)
    # The QR code is inline SVG: the policy lets it draw.
    watch.visit(page, f"{site.url}/me/certificates/{next(iter(site.codes))}", "certificate")
    box = page.locator(".cert-qr svg").bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50
    for code, name in site.codes.items():
        watch.visit(page, f"{site.url}/me/certificates/{code}", "certificate (name)")
        shown = " ".join(page.locator(".cert-name").inner_text().split())
        assert shown and shown[:10] in " ".join(name.split())
    anonymous = new_page()
    for code in site.codes:
        watch.visit(anonymous, f"{site.url}/verify/{code}", "public verification (name)")
    watch.assert_clean()


def test_forms_that_send_hostile_values_back(site: Site, watch: Watch, new_page) -> None:
    page = new_page()
    everything = " ".join(p for p in PAYLOADS if "\x00" not in p)
    # Sign-up refused (name too long, email invalid): both come back in the form.
    watch.visit(page, f"{site.url}/auth/register", "register")
    set_value(page.get_by_label("Full name"), everything)
    set_value(page.get_by_label("Email address"), packs(COMMENT_LIMIT)[1])
    page.get_by_label("Create a password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    watch.inspect(page, "register sent back with errors")
    assert page.locator(".error-summary").count() == 1
    assert len(page.get_by_label("Full name").input_value()) > NAME_LIMIT

    # Sign-up accepted with a hostile name: the emailed link's page and the welcome
    # message show it.
    watch.visit(page, f"{site.url}/auth/register", "register")
    set_value(page.get_by_label("Full name"), packs(NAME_LIMIT, names=True)[1])
    page.get_by_label("Email address").fill("new-hostile@example.org")
    page.get_by_label("Create a password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    link = link_path(site.inbox.next_to("new-hostile@example.org"), "/auth/register/confirm/")
    watch.visit(page, site.url + link, "finish creating the account (name)")
    page.get_by_label("The password you chose when you signed up").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create my account").click()
    watch.inspect(page, "welcome message (name)")
    assert page.locator(".flashes").count() == 1

    # The profile refuses an overlong name and shows it back.
    watch.visit(page, f"{site.url}/auth/profile", "profile (name)")
    set_value(page.get_by_label("Full name"), everything)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    watch.inspect(page, "profile sent back with errors")
    assert page.locator(".error-summary").count() == 1
    watch.assert_clean()


def test_the_verify_code_box_and_verification_pages(site: Site, watch: Watch, new_page) -> None:
    page = new_page()
    for value in packs(QUERY_LIMIT):
        watch.visit(page, f"{site.url}/verify?code={quote(value)}", "verify code box")
        assert page.locator("#code").input_value()  # the value came back, as text
        watch.visit(page, f"{site.url}/verify/{quote(value, safe='')}", "verify address", None)
    watch.assert_clean()


# -- admin and author pages ----------------------------------------------------------------


def _pages_of(site: Site, prefix: str, values: dict[str, object]) -> list[str]:
    """Every GET address under the prefix, filled with values; unknown parameters skipped."""
    urls = []
    for rule in site.app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "GET" not in rule.methods:
            continue
        if rule.rule.endswith((".zip", ".csv", ".json", ".pdf")):
            continue
        if all(name in values for name in rule.arguments):
            urls.append(rule.build({name: values[name] for name in rule.arguments})[1])
    return sorted(urls)


def test_admin_pages_with_names_and_comments(site: Site, watch: Watch, new_page) -> None:
    page = new_page(site.admin)
    rules = {rule.rule for rule in site.app.url_map.iter_rules()}
    urls = {u for slug in (HOSTILE, "minimal") for u in _pages_of(site, "/admin", {"slug": slug})}
    for url in sorted(urls):
        watch.visit(page, site.url + url, f"admin {url.split('/')[2] or 'home'}", None)
        if url == "/admin/courses/minimal/report":
            assert page.locator(".answer-text").count() >= len(packs(COMMENT_LIMIT))
    if "/admin/learners/<int:user_id>" in rules:
        for n in range(1, len(site.holders) // 50 + 2):
            watch.visit(page, f"{site.url}/admin/learners?page={n}", "admin learners (names)")
        for person in site.holders:
            watch.visit(page, f"{site.url}/admin/learners/{person.id}", "admin learner (name)")
    # Every name is in the certificate list above; the page of one certificate prints it
    # the same way, so a quarter of them (a different pack each time) is enough there.
    for code in list(site.codes)[::4]:
        watch.visit(page, f"{site.url}/admin/certificates/{code}", "admin certificate (name)")
    for value in packs(QUERY_LIMIT):
        watch.visit(page, f"{site.url}/admin/certificates?q={quote(value)}", "admin search")
    watch.assert_clean()


def test_author_preview_of_hostile_lessons(site: Site, watch: Watch, new_page) -> None:
    rules = {rule.rule for rule in site.app.url_map.iter_rules()}
    if "/author/courses/<slug>/lessons/<lesson>" not in rules:
        pytest.skip("the author area has no lesson preview yet")
    page = new_page(site.admin)  # admins hold the author role
    with site.app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == HOSTILE))
        lesson = course.live_lessons[0]
        slugs = [live.slug for live in course.live_lessons]
    # The editor of a stored hostile lesson shows its preview; each editor page re-checks
    # the whole package, so only the pages that show payloads are opened.
    page.set_default_timeout(90_000)
    watch.visit(page, f"{site.url}/author/courses/{HOSTILE}/lessons/{lesson.slug}", "author lesson")
    # The staff preview of the published lessons: every check's choices and feedback at once.
    watch.visit(page, f"{site.url}/courses/{HOSTILE}/preview", "staff preview contents")
    for slug in slugs:
        watch.visit(page, f"{site.url}/courses/{HOSTILE}/preview/{slug}", "staff preview")
    # Preview (not save) a lesson whose text is every payload.
    page.goto(f"{site.url}/author/courses/{HOSTILE}/lessons/{lesson.slug}")
    body = page.locator("textarea.markdown-input")
    text = "\n\n".join(p for p in PAYLOADS if "\x00" not in p)  # forms refuse NUL
    body.evaluate("(box, text) => { box.value = text; }", text)
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    watch.inspect(page, "author preview (typed)")
    assert page.locator(".preview").count() == 1, page.content()[:3000]
    watch.assert_clean()


# -- the verdict ---------------------------------------------------------------------------


def test_nothing_ran_anywhere(site: Site, watch: Watch) -> None:
    """Runs last in this module: sums up what every page above did."""
    if not watch.pages:
        # The watch lives in this process only: split from the tests above (run alone, or
        # spread over processes test by test), it has nothing to sum up.
        pytest.skip("no page of this module was opened in this process")
    print(
        f"\nxss: {len(PAYLOADS)} payloads; {watch.pages} pages checked "
        f"({len(watch.seen)} kinds); dialogs {len(watch.dialogs)}; "
        f"external images refused by the CSP {watch.images_refused}"
    )
    watch.assert_clean()


def test_the_certificates_and_names_are_really_there(site: Site) -> None:
    with site.app.app_context():
        names = set(db.session.scalars(select(User.full_name)))
        assert {person.name for person in site.holders} <= names
        snapshots = db.session.scalars(select(Certificate))
        on_certificates = {c.code: c.snapshot["participant_name"] for c in snapshots}
        assert site.codes.items() <= on_certificates.items()

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
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

import lessons
from course import create_app
from course.extensions import db
from course.models import Certificate, Course, Role, User
from course.packages import import_package
from course.security import CONTENT_SECURITY_POLICY
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt
from tests.data.xss_payloads import PAYLOADS

HERE = Path(__file__).resolve().parent
MINIMAL = HERE.parent / "data" / "packages" / "minimal"
HOSTILE = "hostile"
USER_AGENT = "course-xss-test (chromium)"
PASSWORD = "plum tractor lantern seventeen"

# Plain-text limits: names hold 200 characters, comments 5,000.
NAME_LIMIT, COMMENT_LIMIT, QUERY_LIMIT = 200, 5000, 1500

# -- payload placement ---------------------------------------------------------------------


def payload(i: int) -> str:
    """Return the i-th payload for a package field, without NUL characters."""
    # The checker refuses NULs in a package (tested on its own); the rest still runs here.
    return PAYLOADS[i % len(PAYLOADS)].replace("\x00", "")


def packs(limit: int) -> list[str]:
    """Join payloads with spaces into values of at most ``limit`` characters.

    Payloads holding a NUL are left out: every form refuses NUL before storing anything
    (tests/course/test_bad_input.py checks that refusal).
    """
    found, current = [], ""
    for text in PAYLOADS:
        if "\x00" in text or len(text) > limit:
            continue
        if current and len(current) + 1 + len(text) > limit:
            found.append(current)
            current = text
        else:
            current = f"{current} {text}" if current else text
    return [*found, current]


def _yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)


def hostile_package(target: Path) -> Path:
    """The minimal package with every payload in every Markdown field.

    Lesson bodies hold each payload as its own block, each followed by a check whose
    prompt, choice texts and feedback are payloads; the post-test bank has one question
    per payload (prompt, choices, feedback and explanation), all of it drawn. A bank no
    larger than the draw breaks a CE rule; ``load_package`` imports it anyway, as the
    test needs every question on one page.
    """
    shutil.copytree(MINIMAL, target)
    count = len(PAYLOADS)
    manifest = yaml.safe_load((target / "course.yaml").read_text("utf-8"))
    manifest.update(slug=HOSTILE, title="Hostile input course", min_active_minutes=0)
    manifest["post_test"]["draw"] = count
    manifest["advisory"] = "\n\n".join(PAYLOADS)
    (target / "course.yaml").write_text(_yaml(manifest), "utf-8")
    for old in target.glob("0*.md"):
        old.unlink()
    half = (count + 1) // 2
    for number, (start, stop) in enumerate([(0, half), (half, count)], 1):
        parts = [f"---\ntitle: Hostile lesson {number}\nobjectives: [LO{number}]\n---\n"]
        for i in range(start, stop):
            check = {
                "id": f"xss-check-{i}",
                "type": "multiple",
                "prompt": payload(i),
                "choices": [
                    {"text": payload(i + 1), "correct": True, "why": payload(i + 2)},
                    {"text": payload(i + 3), "correct": True, "why": payload(i + 4)},
                    {"text": "None of these", "why": "Plain feedback."},
                ],
            }
            parts.append(f"{payload(i)}\n\n```check\n{_yaml(check)}```\n")
        (target / f"0{number}-hostile-{number}.md").write_text("\n".join(parts), "utf-8")
    questions = [
        {
            "id": f"xss-q-{i}",
            "type": "single",
            "objective": f"LO{i % 3 + 1}",
            "prompt": payload(i),
            "choices": [
                {"text": payload(i + 1), "correct": True, "why": payload(i + 2)},
                {"text": payload(i + 3), "why": payload(i + 4)},
            ],
            "explanation": payload(i + 5),
        }
        for i in range(count)
    ]
    (target / "post-test.yaml").write_text(_yaml({"questions": questions}), "utf-8")
    return target


def quick_minimal(target: Path) -> Path:
    shutil.copytree(MINIMAL, target)
    manifest = target / "course.yaml"
    manifest.write_text(
        manifest.read_text("utf-8").replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    return target


# -- the site ------------------------------------------------------------------------------


@dataclass
class Person:
    """An account the test made, with a signed-in session cookie for the browser."""

    id: int
    email: str
    name: str
    cookie: str


@dataclass
class Site:
    """The live server and what was put into it."""

    url: str
    app: Flask
    admin: Person
    reader: Person  # took the hostile course
    holders: list[Person]  # signed up with hostile names, then changed them
    certified: Person  # holds one certificate per hostile name (reissued after each change)
    codes: dict[str, str] = field(default_factory=dict)  # certificate code -> name on it


def setup_client(app: Flask) -> FlaskClient:
    """A test client that looks like the browser (same user agent, same address)."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    return client


def register(app: Flask, name: str, email: str) -> tuple[FlaskClient, int]:
    """Create an account through the sign-up form; return the signed-in client."""
    client = setup_client(app)
    data = {"full_name": name, "email": email, "password": PASSWORD}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 302, (name, response.get_data(as_text=True)[:2000])
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    return client, user_id


def rename(client: FlaskClient, email: str, name: str) -> None:
    """Change the signed-in person's name on the profile form."""
    response = client.post("/auth/profile", data={"full_name": name, "email": email})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def session_cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def finish_minimal(app: Flask, client: FlaskClient, comment: str) -> str:
    """Take the minimal course; the evaluation carries the comment. Return the code."""
    with app.app_context():
        assert client.post("/courses/minimal/enrol").status_code == 302
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        form = evaluation_form(course)
        comment_field = next(k for k, v in form.items() if v == "Helpful, thank you.")
        form[comment_field] = comment
        response = client.post("/courses/minimal/evaluation", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[1]


def build_site(app: Flask) -> Site:
    """Put every payload into the app through its forms (CSRF is off until serving)."""
    admin_client, admin_id = register(app, "Site Admin", "admin@example.org")
    with app.app_context():
        db.session.get(User, admin_id).role = Role.ADMIN
        db.session.commit()
    admin = Person(admin_id, "admin@example.org", "Site Admin", session_cookie(admin_client))

    # A learner who reads the hostile course: attempt 1 failed (its review shows every
    # explanation), attempt 2 open (the post-test page shows every prompt).
    names, comments = packs(NAME_LIMIT), packs(COMMENT_LIMIT)
    client, reader_id = register(app, names[0], "reader@example.org")
    with app.app_context():
        client.post(f"/courses/{HOSTILE}/enrol")
        finish_lessons(client, HOSTILE)
        attempt = open_attempt(client, HOSTILE)
        client.post(f"/courses/{HOSTILE}/post-test", data=answers_for(attempt, right=0))
        open_attempt(client, HOSTILE)
    reader = Person(reader_id, "reader@example.org", names[0], session_cookie(client))

    # Name holders sign up with one pack of payloads as their name and change it to the
    # next pack on the profile form. The first few finish the course, each leaving one
    # pack of payloads as an evaluation comment.
    holders, clients = [], []
    for n, first in enumerate(names):
        email = f"holder{n:03d}@example.org"
        client, user_id = register(app, first, email)
        final = names[(n + 1) % len(names)]
        rename(client, email, final)
        holders.append(Person(user_id, email, final, session_cookie(client)))
        clients.append(client)
    for n, comment in enumerate(comments):
        finish_minimal(app, clients[n], comment)

    # One learner gets a certificate with every name: change the name, an admin reissues.
    certified, client = holders[0], clients[0]
    codes = {}
    with app.app_context():
        code = db.session.scalar(
            select(Certificate.code).where(Certificate.user_id == certified.id)
        )
    codes[code] = certified.name
    for name in names:
        if name == certified.name:
            continue
        rename(client, certified.email, name)
        response = admin_client.post(f"/admin/certificates/{code}/reissue")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        code = response.location.rsplit("/", 1)[1]
        codes[code] = name
    certified.cookie = session_cookie(client)
    site = Site("", app, admin, reader, holders, certified, codes)
    assert sorted(codes.values()) == sorted(names)
    return site


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
    site = build_site(app)
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
        with app.app_context():
            db.engine.dispose()


# -- the watcher ---------------------------------------------------------------------------

# Runs in every document before its own scripts: note CSP violations as they happen.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    e.effectiveDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""

# Anything in the DOM that could run on load, click, hover or focus.
INSPECT = """
() => {
  const bad = [];
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
    "background", "poster", "lowsrc", "dynsrc", "codebase", "cite", "srcset"]);
  const same = (v) => v.startsWith("/") && !v.startsWith("//") ||
                      v.startsWith(location.origin + "/");
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    const where = tag + (el.id ? "#" + el.id : "");
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith("on")) bad.push(`${where} has ${n}`);
      if (n === "style" || n === "srcdoc") bad.push(`${where} has ${n}`);
      if (urlAttrs.has(n)) {
        // Ask the browser's own URL parser which scheme the value really has.
        let scheme = "";
        try { scheme = new URL(a.value, document.baseURI).protocol; } catch (e) {}
        if (["javascript:", "vbscript:", "livescript:"].includes(scheme) ||
            scheme === "data:" && tag !== "img") {
          bad.push(`${where} ${n}=${a.value.slice(0, 60)}`);
        }
      }
    }
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
         "math", "xmp", "plaintext", "template", "noembed", "isindex", "keygen"]
        .includes(tag)) bad.push(`<${tag}> element`);
    if (tag === "script" && !same(el.getAttribute("src") || "")) bad.push("<script> element");
    if (tag === "link" && !(el.rel === "stylesheet" && same(el.getAttribute("href") || "")))
      bad.push("<link> element");
    if (tag === "meta" && (el.httpEquiv || el.closest("body"))) bad.push("<meta> element");
    // Inline SVG is fine (the QR code, admin charts); what SVG can run or smuggle is not.
    if (["foreignobject", "animate", "set", "animatetransform", "animatemotion", "use",
         "handler", "listener"].includes(tag)) bad.push(`<${tag}> element`);
    if (tag === "form" && !same(el.getAttribute("action") || location.pathname))
      bad.push(`form action ${el.getAttribute("action")}`);
  }
  return {bad, xss: window.__xss, violations: window.__cspViolations || []};
}
"""


@dataclass
class Watch:
    """What the pages did: visits, dialogs, markers, DOM findings, CSP violations."""

    pages: int = 0
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    images_refused: int = 0
    documents_without_csp: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def attach(self, page) -> None:
        page.on("dialog", self._dialog)
        page.on("response", self._response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} on {dialog.page.url}")
        dialog.dismiss()

    def _response(self, response) -> None:
        if response.request.resource_type != "document":
            return
        if response.headers.get("content-security-policy") != CONTENT_SECURITY_POLICY:
            self.documents_without_csp.append(response.url)

    def inspect(self, page, what: str) -> None:
        """Check the page as it stands now."""
        found = page.evaluate(INSPECT)
        self.pages += 1
        self.seen.add(what)
        self.problems += [f"{what} ({page.url[:100]}): {b}" for b in found["bad"][:5]]
        if found["xss"] is not None:
            self.problems.append(f"{what} ({page.url[:100]}): window.__xss = {found['xss']}")
        for violation in found["violations"]:
            directive, blocked = (violation.split(" ") + [""])[:2]
            host = urlsplit(blocked).hostname or ""
            if directive == "img-src" and host and any(host in p for p in PAYLOADS):
                self.images_refused += 1  # a payload's external image, refused: not script
            else:
                self.problems.append(f"{what} ({page.url[:100]}): CSP refused {violation}")

    def visit(self, page, url: str, what: str, status: int | None = 200) -> None:
        """Open the address and check the page; ``status`` None accepts any but a 5xx."""
        response = page.goto(url)
        assert response is not None, url
        if status is None:
            assert response.status < 500, f"{what}: {url} answered {response.status}"
        else:
            assert response.status == status, f"{what}: {url} answered {response.status}"
        self.inspect(page, what)

    def assert_clean(self) -> None:
        """Fail now, naming the pages, if anything ran or could have."""
        assert not self.dialogs, self.dialogs[:20]
        assert not self.documents_without_csp, self.documents_without_csp[:20]
        assert not self.problems, "\n".join(self.problems[:40])


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
        checks = page.locator("section.check").count()
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
    # Sign-up refused (name too long, e-mail invalid): both come back in the form.
    watch.visit(page, f"{site.url}/auth/register", "register")
    set_value(page.get_by_label("Full name"), everything)
    set_value(page.get_by_label("E-mail address"), packs(COMMENT_LIMIT)[1])
    page.get_by_label("Create a password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    watch.inspect(page, "register sent back with errors")
    assert page.locator(".error-summary").count() == 1
    assert len(page.get_by_label("Full name").input_value()) > NAME_LIMIT

    # Sign-up accepted with a hostile name: the welcome message shows it.
    watch.visit(page, f"{site.url}/auth/register", "register")
    set_value(page.get_by_label("Full name"), packs(NAME_LIMIT)[1])
    page.get_by_label("E-mail address").fill("new-hostile@example.org")
    page.get_by_label("Create a password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
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
    # The editor of a stored hostile lesson shows its preview; each editor page re-checks
    # the whole package, so only the pages that show payloads are opened.
    page.set_default_timeout(90_000)
    watch.visit(page, f"{site.url}/author/courses/{HOSTILE}/lessons/{lesson.slug}", "author lesson")
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

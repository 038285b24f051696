"""Security headers on every response, proxies, templates and error pages.

Production keys and cookies are in test_security_production.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from course import create_app
from course.extensions import db, limiter
from course.models import Certificate, Course, Role, User
from course.security import CONTENT_SECURITY_POLICY
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt

HTTPS = "https://localhost"

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def assert_security_headers(response, what: str, *, https: bool) -> None:
    """Fail, naming the page, when a security header is missing or weak."""
    headers = response.headers
    expected = EXPECTED_CSP
    if what.startswith("GET /lti/login") and response.status_code == 400:
        # A refused LMS launch may show inside the LMS's frame; nothing else may be framed.
        expected = EXPECTED_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
    assert headers.get("Content-Security-Policy") == expected, what
    assert "unsafe-inline" not in headers["Content-Security-Policy"], what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in {
        "strict-origin-when-cross-origin",
        "same-origin",
        "no-referrer",
    }, what
    assert "camera=()" in headers.get("Permissions-Policy", ""), what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    hsts = headers.get("Strict-Transport-Security")
    if https:
        assert hsts is not None, what
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 31_536_000 and "includeSubDomains" in hsts, what
    else:
        assert hsts is None, f"{what}: HSTS over plain HTTP"


#: Files the app hands out for saving, never for the browser to render in its own origin.
DOWNLOADS = {"application/pdf", "application/zip", "text/csv", "application/ld+json"}


def assert_content_type(response, url: str) -> None:
    """Text comes with its charset; downloads come as attachments (ASVS 4.1.1, 3.2.1)."""
    if not response.content_length and not response.is_streamed:
        return
    content_type = response.headers.get("Content-Type", "")
    assert content_type, url
    if response.mimetype.startswith("text/"):
        assert "charset=" in content_type, f"{url}: {content_type}"
    download = response.mimetype in DOWNLOADS or url.endswith((".json", ".pdf", ".zip", ".csv"))
    if download and response.status_code == 200:
        disposition = response.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment"), f"{url}: {disposition!r}"


def complete_course(app: Flask, client: FlaskClient, user: User, slug: str = "minimal") -> str:
    """Take the signed-in user through the whole course; return the certificate code."""
    with app.app_context():
        sign_in(client, user)
        assert client.post(f"/courses/{slug}/enrol").status_code == 302
        finish_lessons(client, slug)
        attempt = open_attempt(client, slug)
        client.post(f"/courses/{slug}/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        client.post(f"/courses/{slug}/evaluation", data=evaluation_form(course))
    response = client.get(f"/courses/{slug}/certificate")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location.rsplit("/", 1)[1]


@pytest.fixture
def quick_package(package_copy: Path) -> Path:
    """The minimal package without its minimum reading time."""
    manifest = package_copy / "course.yaml"
    text = manifest.read_text()
    assert "min_active_minutes: 20" in text
    manifest.write_text(text.replace("min_active_minutes: 20", "min_active_minutes: 0"))
    return package_copy


@pytest.fixture
def admin_with_everything(app: Flask, client: FlaskClient, quick_package: Path):
    """A signed-in admin who finished the course, so per-user pages have something to show."""
    with app.app_context():
        course = import_course(quick_package)
        lesson = course.live_lessons[0]
        values = {
            "slug": course.slug,
            "lesson_slug": lesson.slug,
            "lesson": lesson.slug,
            "key": lesson.live_checks[0].key,
            "check_id": lesson.live_checks[0].key,
        }
        admin = make_user(role=Role.ADMIN)
    values["code"] = complete_course(app, client, admin)
    values["number"] = 1
    return client, values


# Path parameters filled when a rule needs one and the fixture has no real value.
DUMMIES = {"token": "not-a-real-token", "filename": "css/site.css"}


def fill(rule: Rule, values: dict[str, object]) -> str:
    """Build a URL for the rule from real values, a named dummy, or one per converter."""
    args = {}
    for name in rule.arguments:
        if name in values:
            args[name] = values[name]
        elif name in DUMMIES:
            args[name] = DUMMIES[name]
        else:
            number = isinstance(rule._converters[name], NumberConverter)
            args[name] = 1 if number else "x"
    return rule.build(args)[1]


def get_rules(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


#: The routes whose answers any site may read: the same public document for everyone.
CROSS_ORIGIN_READS = {
    "/.well-known/did.json",
    "/did.json",
    "/credentials/status/<int:number>",
    "/credentials/badges/<slug>.svg",
    "/xapi/extensions/<name>",
}


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_get_route_sends_the_security_headers(app, admin_with_everything, scheme):
    client, values = admin_with_everything
    https = scheme == "https"
    base = HTTPS if https else "http://localhost"
    crawled, failed, shared = {}, [], set()
    for rule in get_rules(app):
        url = fill(rule, values)
        response = client.get(url, base_url=base)
        assert_security_headers(response, f"GET {url} ({response.status_code})", https=https)
        crawled[rule.rule] = response.status_code
        if "Access-Control-Allow-Origin" in response.headers:
            shared.add(rule.rule)
            assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response.headers, url
        if response.status_code >= 500:
            failed.append(url)
        assert_content_type(response, url)
        response.close()  # a streamed download must be closed, read or not
    assert not failed, f"server errors (see the log) on {failed}"
    # Only public documents that other sites' verifiers read are shared across origins,
    # never with the visitor's cookies (ASVS 3.4.2).
    assert shared and shared <= CROSS_ORIGIN_READS, shared
    assert len(crawled) >= 20
    # Most pages rendered for real, so the headers were checked on real content.
    assert sum(status == 200 for status in crawled.values()) >= 15, crawled
    assert crawled["/me/certificates/<code>"] == 200
    assert crawled["/static/<path:filename>"] == 200


def test_signed_in_pages_are_never_cached_and_public_ones_may_be(app, admin_with_everything):
    client, values = admin_with_everything
    for url in ("/me", f"/courses/{values['slug']}", f"/me/certificates/{values['code']}"):
        assert "no-store" in client.get(url).headers["Cache-Control"], url
    with client.get("/static/css/site.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
    anonymous = app.test_client().get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")


def _boom():
    raise RuntimeError("secret internals: config/settings.py line 12")


@pytest.fixture
def app_with_a_bug(tmp_path: Path) -> Iterator[Flask]:
    """The app with one extra route that fails, and exceptions not propagated."""
    app = create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bug.db'}",
            "CONTENT_DIR": str(tmp_path / "content"),
        }
    )
    app.add_url_rule("/boom", "boom", _boom)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_server_error_is_a_friendly_page_without_a_traceback(app_with_a_bug, caplog):
    response = app_with_a_bug.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in page
    assert "Traceback" not in page and "secret internals" not in page
    assert "settings.py" not in page
    assert_security_headers(response, "500 page", https=False)
    # The details go to the log, where an operator can find them.
    assert "secret internals" in caplog.text


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_error_pages_redirects_and_static_files_carry_the_headers(app_with_a_bug, scheme):
    https = scheme == "https"
    base = HTTPS if https else "http://localhost"
    client = app_with_a_bug.test_client()
    cases = {
        "/no-such-page": 404,
        "/courses/no-such-course": 404,
        "/me/certificates/NOPE-NOPE": 302,  # sign in first
        "/verify/AAAA-AAAA-AAAA-AAAA-A": 404,
        "/auth/stay-signed-in": 405,  # the page's script posts it
        "/boom": 500,
        "/static/css/site.css": 200,
        "/static/js/lesson.js": 200,
        "/static/no-such-file.css": 404,
    }
    for path, status in cases.items():
        with client.get(path, base_url=base) as response:
            assert response.status_code == status, path
            assert_security_headers(response, f"GET {path}", https=https)
    posted = client.post("/verify/credential", base_url=base, data={})
    assert posted.status_code == 400
    assert_security_headers(posted, "POST /verify/credential", https=https)


def test_csrf_failures_too_large_bodies_and_rate_limits_carry_the_headers(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": True,
            "VERIFY_RATE_LIMIT": "2 per minute",
            "MAX_CONTENT_LENGTH": 1024,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
        }
    )
    with app.app_context():
        db.create_all()
        limiter.reset()
    client = app.test_client()
    csrf = client.post("/auth/login", data={"email": "a@example.org", "password": "x"})
    assert csrf.status_code == 400 and "for your safety" in csrf.get_data(as_text=True)
    assert_security_headers(csrf, "CSRF failure", https=False)
    big = client.post("/auth/login", data={"email": "a" * 5000})
    assert big.status_code == 413
    assert_security_headers(big, "413", https=False)
    statuses = [client.get("/verify/AAAA-AAAA-AAAA-AAAA-A") for _ in range(3)]
    assert statuses[-1].status_code == 429
    assert_security_headers(statuses[-1], "429", https=False)
    with app.app_context():
        db.engine.dispose()


def test_a_view_may_be_stricter_than_the_defaults(client):
    response = client.get("/auth/reset/not-a-real-token")
    assert response.status_code == 400
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token is in the URL
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_policy_is_exactly_the_one_documented():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


# --- templates ---------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "course" / "templates"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    """The policy blocks inline scripts and styles, so no template may rely on them."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_the_certificate_qr_code_is_inline_svg_without_style(app, admin_with_everything):
    client, values = admin_with_everything
    page = client.get(f"/me/certificates/{values['code']}").get_data(as_text=True)
    svg = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert svg is not None
    assert "style" not in svg.group(0) and "<script" not in svg.group(0)


# --- proxies and HTTPS -------------------------------------------------------------------


def _proxied_app(tmp_path: Path, hops: int) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "TRUST_PROXY": hops,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.db'}",
        }
    )


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_forwarded_headers_are_ignored_unless_a_proxy_is_trusted(tmp_path):
    app = _proxied_app(tmp_path, 0)
    seen = []
    app.before_request(lambda: seen.append(request.remote_addr))
    with app.test_client().get("/static/css/site.css", headers=FORWARDED) as response:
        assert "Strict-Transport-Security" not in response.headers
    assert seen == ["127.0.0.1"]


def test_a_trusted_proxy_restores_the_scheme_and_the_client_address(tmp_path):
    app = _proxied_app(tmp_path, 1)
    seen = []
    app.before_request(lambda: seen.append(request.remote_addr))
    with app.test_client().get("/static/css/site.css", headers=FORWARDED) as response:
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert seen == ["203.0.113.9"]  # rate limits count the real client


@pytest.mark.parametrize(
    ("value", "hops"), [("", 0), ("0", 0), ("no", 0), ("yes", 1), ("true", 1), ("2", 2)]
)
def test_trust_proxy_reads_a_count_or_yes_no(monkeypatch, value, hops):
    from course.config import _proxies

    monkeypatch.setenv("TRUST_PROXY", value)
    assert _proxies("TRUST_PROXY") == hops


def test_uploads_larger_than_the_limit_get_a_friendly_413(app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = app.test_client().post(
        "/verify/credential",
        data={"credential": (io.BytesIO(b"{" + b" " * 100_000 + b"}"), "big.json")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the limit is 64 KB" in page and "nothing was saved" in page
    assert "Traceback" not in page
    with app.app_context():
        assert db.session.scalar(select(Certificate)) is None

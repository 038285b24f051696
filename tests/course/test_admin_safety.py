"""Hostile names and comments never come out executable on admin pages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from course.extensions import db
from course.models import Role, User
from tests.course.factories import sign_in
from tests.course.test_admin_dataset import COMMENTS, NAMES, build_dataset


class _Executable(HTMLParser):
    """Collect anything a browser would run: script elements, on* handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.found.append("<script>")  # the app's own files are fine; anything else is not
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower(
            ).startswith(("javascript:", "data:")):
                self.found.append(f"<{tag} {name}={value}>")

    handle_startendtag = handle_starttag


def _executable(html: str) -> list[str]:
    parser = _Executable()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture
def data(app, minimal_package_dir):
    with app.app_context():
        data = build_dataset(minimal_package_dir)
        # The learner named <script>... becomes an admin and acts, so the audit log shows
        # the name as an actor too.
        db.session.get(User, data.learners["d"].id).role = Role.ADMIN
        db.session.commit()
    hostile_admin = sign_in(app.test_client(), data.learners["d"])
    hostile_admin.post(
        f"/admin/learners/{data.learners['c'].id}/deactivate",
        data={"reason": "<img src=x onerror=alert(9)> reason"},
    )
    return data


def test_hostile_text_is_shown_escaped_and_never_runs(app, data):
    client = sign_in(app.test_client(), data.admin)
    pages = [
        "/admin/",
        "/admin/learners",
        "/admin/learners?q=%3Cscript%3E",
        "/admin/courses/minimal/report",
        "/admin/audit",
        "/admin/audit?actor=%3Cscript%3E",
        "/admin/certificates",
        f"/admin/certificates/{data.certificate_code}",
        "/admin/corrections?status=all",
        *(f"/admin/learners/{user.id}" for user in data.learners.values()),
    ]
    shown = ""
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert _executable(html) == [], url
        shown += html
    # The payloads were rendered (as text), not dropped.
    assert "&lt;script&gt;alert(&#34;d&#34;)&lt;/script&gt;" in shown
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "&lt;script&gt;alert(&#34;comment&#34;)&lt;/script&gt;" in shown
    assert "&lt;svg onload=alert(2)&gt;" in shown
    assert "&lt;img src=x onerror=alert(9)&gt; reason" in shown  # the audit log's reason
    assert NAMES["a"].replace('"', "&#34;") in shown
    assert COMMENTS["a"] not in shown and NAMES["d"] not in shown


def test_the_parser_would_catch_a_payload():
    assert _executable('<p><img src=x onerror="alert(1)"></p>') == ["<img onerror>"]
    assert _executable("<script>alert(1)</script>") == ["<script>"]
    assert _executable('<a href=" JavaScript:alert(1)">x</a>') == [
        '<a href= JavaScript:alert(1)>'
    ]

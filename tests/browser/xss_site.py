"""The hostile site for the XSS run: payloads placed in a course package and in accounts.

``build_site`` fills a fresh app with every payload in tests/data/xss_payloads.py: a
course package whose every text field carries them, learners whose names and comments
do, certificates printed with those names, and an admin and an author to view them.
test_browser_xss.py then opens each page in chromium.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Certificate, Course, Role, User
from course.names import NameRefused, clean_name, normalise_name
from tests.course.factories import register_by_mail
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt
from tests.data.xss_payloads import PAYLOADS
from tests.smtp_sink import Inbox

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


def packs(limit: int, *, names: bool = False) -> list[str]:
    """Join payloads with spaces into values of at most ``limit`` characters.

    Payloads holding a NUL are left out: every form refuses NUL before storing anything
    (tests/course/test_bad_input.py checks that refusal). For ``names``, so are those a
    name refuses (control characters: tests/course/test_names.py), and each value is
    written as names are stored (NFC, single spaces).
    """
    found, current = [], ""
    for text in PAYLOADS:
        if "\x00" in text or len(text) > limit or (names and _refused_as_name(text)):
            continue
        if current and len(current) + 1 + len(text) > limit:
            found.append(current)
            current = text
        else:
            current = f"{current} {text}" if current else text
    packed = [*found, current]
    return [normalise_name(value) for value in packed] if names else packed


def _refused_as_name(text: str) -> bool:
    try:
        clean_name(text)
    except NameRefused:
        return True
    return False


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
    manifest["post_test"]["retake_wait_minutes"] = 0  # the reader fails, then opens attempt 2
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
    inbox: Inbox  # what the app emails (sign-up links)
    codes: dict[str, str] = field(default_factory=dict)  # certificate code -> name on it


def setup_client(app: Flask) -> FlaskClient:
    """A test client that looks like the browser (same user agent, same address)."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    return client


def register(app: Flask, inbox: Inbox, name: str, email: str) -> tuple[FlaskClient, int]:
    """Create an account through the sign-up form and its link; return the signed-in client."""
    client = setup_client(app)
    data = {"full_name": name, "email": email, "password": PASSWORD}
    response = register_by_mail(client, inbox, data)
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


def build_site(app: Flask, inbox: Inbox) -> Site:
    """Put every payload into the app through its forms (CSRF is off until serving)."""
    admin_client, admin_id = register(app, inbox, "Site Admin", "admin@example.org")
    with app.app_context():
        db.session.get(User, admin_id).role = Role.ADMIN
        db.session.commit()
    admin = Person(admin_id, "admin@example.org", "Site Admin", session_cookie(admin_client))

    # A learner who reads the hostile course: attempt 1 failed (its review shows every
    # explanation), attempt 2 open (the post-test page shows every prompt).
    names, comments = packs(NAME_LIMIT, names=True), packs(COMMENT_LIMIT)
    client, reader_id = register(app, inbox, names[0], "reader@example.org")
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
        client, user_id = register(app, inbox, first, email)
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
        # The reason is hostile too: the audit log shows it.
        response = admin_client.post(
            f"/admin/certificates/{code}/reissue", data={"reissue-reason": name}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        code = response.location.rsplit("/", 1)[1]
        codes[code] = name
    certified.cookie = session_cookie(client)
    site = Site("", app, admin, reader, holders, certified, inbox, codes)
    assert sorted(codes.values()) == sorted(names)
    return site

"""Helpers for the author-area tests: read a page's forms and submit them like a browser."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.auth.sessions import REMEMBERED, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from tests.course.factories import csrf_token_in

BASE = "/author/courses/minimal"
LESSON = f"{BASE}/lessons/push-pull"


class FormReader(HTMLParser):
    """The fields a browser would submit for each form of a page (no button pressed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file") and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append([a["name"], a.get("value", "on")])
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["fields"].append([a["name"], ""])
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._form["fields"].append([self._select, a.get("value", "")])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._form is not None:
            self._form["fields"][-1][1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            # Browsers drop the one newline that follows <textarea>.
            field = self._form["fields"][-1]
            field[1] = field[1][2:] if field[1].startswith("\r\n") else field[1].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def page_form(html: str, contains: str) -> dict[str, list[str]]:
    """The fields of the first form on the page that has a field named ``contains``."""
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        if any(name == contains for name, _ in form["fields"]):
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no form with a field {contains!r}")


def submit(client: FlaskClient, url: str, action: str, **changes: object):
    """Open url, fill its form like a browser (changes override fields), press ``action``."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data: dict[str, object] = page_form(page.get_data(as_text=True), "base_revision")
    data.update(changes)
    data["action"] = action
    return client.post(url, data=data)


def post_publish(client: FlaskClient, url: str, data: dict[str, str]):
    """Press Publish as its page shows it: ``data`` (the note) and the revision shown."""
    page = client.get(url).get_data(as_text=True)
    shown = re.search(r'name="revision"[^>]*value="(\d+)"', page)
    return client.post(url, data={**data, **({"revision": shown[1]} if shown else {})})


def lesson_text(client: FlaskClient, url: str = LESSON) -> str:
    """The lesson text box's content as the editor shows it."""
    return page_form(client.get(url).get_data(as_text=True), "body")["body"][0]


def flashes(client: FlaskClient, response) -> str:
    """The page a redirect leads to (with its flash messages)."""
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return client.get(response.location).get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def sign_in_reviewer(app, client: FlaskClient, slug: str = "minimal") -> FlaskClient:
    """Sign the client in as a new reviewer of the course, who edited nothing."""
    from course.models import Role
    from tests.course.factories import join_team, make_user, sign_in

    with app.app_context():
        reviewer = join_team(slug, make_user(Role.AUTHOR, full_name="Riley Reviewer"), "reviewer")
    return sign_in(client, reviewer)


def store_draft(app, files: dict[str, str], slug: str = "minimal") -> None:
    """Save files as the draft's next revision, as the editors may (errors and all): an
    upload refuses a package that adds errors, but a draft can hold them."""
    from course.author.services import Editor, commit_files, find_workspace, lock_draft
    from course.models import Role, User

    with app.app_context():
        editor = Editor(db.session.scalar(select(User).where(User.role == Role.AUTHOR)))
        commit_files(lock_draft(find_workspace(slug), editor), editor, files,
                     file=None, summary="Edited", action="save")
        db.session.commit()


def form_of_a_page_open_with_idle_limit(client: FlaskClient, url: str, field: str
                                        ) -> dict[str, list[str]]:
    """The form of ``url`` that has ``field``, as a browser signed in with a password (so
    with the idle limit on) sends it, its CSRF token included."""
    g.pop("csrf_token", None)
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
        session[REMEMBERED] = False
    page = client.get(url).get_data(as_text=True)
    data = page_form(page, field)
    data["csrf_token"] = [csrf_token_in(page)]
    return data


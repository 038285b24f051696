"""An author's edit sent after an idle sign-out, or from a page open overnight, is kept."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from course.auth.sessions import REMEMBERED, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from course.models import AuditEvent, CourseDraft, Role
from tests.course.author_kit import BASE, LESSON, form_of_a_page_open_with_idle_limit
from tests.course.factories import make_user, sign_in


def _editor_form(client, url: str) -> dict[str, list[str]]:
    return form_of_a_page_open_with_idle_limit(client, url, "base_revision")


def _step_away(client) -> None:
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 24 * 3600


def test_a_lesson_saved_after_an_idle_sign_out_is_kept_as_a_revision(app, author_client):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        data = _editor_form(author_client, LESSON)
        data["body"] = [data["body"][0] + "\nA paragraph written over a long hour.\n"]
        data["action"] = ["save"]
        _step_away(author_client)
        response = author_client.post(LESSON, data=data)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
        page = author_client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed out after a period without activity" in page
        assert "saved as revision 2" in page
        draft = db.session.scalar(select(CourseDraft))
        assert "A paragraph written over a long hour." in draft.files["01-push-pull.md"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draft.saved"))
        assert event.detail["revision"] == 2 and event.ip_address == "127.0.0.1"


def test_a_check_sent_from_a_page_open_overnight_is_kept(app, author_client):
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    url = f"{LESSON}/checks/push-pull-1"
    with app.app_context():
        data = _editor_form(author_client, url)
        data["prompt"] = ["A prompt revised the next morning"]
        data["action"] = ["save"]
        time.sleep(2)
        response = author_client.post(url, data=data, headers={"Referer": f"http://localhost{url}"})
        assert response.status_code == 303
        page = author_client.get(response.headers["Location"]).get_data(as_text=True)
        assert "saved as revision 2" in page
        draft = db.session.scalar(select(CourseDraft))
        assert "A prompt revised the next morning" in draft.files["01-push-pull.md"]


def test_a_new_check_kept_through_the_sign_out_says_where_it_went(app, author_client):
    # After the sign-in the "new check" page opens empty again: the message must say the
    # check was added, and under which id, or the author would write it a second time.
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"{LESSON}/new-check"
    with app.app_context():
        data = _editor_form(author_client, url)
        data.update(
            prompt=["Which of these is a push factor?"],
            **{"choices-0-text": ["Conflict at home"], "choices-0-correct": ["y"]},
            **{"choices-1-text": ["A friend's invitation"]},
            action=["save"],
        )
        _step_away(author_client)
        response = author_client.post(url, data=data, headers={"Referer": f"http://localhost{url}"})
        assert response.status_code == 302
        # After the sign-in the author comes back to the check itself, not an empty form.
        back_to = parse_qs(urlsplit(response.headers["Location"]).query)["next"]
        assert back_to == [f"{LESSON}/checks/push-pull-3"]
        page = author_client.get(response.headers["Location"]).get_data(as_text=True)
        assert (
            "saved as revision 2 of the draft, as the new knowledge check push-pull-3: "
            "the lesson&#39;s page lists it." in page
        )
        draft = db.session.scalar(select(CourseDraft))
        assert "id: push-pull-3" in draft.files["01-push-pull.md"]


class _Dialog(HTMLParser):
    """The time-out dialog's buttons and links, and the ids of the page's forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, str]] = {}
        self.controls: list[tuple[dict[str, str], str]] = []
        self.ids: dict[str, str] = {}
        self.notes: tuple[str, str] = ("", "")
        self._in_dialog = False
        self._open: tuple[dict[str, str], str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "id" in a:
            self.forms[a["id"]] = a
        if tag == "dialog" and a.get("id") == "session-warning":
            self._in_dialog = True
            self.notes = (a["data-warning-note"], a["data-signed-out-note"])
        if self._in_dialog and tag in ("button", "a", "p"):
            self._open = (a | {"tag": tag}, "")
        if self._in_dialog and "id" in a:
            self.ids[a["id"]] = ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open = (self._open[0], self._open[1] + data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]["tag"]:
            attrs, text = self._open
            self.controls.append((attrs, " ".join(text.split())))
            if "id" in attrs:
                self.ids[attrs["id"]] = " ".join(text.split())
            self._open = None
        if tag == "dialog":
            self._in_dialog = False


def _dialog(client, url: str) -> _Dialog:
    with client.session_transaction() as session:  # signed in with a password, idle limit on
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
        session[REMEMBERED] = False
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = _Dialog()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _signed_out_choices(dialog: _Dialog) -> list[str]:
    return [text for attrs, text in dialog.controls if "data-signed-out" in attrs]


EDITORS = [
    LESSON,
    f"{LESSON}/checks/push-pull-1",
    f"{LESSON}/new-check",
    f"{BASE}/post-test/questions/pt-lo1-1",
    f"{BASE}/post-test/new-question",
    f"{BASE}/evaluation",
    f"{BASE}/settings",
]


@pytest.mark.parametrize("url", EDITORS)
def test_after_a_sign_out_an_editor_offers_to_save_the_text_first(app, author_client, url):
    dialog = _dialog(author_client, url)
    # Once signed out: save first (focused, being first), or sign in and lose the text.
    assert _signed_out_choices(dialog) == [
        "Save my text and sign in",
        "Sign in again",
        "Sign in again without saving, and the text you typed since your last save is lost.",
    ]
    save, sign_in, _ = (attrs for attrs, _text in dialog.controls if "data-signed-out" in attrs)
    # The button sends the page's own editor form through Save, not a copy of it.
    assert save["tag"] == "button" and save["type"] == "submit"
    assert (save["name"], save["value"]) == ("action", "save")
    assert "formnovalidate" in save  # the server says what is wrong; the browser must not stop it
    editor = dialog.forms[save["form"]]
    # Save posts to this page (the lesson's form names it, so no #anchor rides along).
    assert editor["method"] == "post" and editor.get("action", url) == url
    # The secondary choice says, to a screen reader too, that it loses the text.
    assert sign_in["href"].startswith("/auth/login?next=")
    assert "lost" in dialog.ids[sign_in["aria-describedby"]]
    assert "usa-button--outline" in sign_in["class"]
    assert dialog.notes == (
        "Text you have not saved yet stays on this page.",
        "Your text is still on this page. “Save my text and sign in” keeps it in the draft, "
        "then you sign in and come back here.",
    )


@pytest.mark.parametrize("url", ["/author/", f"{BASE}/", f"{BASE}/post-test", f"{BASE}/history"])
def test_author_pages_without_an_editor_keep_the_plain_sign_in(app, author_client, url):
    dialog = _dialog(author_client, url)
    assert _signed_out_choices(dialog) == ["Sign in again"]
    assert not dialog.forms.get("editor-form")
    # A new lesson's title or a history note sent after the sign-out is not kept.
    assert dialog.notes == (
        "Anything typed on this page and not yet sent would be lost.",
        "Anything typed on this page and not sent was not kept: copy it before you sign in again.",
    )


def test_the_review_page_leads_back_to_its_buttons_after_a_sign_out(app, author_client):
    # Its forms are kept after the sign-out (a comment is added, a Publish note comes back
    # in its box): "copy it before you sign in again" would send the author away from them.
    dialog = _dialog(author_client, f"{BASE}/publish")
    assert _signed_out_choices(dialog) == ["Back to the page", "Sign in again"]
    back = next(attrs for attrs, text in dialog.controls if text == "Back to the page")
    assert back["tag"] == "button" and "form" not in back  # closes the dialog, sends nothing
    assert dialog.notes == (
        "Text you have not sent yet stays on this page.",
        "Your text is still on this page. Go back to it and press its button: a comment or "
        "review request is then made for you, and a Publish note waits in its box after you "
        "sign in (nothing is published until you press Publish again).",
    )


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ADMIN])
def test_learners_and_admins_keep_the_plain_sign_in(app, client, role):
    with app.app_context():
        sign_in(client, make_user(role=role))
    page = "/me" if role == Role.LEARNER else "/admin/"
    assert _signed_out_choices(_dialog(client, page)) == ["Sign in again"]

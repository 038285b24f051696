"""An author's edit sent after an idle sign-out, or from a page open overnight, is kept."""

from __future__ import annotations

import time

from flask import g
from sqlalchemy import select

from course.auth.sessions import REMEMBERED, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from course.models import AuditEvent, CourseDraft
from tests.course.author_kit import LESSON, page_form
from tests.course.factories import csrf_token_in


def _editor_form(client, url: str) -> dict[str, list[str]]:
    g.pop("csrf_token", None)
    with client.session_transaction() as session:  # signed in with a password, idle limit on
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
        session[REMEMBERED] = False
    page = client.get(url).get_data(as_text=True)
    data = page_form(page, "base_revision")
    data["csrf_token"] = [csrf_token_in(page)]
    return data


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

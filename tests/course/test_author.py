"""The author area: drafts, the lesson editor, forms, revisions and publishing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import (
    AuditEvent,
    CheckResponse,
    Course,
    CourseDraft,
    CourseVersion,
    DraftRevision,
    Lesson,
    LessonProgress,
    Question,
    Role,
)
from lessons import editing
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import correct_keys

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


def lesson_text(client: FlaskClient, url: str = LESSON) -> str:
    """The lesson text box's content as the editor shows it."""
    return page_form(client.get(url).get_data(as_text=True), "body")["body"][0]


def flashes(client: FlaskClient, response) -> str:
    """The page a redirect leads to (with its flash messages)."""
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return client.get(response.location).get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def course_slug(app: Flask, minimal_package_dir) -> str:
    with app.app_context():
        return import_course(minimal_package_dir).slug


@pytest.fixture
def author(app: Flask, course_slug):
    with app.app_context():
        return make_user(Role.AUTHOR, full_name="Avery Author")


@pytest.fixture
def author_client(client: FlaskClient, author) -> FlaskClient:
    return sign_in(client, author)


# -- access ----------------------------------------------------------------------------


def _author_urls(app: Flask) -> list[tuple[str, str]]:
    values = {"slug": "minimal", "lesson": "push-pull", "check_id": "push-pull-1",
              "qid": "pt-lo1-1", "number": 1}  # fmt: skip
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("author."):
            path = rule.rule
            for key, value in values.items():
                path = path.replace(f"<{key}>", str(value)).replace(f"<int:{key}>", str(value))
            method = "GET" if "GET" in rule.methods else "POST"
            urls.append((method, path))
    return urls


def test_every_author_page_refuses_anonymous_visitors_and_learners(app, client, course_slug):
    urls = _author_urls(app)
    assert len(urls) >= 20
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/auth/login" in response.location, url
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    for method, url in urls:
        assert client.open(url, method=method).status_code == 403, url
    assert "/author/" not in client.get("/me").get_data(as_text=True)


def test_authors_and_admins_open_every_author_page(app, client, course_slug):
    with app.app_context():
        author, admin = make_user(Role.AUTHOR), make_user(Role.ADMIN)
    for user in (author, admin):
        sign_in(client, user)
        for method, url in _author_urls(app):
            if method == "GET":
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
        nav = client.get("/me").get_data(as_text=True)
        assert 'href="/author/"' in nav
    with app.app_context():
        # Looking is free: opening editors starts no draft.
        assert count(CourseDraft) == 0


# -- the lesson editor -----------------------------------------------------------------


def test_preview_renders_unsaved_text_with_findings_and_saves_nothing(app, author_client):
    text = lesson_text(author_client)
    assert "[check: push-pull-1]" in text and "```check" not in text
    edited = text.replace("Youth leave placement", "A runner may leave placement", 1)
    response = submit(author_client, LESSON, "preview", body=edited)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview (not saved yet)" in page
    assert "A runner may leave placement" in page
    # The language lint points at line 1 of the text box, as the author sees it.
    assert re.search(r"line 1 of the text</span>:\s*stigmatizing language", page)
    # The check is rendered by the learner's own template, its answers disabled.
    assert 'id="check-push-pull-1"' in page and "Knowledge check 1" in page
    assert '<fieldset class="preview-check" disabled>' in page
    with app.app_context():
        assert count(CourseDraft) == 0 and count(DraftRevision) == 0


def test_saving_a_lesson_is_a_revision_learners_do_not_see(app, author_client, author):
    edited = lesson_text(author_client).replace("Youth leave placement", "Young people leave", 1)
    page = flashes(author_client, submit(author_client, LESSON, "save", body=edited))
    assert "Saved as revision 2." in page
    assert "Young people leave" in lesson_text(author_client)
    with app.app_context():
        draft = db.session.scalar(select(CourseDraft))
        revisions = draft.revisions
        assert [(r.number, r.action, r.file) for r in revisions] == [
            (1, "start", None),
            (2, "save", "01-push-pull.md"),
        ]
        assert revisions[1].author_id == author.id
        assert "Young people leave" in revisions[1].files["01-push-pull.md"]
        assert "Young people leave" not in revisions[0].files["01-push-pull.md"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draft.saved"))
        assert event.actor_id == author.id and event.detail["file"] == "01-push-pull.md"
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        assert "Young people leave" not in lesson.markdown
    again = flashes(author_client, submit(author_client, LESSON, "save"))
    assert "Nothing changed, so nothing was saved." in again


def test_deleting_a_check_line_removes_the_check_and_says_so(app, author_client):
    text = lesson_text(author_client).replace("[check: push-pull-1]\n", "")
    page = flashes(author_client, submit(author_client, LESSON, "save", body=text))
    assert "Knowledge check push-pull-1 was removed" in page
    with app.app_context():
        files = db.session.scalar(select(CourseDraft)).files
        assert "push-pull-1" not in files["01-push-pull.md"]
        assert "id: push-pull-2" in files["01-push-pull.md"]


def test_a_stale_editor_cannot_overwrite_a_newer_save(app, author_client):
    stale = page_form(author_client.get(LESSON).get_data(as_text=True), "body")
    submit(author_client, LESSON, "save", body="First save.\n")
    stale.update(body="Second, stale save.\n", action="save")
    response = author_client.post(LESSON, data=stale)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Someone saved this part of the course after you opened it" in page
    assert "Second, stale save." in page  # the author's text is still in the form
    assert lesson_text(author_client).startswith("First save.")


# -- knowledge checks and the post-test as forms ----------------------------------------


def test_a_check_is_edited_as_fields_with_choices_added_and_removed(app, author_client):
    url = f"{LESSON}/checks/push-pull-1"
    page = submit(author_client, url, "add:choices").get_data(as_text=True)
    assert 'name="choices-2-text"' in page
    data = page_form(page, "base_revision")
    data.update(
        {
            "choices-2-text": "A third choice",
            "choices-2-why": "Because.",
            "prompt": "Which one *pulls*?",
            "action": "remove:choices:0",
        }
    )
    page = author_client.post(url, data=data).get_data(as_text=True)
    data = page_form(page, "base_revision")
    assert data["choices-0-text"] == ["Conflict with a foster parent"]
    assert data["choices-1-text"] == ["A third choice"]
    data["choices-1-correct"] = ["y"]
    data["action"] = "save"
    flashes(author_client, author_client.post(url, data=data))
    with app.app_context():
        text = db.session.scalar(select(CourseDraft)).files["01-push-pull.md"]
    check = editing.split_lesson(text).check("push-pull-1").data
    assert check["prompt"] == "Which one *pulls*?"
    assert [(c["text"], c.get("correct")) for c in check["choices"]] == [
        ("Conflict with a foster parent", None),
        ("A third choice", "true"),
    ]


def test_a_broken_check_is_saved_and_its_findings_shown(author_client):
    url = f"{LESSON}/checks/push-pull-1"
    response = submit(author_client, url, "save", **{"choices-0-correct": []})
    page = flashes(author_client, response)
    assert "Saved as revision 2." in page
    assert "no choice is marked `correct: true`" in page
    lesson_page = author_client.get(LESSON).get_data(as_text=True)
    assert "knowledge check push-pull-1 (line 11 of the text)" in lesson_page


def test_a_new_check_goes_to_the_end_of_the_lesson(app, author_client):
    url = f"{LESSON}/new-check"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    assert data["id"] == ["push-pull-3"]
    data.update(
        {
            "prompt": "True or false: youth run for reasons.",
            "type": "true_false",
            "choices-0-text": "True",
            "choices-0-correct": "y",
            "choices-0-why": "Yes.",
            "choices-1-text": "False",
            "choices-1-why": "They do.",
            "action": "save",
        }
    )
    response = author_client.post(url, data=data)
    assert response.location.endswith(f"{LESSON}/checks/push-pull-3")
    assert lesson_text(author_client).rstrip().endswith("[check: push-pull-3]")
    data["id"], data["action"] = "pt-lo1-1", "save"
    taken = author_client.post(url, data=data)
    assert taken.status_code == 422
    assert "The id pt-lo1-1 is already used by a question in post-test.yaml" in taken.get_data(
        as_text=True
    )


def test_post_test_questions_are_added_edited_and_removed(app, author_client):
    url = f"{BASE}/post-test/new-question"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update(
        {
            "id": "pt-new-1",
            "objective": "LO3",
            "prompt": "Which helps on return?",
            "choices-0-text": "Listening",
            "choices-0-correct": "y",
            "choices-1-text": "Blaming",
            "explanation": "Listening builds trust.",
            "action": "save",
        }
    )
    flashes(author_client, author_client.post(url, data=data))
    page = author_client.get(f"{BASE}/post-test").get_data(as_text=True)
    assert "pt-new-1" in page
    edit = f"{BASE}/post-test/questions/pt-new-1"
    flashes(author_client, submit(author_client, edit, "save", prompt="Which helps most?"))
    with app.app_context():
        bank = editing.read_yaml(db.session.scalar(select(CourseDraft)).files["post-test.yaml"])
    added = bank["questions"][-1]
    assert (added["id"], added["objective"], added["prompt"]) == (
        "pt-new-1",
        "LO3",
        "Which helps most?",
    )
    assert added["explanation"] == "Listening builds trust."
    flashes(author_client, author_client.post(f"{edit}/remove"))
    assert "pt-new-1" not in author_client.get(f"{BASE}/post-test").get_data(as_text=True)


def test_the_evaluation_is_edited_as_fields(app, author_client):
    url = f"{BASE}/evaluation"
    page = submit(author_client, url, "add:items").get_data(as_text=True)
    data = page_form(page, "base_revision")
    last = max(int(m) for m in re.findall(r"items-(\d+)-id", page))
    data.update(
        {
            f"items-{last}-id": "pace",
            f"items-{last}-type": "choice",
            f"items-{last}-prompt": "The pace was",
            f"items-{last}-choices": "Slow\nRight\nFast",
            "action": "remove:items:0",
        }
    )
    page = author_client.post(url, data=data).get_data(as_text=True)
    data = page_form(page, "base_revision")
    data["action"] = "save"
    flashes(author_client, author_client.post(url, data=data))
    with app.app_context():
        items = editing.read_yaml(db.session.scalar(select(CourseDraft)).files["evaluation.yaml"])
    ids = [i["id"] for i in items["items"]]
    assert ids[0] == "eval-lo2" and ids[-1] == "pace"
    assert items["items"][-1]["choices"] == ["Slow", "Right", "Fast"]
    # Without an item for LO1, the checker now reports the CE rule on this page.
    assert "LO1" in author_client.get(url).get_data(as_text=True)


def test_course_settings_are_saved_as_course_yaml(app, author_client):
    url = f"{BASE}/settings"
    page = submit(author_client, url, "add:objectives").get_data(as_text=True)
    data = page_form(page, "base_revision")
    data.update(
        {
            "objectives-3-id": "LO4",
            "objectives-3-text": "Plan a safe return.",
            "passing_score": "70",
            "contact_hours": "1.5",
            "has_approval": [],
            "advisory": "Take breaks.\nYour progress is saved.",
            "action": "save",
        }
    )
    page = flashes(author_client, author_client.post(url, data=data))
    assert "passing_score must be at least 80 (is 70)" in page
    with app.app_context():
        manifest = editing.read_yaml(db.session.scalar(select(CourseDraft)).files["course.yaml"])
    assert manifest["slug"] == "minimal"
    assert manifest["objectives"][-1] == {"id": "LO4", "text": "Plan a safe return."}
    assert manifest["passing_score"] == "70" and manifest["contact_hours"] == "1.5"
    assert "approval" not in manifest["provider"]
    assert manifest["advisory"] == "Take breaks.\nYour progress is saved.\n"
    assert manifest["sequential"] == "true"


# -- lessons: add, reorder, archive ------------------------------------------------------


def test_lessons_are_added_reordered_and_archived(app, author_client):
    response = author_client.post(
        f"{BASE}/lessons", data={"title": "Safety planning", "slug": "safety-planning"}
    )
    assert response.location.endswith(f"{BASE}/lessons/safety-planning")
    author_client.post(f"{BASE}/lessons/safety-planning/move", data={"direction": "up"})
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    with app.app_context():
        files = db.session.scalar(select(CourseDraft)).files
    assert editing.lesson_names(files) == ["01-safety-planning.md", "02-returning.md"]
    taken = author_client.post(f"{BASE}/lessons", data={"title": "Again", "slug": "returning"})
    assert "already has a lesson" in flashes(author_client, taken)


# -- revisions ---------------------------------------------------------------------------


def test_revisions_compare_escaped_and_restore_as_a_new_revision(app, author_client, author):
    original = lesson_text(author_client)
    submit(author_client, LESSON, "save", body="<script>alert(1)</script> First.\n")
    submit(author_client, LESSON, "save", body="Second.\n")
    diff = author_client.get(f"{BASE}/history/compare?old=1&new=2").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; First." in diff
    assert "<script>alert(1)" not in diff
    page = flashes(author_client, author_client.post(f"{BASE}/history/2/restore"))
    assert "Restored revision 2 as revision 4." in page
    assert lesson_text(author_client).startswith("<script>alert(1)</script> First.")
    flashes(author_client, author_client.post(f"{BASE}/history/1/restore"))
    assert lesson_text(author_client) == original
    with app.app_context():
        restored = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "draft.restored").order_by(AuditEvent.id)
        ).all()
        assert [e.detail["revision"] for e in restored] == [4, 5]
        assert all(e.actor_id == author.id for e in restored)
    assert author_client.post(f"{BASE}/history/99/restore").status_code == 404


# -- publishing --------------------------------------------------------------------------


def _content_state() -> dict:
    lessons = db.session.scalars(select(Lesson).order_by(Lesson.id)).all()
    questions = db.session.scalars(select(Question).order_by(Question.id)).all()
    return {
        "versions": [(v.number, v.content_hash) for v in db.session.scalars(select(CourseVersion))],
        "lessons": [(x.slug, x.position, x.markdown, x.archived_at) for x in lessons],
        "questions": [(q.key, q.prompt_html, q.archived_at) for q in questions],
    }


def test_publishing_is_refused_while_the_checker_finds_errors(app, author_client):
    submit(author_client, f"{BASE}/settings", "save", passing_score="50")
    submit(author_client, LESSON, "save", body="Changed text.\n")
    with app.app_context():
        before = _content_state()
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publishing is not possible while the checker finds errors" in page
    assert "Publish now" not in page
    response = author_client.post(f"{BASE}/publish")
    assert response.status_code == 422
    assert "Not published: the checker found errors" in response.get_data(as_text=True)
    with app.app_context():
        assert _content_state() == before
        assert count(AuditEvent.__table__) == 2  # the two saves; no publish
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published"))
            is None
        )


def test_publishing_makes_a_new_version_and_keeps_learners_progress(app, client, author):
    learner = None
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        for check in lesson.live_checks:
            client.post(
                f"/courses/minimal/lessons/push-pull/checks/{check.key}",
                data={"choice": correct_keys(check)},
            )
    client.post("/courses/minimal/lessons/push-pull/complete")
    with app.app_context():
        progress_before = [
            (p.lesson_id, p.completed_at) for p in db.session.scalars(select(LessonProgress))
        ]
        responses_before = count(CheckResponse)
    assert progress_before and progress_before[0][1] is not None

    sign_in(client, author)
    text = lesson_text(client).replace("Youth leave placement", "Youth who run leave placement", 1)
    submit(client, LESSON, "save", body=text)
    submit(client, f"{BASE}/lessons/returning", "save", title="When a youth comes back")
    page = flashes(client, client.post(f"{BASE}/publish"))
    assert "Published as version 2." in page
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        assert course.current_version.number == 2
        assert course.current_version.created_by_id == author.id
        draft = db.session.scalar(select(CourseDraft))
        latest = draft.revisions[-1]
        assert latest.published_version_id == course.current_version.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published"))
        assert event.actor_id == author.id and event.detail["version"] == 2
        progress_after = [
            (p.lesson_id, p.completed_at) for p in db.session.scalars(select(LessonProgress))
        ]
        assert progress_after == progress_before
        assert count(CheckResponse) == responses_before
    assert "nothing to publish" in flashes(client, client.post(f"{BASE}/publish")).lower()

    sign_in(client, learner)
    lesson_page = client.get("/courses/minimal/lessons/push-pull").get_data(as_text=True)
    assert "Youth who run leave placement" in lesson_page
    course_page = client.get("/courses/minimal").get_data(as_text=True)
    assert "When a youth comes back" in course_page
    assert re.search(
        r"Push and pull factors</a>\s*<span class=\"badge done\">Complete", course_page
    )


def test_an_archived_lesson_leaves_learners_records_in_place(app, client, author):
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    client.get("/courses/minimal/lessons/push-pull")
    sign_in(client, author)
    client.post(f"{BASE}/lessons/push-pull/archive")
    flashes(client, client.post(f"{BASE}/publish"))
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        assert lesson.archived_at is not None
        assert db.session.scalar(
            select(LessonProgress).where(LessonProgress.lesson_id == lesson.id)
        )
    sign_in(client, learner)
    assert client.get("/courses/minimal/lessons/push-pull").status_code == 404


def test_unknown_or_malformed_slugs_are_not_found(author_client):
    for slug in ("nope", "UPPER", "a%2F..%2Fb", "x" * 200):
        assert author_client.get(f"/author/courses/{slug}/").status_code == 404, slug
    # a NUL byte is refused before any view runs, on every route
    assert author_client.get("/author/courses/%00/").status_code == 400
    assert author_client.get(f"{BASE}/lessons/%00").status_code == 400
    assert author_client.get(f"{BASE}/history/compare?old=7&new=0").status_code == 404

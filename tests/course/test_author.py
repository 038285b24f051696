"""The author area: access, the lesson editor, forms, lessons and revisions.

Publishing is in test_author_publish.py; the form helpers in author_kit.py.
"""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from course.extensions import db
from course.models import (
    AuditEvent,
    CourseDraft,
    DraftRevision,
    Lesson,
    Role,
)
from lessons import editing
from tests.course.author_kit import BASE, LESSON, count, flashes, lesson_text, page_form, submit
from tests.course.factories import join_team, make_user, sign_in

# -- access ----------------------------------------------------------------------------


def _author_urls(app: Flask) -> list[tuple[str, str]]:
    values = {"slug": "minimal", "lesson": "push-pull", "check_id": "push-pull-1",
              "qid": "pt-lo1-1", "number": 1, "comment_id": 1}  # fmt: skip
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
        join_team(course_slug, author)
    for user in (author, admin):
        sign_in(client, user)
        for method, url in _author_urls(app):
            if method == "GET":  # a form's address leads on to the form's page
                response = client.get(url, follow_redirects=True)
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
    assert re.search(r"data-text-line=\"1\">line 1 of the text</a>:\s*stigmatizing language", page)
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
    # The same account saved meanwhile: another tab of theirs, not "someone".
    assert "You saved this part of the course in another tab or window" in page
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


NOT_SAVED = "Nothing is saved until you press Save."


def _list_status(page: str) -> tuple[str, str] | None:
    """The note a list button left on the form, and the row legend or button Tab reaches next."""
    found = re.search(
        r'<div class="list-status" role="status">(.*?)</p>.*?(<legend>[^<]*|<button[^>]*>[^<]*)',
        page, re.S,
    )  # fmt: skip
    if found is None:
        return None
    assert page.count(" autofocus") == 1  # the note takes focus, nothing else does
    return " ".join(re.sub("<[^>]+>", "", found[1]).split()), re.sub("<[^>]+>", "", found[2])


def test_a_list_button_says_where_the_unsaved_form_changed(app, author_client):
    url = f"{LESSON}/checks/push-pull-1"
    page = author_client.get(url).get_data(as_text=True)
    assert _list_status(page) is None and NOT_SAVED not in page
    removed = f"Choice removed from the form. {NOT_SAVED}"
    page = submit(author_client, url, "remove:choices:0").get_data(as_text=True)
    assert _list_status(page) == (removed, "Choice a")  # Tab goes on to the next choice
    page = submit(author_client, url, "remove:choices:1").get_data(as_text=True)
    assert _list_status(page) == (removed, "Add a choice")  # the last one: nothing after it
    page = submit(author_client, url, "add:choices").get_data(as_text=True)
    assert _list_status(page) == (f"Choice added to the form. {NOT_SAVED}", "Choice c")
    with app.app_context():
        assert count(CourseDraft) == 0 and count(DraftRevision) == 0
    # The note is about this one form: saving leads to a page without it.
    data = page_form(page, "base_revision")
    data["action"] = "save"
    assert _list_status(flashes(author_client, author_client.post(url, data=data))) is None


def test_a_full_list_says_nothing_was_added(author_client):
    url = f"{BASE}/post-test/new-question"
    choices = {f"choices-{n}-text": f"Choice {n}" for n in range(26)}
    page = submit(author_client, url, "add:choices", **choices).get_data(as_text=True)
    assert 'name="choices-25-text"' in page and 'name="choices-26-text"' not in page
    assert _list_status(page) == (
        f"The list is full (at most 26), so nothing was added. {NOT_SAVED}", "Add a choice"
    )


def test_every_list_of_the_evaluation_and_settings_says_so_too(author_client):
    page = submit(author_client, f"{BASE}/evaluation", "remove:items:0").get_data(as_text=True)
    assert _list_status(page) == (f"Item removed from the form. {NOT_SAVED}", "Item 1")
    url = f"{BASE}/settings"
    assert _list_status(author_client.get(url).get_data(as_text=True)) is None
    page = submit(author_client, url, "add:support").get_data(as_text=True)
    status = _list_status(page)
    assert status and status[0] == f"Support contact added to the form. {NOT_SAVED}"
    assert status[1].startswith("Support contact ")
    page = submit(author_client, url, "remove:objectives:1").get_data(as_text=True)
    assert _list_status(page) == (f"Objective removed from the form. {NOT_SAVED}", "Objective 2")


def test_a_broken_check_is_saved_and_its_findings_shown(author_client):
    url = f"{LESSON}/checks/push-pull-1"
    response = submit(author_client, url, "save", **{"choices-0-correct": []})
    page = flashes(author_client, response)
    assert "Saved as revision 2, with 1 error to fix before it can be published" in page
    # Said on the form in its own words, linked to the choices; the lesson page gives the
    # text line and the package's YAML words, as in the file an author may download.
    assert re.search(r'<a href="#choices-0-text">Choices</a>: no choice is checked as correct: '
                     r"check “Correct” under the right one", page)  # fmt: skip
    assert "correct: true" not in page and "of the text" not in page
    lesson_page = author_client.get(LESSON).get_data(as_text=True)
    assert "knowledge check push-pull-1 (line 11 of the text)" in lesson_page
    assert "no choice is marked <code>correct: true</code>" in lesson_page


def test_an_empty_question_is_named_as_its_box_is_and_linked_to_it(author_client):
    url = f"{LESSON}/checks/push-pull-1"
    page = flashes(author_client, submit(author_client, url, "save", prompt=""))
    assert re.search(r'<a href="#prompt">Question</a>: the question is empty: write it in '
                     r"“Question \(Markdown\)”", page)  # fmt: skip
    assert "`prompt`" not in page and "<code>prompt</code>" not in page
    assert re.search(r'<textarea[^>]*id="prompt"', page)  # where the link lands


def test_a_post_test_question_without_a_correct_choice_says_so_in_the_forms_words(
    author_client,
):
    url = f"{BASE}/post-test/questions/pt-lo1-1"
    page = flashes(author_client, submit(author_client, url, "save", **{"choices-0-correct": []}))
    assert "no choice is checked as correct" in page and "correct: true" not in page


def test_a_refused_check_lists_its_choices_problem_on_the_same_submit(author_client):
    url = f"{LESSON}/new-check"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"id": "l2 bad id!", "prompt": "Which is a pull factor?", "type": "single",
                 "choices-0-text": "A friend's invitation", "choices-1-text": "A move"})
    data.pop("choices-0-correct", None)
    refused = submit(author_client, url, "save", **data)
    assert refused.status_code == 422
    summary = refused.get_data(as_text=True).split('id="error-summary-title"')[1]
    summary = summary.split("</ul>")[0]
    assert "Question id:" in summary  # the problem that refused it first...
    # ...and, on the same submit, the one the checker would report once it is saved,
    # in the form's order, a link to the choices, and said there too.
    choices = ('<a href="#choices-group">Choices: no choice is checked as correct: '
               "check “Correct” under the right one</a>")
    assert summary.index("Question id:") < summary.index(choices)
    page = refused.get_data(as_text=True)
    group = re.search(r'<fieldset id="choices-group"[^>]*aria-describedby="([^"]*)"', page)
    assert "choices-group-error" in group.group(1).split()
    said = page.split('id="choices-group-error"')[1].split("</p>")[0]
    assert "No choice is checked as correct" in said
    fixed = submit(author_client, url, "save", **{**data, "id": "push-pull-9",
                                                 "choices-0-correct": "y"})
    assert fixed.status_code == 302  # a choice's problem alone never refuses a save


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


def test_the_error_summary_numbers_a_list_row_as_the_form_does(author_client):
    # The third objective's text is too long: the summary says (3), not (1).
    url = f"{BASE}/settings"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"objectives-2-text": "x" * 20_001, "action": "save"})
    page = author_client.post(url, data=data).get_data(as_text=True)
    assert re.search(r'<a href="#objectives-2-text">[^<]*\(3\): ', page), page[:3000]


def test_removing_a_check_learners_never_saw_does_not_say_they_see_it(author_client):
    url = f"{LESSON}/new-check"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"prompt": "Youth run for reasons.", "type": "true_false",
                 "choices-0-text": "True", "choices-0-correct": "y", "choices-0-why": "Yes.",
                 "choices-1-text": "False", "choices-1-why": "They do.", "action": "save"})
    author_client.post(url, data=data)
    removed = flashes(author_client, author_client.post(f"{LESSON}/checks/push-pull-3/remove"))
    assert "Removed knowledge check push-pull-3" in removed
    said = r"\(revision \d+\)\. Learners keep seeing it until you publish\."
    assert not re.search(said, removed)  # added since the publish: learners never saw it
    published = flashes(author_client, author_client.post(f"{LESSON}/checks/push-pull-1/remove"))
    assert re.search(said, published)


def test_a_check_saved_with_blank_choices_opens_with_rows_to_fill_in(author_client):
    url = f"{LESSON}/new-check"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"prompt": "Which is a pull factor?", "type": "single", "action": "save"})
    response = author_client.post(url, data=data)
    assert response.location.endswith(f"{LESSON}/checks/push-pull-3")
    page = author_client.get(response.location).get_data(as_text=True)
    assert "a question with one correct answer needs at least 2 choices" in page
    assert 'name="choices-0-text"' in page and 'name="choices-1-text"' in page


def test_settings_findings_name_and_link_the_box_to_fix(author_client):
    # The author edits boxes, not course.yaml: a finding says which box, and links to it.
    url = f"{BASE}/settings"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"objectives-1-id": "bad id!", "contact_hours": "0.3", "action": "save"})
    page = flashes(author_client, author_client.post(url, data=data))
    named = '<a href="#objectives-1-id">Objective 2, Id</a>: objective id <code>bad id!</code>'
    assert named in page
    assert '<a href="#contact_hours">' in page


def test_post_test_attempts_wait_and_review_are_set_in_settings_and_kept(app, author_client):
    # Before, the settings form wrote post_test: {draw} only, so a save dropped a cap on
    # attempts, the retake wait and the review policy set in the package.
    url = f"{BASE}/settings"

    def save(**fields: str) -> dict:
        data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
        data.update(fields, action="save")
        flashes(author_client, author_client.post(url, data=data))
        with app.app_context():
            files = db.session.scalar(select(CourseDraft)).files
        return editing.read_yaml(files["course.yaml"])["post_test"]

    post_test = save(max_attempts="3", retake_wait_minutes="30", review="score")
    assert post_test == {"draw": "10", "max_attempts": "3", "retake_wait_minutes": "30",
                         "review": "score"}  # fmt: skip
    page = author_client.get(url).get_data(as_text=True)
    assert re.search(r'id="max_attempts"[^>]*value="3"', page)
    assert re.search(r'<option selected value="score">', page)
    assert save(title="Renamed") == post_test  # a save of another box keeps them
    # Blank boxes and the default review write no line: the package's defaults apply.
    assert save(max_attempts="", retake_wait_minutes="", review="missed") == {"draw": "10"}


def test_a_box_a_settings_error_names_is_marked_invalid_and_described_by_it(author_client):
    url = f"{BASE}/settings"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({"objectives-1-id": "bad id!", "action": "save"})
    page = flashes(author_client, author_client.post(url, data=data))
    finding = re.search(r'<li class="finding finding-error" id="(settings-findings-\d+)">'
                        r'<span class="finding-level">Error</span>\s*'
                        r'<a href="#objectives-1-id">', page)  # fmt: skip
    assert finding, page
    box = re.search(r'<input[^>]*id="objectives-1-id"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in box
    assert finding.group(1) in re.search(r'aria-describedby="([^"]*)"', box).group(1)
    untouched = re.search(r'<input[^>]*id="objectives-0-id"[^>]*>', page).group(0)
    assert "aria-invalid" not in untouched

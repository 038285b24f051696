"""An editor authors can trust: browser line endings, missing checks, small diffs, speed."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

import lessons
from course.author import checkcache
from course.author.diffing import diff_files
from course.author.packagezip import write_package_zip
from course.extensions import db
from course.models import CourseDraft, DraftRevision
from tests.course.author_kit import BASE, LESSON, count, flashes, lesson_text, submit
from tests.course.journey import plain


def test_a_browser_save_with_crlf_line_endings_reports_no_false_removals(app, author_client):
    # A browser sends a text box's line breaks as CRLF; every check marker is still there.
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    response = submit(author_client, LESSON, "save", body=text.replace("\n", "\r\n"))
    page = flashes(author_client, response)
    assert "Saved as revision 2." in page
    assert "was removed" not in page
    with app.app_context():
        saved = db.session.scalar(select(CourseDraft)).files["01-push-pull.md"]
    assert "\r" not in saved
    assert "id: push-pull-1" in saved and "id: push-pull-2" in saved


def test_a_real_removal_is_still_reported_when_the_text_comes_with_crlf(author_client):
    text = lesson_text(author_client).replace("[check: push-pull-2]\n", "")
    page = flashes(
        author_client, submit(author_client, LESSON, "save", body=text.replace("\n", "\r\n"))
    )
    assert "Knowledge check push-pull-2 was removed" in page
    assert "push-pull-1 was removed" not in page


def test_a_marker_for_a_missing_check_is_refused_with_its_line(app, author_client):
    text = lesson_text(author_client)
    lines = text.splitlines()
    lines.insert(3, "[check: does-not-exist]")
    response = submit(author_client, LESSON, "save", body="\r\n".join(lines) + "\r\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 4: [check: does-not-exist] is not a knowledge check of this lesson." in page
    assert "[check: does-not-exist]" in page  # the author's text is still in the form
    # The summary links to the text box, which is marked as the one to fix.
    assert '<a href="#body">Lesson text (Markdown): Line 4: [check: does-not-exist]' in page
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*id="body"|<textarea[^>]*id="body"'
                     r'[^>]*aria-invalid="true"', page)
    with app.app_context():
        assert count(DraftRevision) == 0
    # Preview shows it as a checker error at that line of the text.
    preview = submit(author_client, LESSON, "preview", body="\n".join(lines) + "\n")
    shown = preview.get_data(as_text=True)
    assert "line 4 of the text" in shown
    assert "refers to a knowledge check this lesson does not have" in shown


AUTHORED_CHECK = """```check
# Reviewed with the youth advisory board
id: push-pull-1
type: single
prompt: >-
  Which of these is a *pull* factor for a youth who is thinking about
  leaving placement?
choices:
  - text: A friend who offers a place to stay
    correct: true
    why: >-
      Pull factors draw a youth toward something or someone, here a place
      to stay.
  - text: Conflict with a foster parent
    why: That pushes a youth away from placement.
```
"""


def test_editing_one_word_of_a_check_shows_only_its_lines_in_the_diff(
    app, author_client, minimal_package_dir
):
    files = {p.name: p.read_text() for p in minimal_package_dir.iterdir()}
    lesson = files["01-push-pull.md"]
    start = lesson.index("```check\nid: push-pull-1")
    end = lesson.index("```\n", start + 3) + 4
    files["01-push-pull.md"] = lesson[:start] + AUTHORED_CHECK + lesson[end:]
    author_client.post(
        f"{BASE}/upload",
        data={"package": (io.BytesIO(write_package_zip("minimal", files)), "minimal.zip")},
    )
    url = f"{LESSON}/checks/push-pull-1"
    why = "Pull factors draw a youth toward something or someone, here a bed."
    flashes(author_client, submit(author_client, url, "save", **{"choices-0-why": why}))
    with app.app_context():
        old, new = (r.files["01-push-pull.md"] for r in db.session.scalars(
            select(DraftRevision).where(DraftRevision.number >= 2).order_by(DraftRevision.number)
        ))  # fmt: skip
    changed = [d for d in diff_files({"f": old}, {"f": new})[0].rows if d.kind != "equal"]
    assert [(r.old, r.new) for r in changed] == [
        ("    why: >-", f"    why: {why}"),
        ("      Pull factors draw a youth toward something or someone, here a place", None),
        ("      to stay.", None),
    ]
    # The comment, the folded prompt and the other choice are kept as the author wrote them.
    assert "# Reviewed with the youth advisory board\n" in new
    assert "  Which of these is a *pull* factor for a youth who is thinking about\n" in new
    page = author_client.get(f"{BASE}/history/compare?old=2&new=3").get_data(as_text=True)
    assert "changed: 1 line added, 3 removed" in page


def test_the_preview_stands_beside_the_text_without_inline_style(author_client):
    response = author_client.get(LESSON)
    page = response.get_data(as_text=True)
    split = page[page.index('<div class="editor-split">') :]
    assert split.index('name="body"') < split.index('id="preview-heading"')
    assert " style=" not in page and "<style" not in page
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_the_preview_sits_under_its_own_heading_in_the_page_outline(author_client):
    # Moving by headings, the lesson's own sections used to sit beside the editor's
    # "Preview" and "Knowledge checks in this lesson", with nothing to say where the
    # preview ended, and its title was no heading at all.
    page = author_client.get(LESSON).get_data(as_text=True)
    outline = [(int(level), re.sub(r"<[^>]+>", "", text).strip()) for level, text in
               re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", page, flags=re.S)]  # fmt: skip
    start = outline.index((2, "Preview"))
    inside = outline[start + 1 : outline.index((2, "Knowledge checks in this lesson"))]
    assert inside[0] == (3, "Push and pull factors")
    assert (4, "Push factors") in inside and (5, "Knowledge check 1") in inside
    assert all(level > 3 for level, _ in inside[1:])


def test_author_pages_run_the_checker_once_per_revision(app, author_client, monkeypatch):
    calls: list[int] = []
    real = lessons.check_files

    def counted(files, **kwargs):
        calls.append(1)
        return real(files, **kwargs)

    monkeypatch.setattr(checkcache.lessons, "check_files", counted)
    checkcache.clear()
    pages = [f"{BASE}/", LESSON, f"{BASE}/settings", f"{BASE}/post-test", f"{BASE}/publish"]
    for url in pages * 2:
        assert author_client.get(url).status_code == 200
    assert len(calls) == 1
    text = lesson_text(author_client).replace("Youth leave", "A runner may leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))
    for url in pages:
        author_client.get(url)
    assert len(calls) == 2
    # The findings are those of the new revision, not the cached old ones.
    assert "stigmatizing language" in author_client.get(f"{BASE}/publish").get_data(as_text=True)


def test_a_one_word_change_in_a_long_paragraph_is_marked_word_by_word(author_client):
    # A Markdown paragraph is one line: the compare page shows which words changed, with
    # <del> and <ins> (struck through and underlined, so not by color alone).
    text = lesson_text(author_client)
    line = next(x for x in text.splitlines() if len(x.split()) > 8 and not x.startswith("["))
    words = line.split(" ")
    edited = " ".join([*words[:4], "REPLACED", *words[5:]])
    flashes(author_client, submit(author_client, LESSON, "save", body=text.replace(line, edited)))
    page = author_client.get(f"{BASE}/history/compare?old=1&new=2").get_data(as_text=True)
    assert f"<del>{words[4]}</del>" in page
    assert "<ins>REPLACED</ins>" in page
    assert f"<del>{words[3]}" not in page  # the words around it are not marked
    assert page.count("<ins>") == 1


def test_an_image_without_alt_text_is_a_finding_in_the_preview(author_client):
    # The sanitizer keeps <img src> without alt; learners who cannot see it would get nothing.
    text = lesson_text(author_client)
    body = (text + '\n![](/static/chart.png)\n\n<img src="/static/map.png">\n\n'
            '![A map of the county](/static/map.png)\n')
    page = submit(author_client, LESSON, "preview", body=body).get_data(as_text=True)
    assert page.count("an image needs alt text saying what it shows") == 2
    # None of the three is among the site's files: learners would see broken images.
    assert "the image /static/map.png is not among this site&#39;s files" in page


def test_a_save_that_leaves_errors_is_kept_and_says_it_cannot_be_published_so(author_client):
    # A lesson without a title: an error the checker names, which blocks publishing.
    page = flashes(author_client, submit(author_client, LESSON, "save", title=""))
    # Kept (nothing typed is lost), but not announced as a plain success.
    assert "Saved as revision 2, with 1 error to fix before it can be published" in page
    assert "usa-alert--warning" in page and "usa-alert--success" not in page
    assert "<code>title</code> is empty" in page  # and the findings say what


def test_checker_messages_show_backticked_names_as_code(author_client):
    # The checker writes for a terminal; a page shows its `names` as code, never backticks.
    page = author_client.get(f"{BASE}/").get_data(as_text=True)
    assert "(first here: <code>pt-lo1-1</code>)" in page and "`pt-lo1-1`" not in page


def test_a_preview_with_errors_says_so_beside_it_and_takes_focus(author_client):
    text = lesson_text(author_client)
    broken = text + '\n```check\nid: broken-check\nprompt: "Unclosed quote\n```\n'
    page = submit(author_client, LESSON, "preview", body=broken).get_data(as_text=True)
    heading = page[page.index('id="preview-heading"') - 4 : page.index("Preview (not saved yet)")]
    assert "autofocus" in heading
    notice = plain(page[page.index('id="preview-errors"') :].split("</p>")[0])
    assert "The text has 1 error" in notice
    assert "A knowledge check that cannot be read is left out of this preview." in notice
    # Without errors, a preview says nothing of them.
    clean = submit(author_client, LESSON, "preview", body=text).get_data(as_text=True)
    assert 'id="preview-errors"' not in clean


def test_a_duplicate_check_id_says_where_the_first_is_in_the_text_box(author_client):
    text = lesson_text(author_client)
    first = text.splitlines().index("[check: push-pull-1]") + 1
    copy = ("\n```check\nid: push-pull-1\ntype: single\nprompt: Which of these pulls?\n"
            "choices:\n  - text: A friend's offer\n    correct: true\n    why: It pulls.\n"
            "  - text: A quarrel at home\n    why: That pushes.\n```\n")
    page = submit(author_client, LESSON, "preview", body=text + copy).get_data(as_text=True)
    # The file's line (the package's 01-push-pull.md:16) is no line of the box the author
    # sees, where that check is one [check: ...] line.
    assert f"(first at line {first} of the text)" in page
    assert "(first at 01-push-pull.md:" not in page

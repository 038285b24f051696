"""Headings an author writes never take the id of a part of the page around the lesson."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from sqlalchemy import select

from course.extensions import db
from course.models import Lesson
from tests.course.author_kit import BASE, LESSON, lesson_text, post_publish, submit
from tests.course.factories import import_course, make_user, sign_in

PAGE = "/courses/minimal/lessons/push-pull"


class _Ids(HTMLParser):
    """Every id on a page, counted."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if found := dict(attrs).get("id"):
            self.ids[found] += 1


def ids_of(page: str) -> Counter[str]:
    parser = _Ids()
    parser.feed(page)
    return parser.ids


def test_headings_named_like_the_page_keep_the_pages_ids_unique(app, client, author, reviewer):
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    page_ids = ids_of(client.get(PAGE).get_data(as_text=True))
    assert {"main", "support"} <= set(page_ids)

    # One heading per id the page has ("## Support" slugifies to "support"), and one for
    # the time-out dialog's, which the page has where idle sign-out is on.
    names = sorted(set(page_ids) | {"session-warning"})
    headings = "".join(f"\n## {name.replace('-', ' ').capitalize()}\n" for name in names)
    sign_in(client, author)
    submit(client, LESSON, "save", body=lesson_text(client) + headings)
    sign_in(client, reviewer)
    post_publish(client, f"{BASE}/publish", {"note": "Headings for the id test"})

    sign_in(client, learner)
    page = client.get(PAGE).get_data(as_text=True)
    ids = ids_of(page)
    assert [name for name, times in ids.items() if times > 1] == []
    assert all(ids[name] == 1 for name in page_ids)  # the page's own parts keep theirs
    assert '<h2 id="section-session-warning">Session warning</h2>' in page


def test_lessons_stored_by_an_older_engine_are_shown_by_todays_rules(
    app, client, minimal_package_dir
):
    # HTML stored before authored ids got their prefix and before images were limited to
    # the static files: a heading that takes the support panel's id, and an image that
    # would open another course's post-test for every reader.
    old = ('<h2 id="support">Support</h2><p><img alt="A chart" src="/courses/other/post-test">'
           ' <a href="#support">up</a></p>')
    with app.app_context():
        import_course(minimal_package_dir)
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        lesson.html_parts = [old, *lesson.html_parts[1:]]
        db.session.commit()
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    page = client.get(PAGE).get_data(as_text=True)
    assert '<h2 id="section-support">Support</h2>' in page and 'href="#section-support"' in page
    assert "<p>A chart <a" in page and "/courses/other/post-test" not in page
    assert [name for name, times in ids_of(page).items() if times > 1] == []

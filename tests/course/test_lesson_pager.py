"""The links between lessons, as a screen reader says them: words only, no arrows."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.models import Course
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import check_positions, correct_keys

COURSE = "/courses/minimal"


def _spoken(link_html: str) -> str:
    """A link's text without what is hidden from screen readers."""
    heard = re.sub(r'<span aria-hidden="true">.*?</span>', "", link_html)
    return " ".join(re.sub(r"<[^>]+>", "", heard).split())


def test_previous_and_next_are_read_without_their_arrows(app, client, package_copy) -> None:
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post(f"{COURSE}/enrol")
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        first, second = course.live_lessons
        base = f"{COURSE}/lessons/{first.slug}"
        pages = [client.get(base).get_data(as_text=True)]
        for check in first.live_checks:  # the second lesson opens after the first
            positions = check_positions(client, "minimal", check, correct_keys(check))
            client.post(f"{base}/checks/{check.key}", data={"choice": positions})
        client.post(f"{base}/complete")
        pages.append(client.get(f"{COURSE}/lessons/{second.slug}").get_data(as_text=True))
        titles = first.title, second.title
    (after,) = re.findall(r'<a rel="next"[^>]*>(.*?)</a>', pages[0])
    (before,) = re.findall(r'<a rel="prev"[^>]*>(.*?)</a>', pages[1])
    assert _spoken(after) == f"Next: {titles[1]}"
    assert _spoken(before) == f"Previous: {titles[0]}"
    # The arrows still show.
    assert "→" in after and "←" in before

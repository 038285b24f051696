"""Buttons and links named partly by visually hidden words read as one phrase.

A visually hidden span is positioned absolutely, so browsers lay it out as a block, and
Chrome puts a space on each side of a block's text when it computes an accessible name:
``Archive<span class="visually-hidden">: title</span>`` is read "Archive : title". The
hidden words after visible text therefore start with a space and a word.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from course.models import Role
from tests.course.author_kit import BASE, LESSON, flashes, lesson_text, submit
from tests.course.factories import make_user, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "course" / "templates"
HIDDEN = 'class="visually-hidden"'
#: A space (or a line break) before punctuation: what a name must never read.
SPACE_BEFORE_PUNCTUATION = re.compile(r"\s[:;,.!?)]")


class NameReader(HTMLParser):
    """The text names of a page's buttons and links, with a space around hidden spans."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: list[str] = []
        self._open: list[list[str]] = []  # one list of text parts per open button or link
        self._spans: list[bool] = []  # for each open span: is it visually hidden?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("button", "a"):
            self._open.append([])
        elif tag == "span":
            hidden = "visually-hidden" in (dict(attrs).get("class") or "").split()
            self._spans.append(hidden)
            if hidden and self._open:
                self._open[-1].append(" ")  # as Chrome does at a block's edge

    def handle_endtag(self, tag: str) -> None:
        if tag in ("button", "a") and self._open:
            self.names.append(" ".join("".join(self._open.pop()).split()))
        elif tag == "span" and self._spans and self._spans.pop() and self._open:
            self._open[-1].append(" ")

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)


def names(html: str) -> list[str]:
    """The accessible names a screen reader gets for the page's buttons and links."""
    reader = NameReader()
    reader.feed(html)
    return reader.names


def test_the_reader_puts_a_space_where_chrome_does() -> None:
    html = '<button>Archive<span class="visually-hidden">: Intro</span></button>'
    assert names(html) == ["Archive : Intro"]  # measured in chromium, as the old templates read


def test_hidden_words_after_visible_text_start_with_a_space() -> None:
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        # After visible text or a {{ value }}, not after a tag or a {% tag %}: a space and
        # a word (or a {{ value }}) must come first.
        after_text = r'(?<![>\s])(?<!%\})<span class="visually-hidden">(?! \w| \{\{)'
        for match in re.finditer(after_text, text):
            line = text.count("\n", 0, match.start()) + 1
            offenders.append(f"{path.relative_to(TEMPLATES)}:{line}")
    assert offenders == []


def _no_space_before_punctuation(page: str) -> list[str]:
    return [name for name in names(page) if SPACE_BEFORE_PUNCTUATION.search(name)]


def test_lesson_buttons_and_undo_read_as_one_phrase(author_client) -> None:
    page = author_client.get(f"{BASE}/").get_data(as_text=True)
    found = names(page)
    assert "Move down lesson 1, “Push and pull factors”" in found
    assert "Move up lesson 2, “When a youth returns”" in found
    assert "Archive lesson 2, “When a youth returns”" in found
    assert _no_space_before_punctuation(page) == []
    page = flashes(author_client, author_client.post(f"{BASE}/lessons/push-pull/archive"))
    assert "Undo revision 2: Archived lesson 1, “Push and pull factors”" in names(page)
    assert _no_space_before_punctuation(page) == []


def test_team_and_review_buttons_read_as_one_phrase(app, client, author, reviewer) -> None:
    with app.app_context():
        admin = make_user(Role.ADMIN)
    page = sign_in(app.test_client(), admin).get("/admin/courses/minimal/team")
    found = names(page.get_data(as_text=True))
    assert {"Change role or remove Avery Author", "Change role or remove Riley Reviewer"} <= set(
        found)
    link = re.search(r'href="([^"]+)">Change role or remove<span class="visually-hidden"> '
                     r"Avery Author<", page.get_data(as_text=True))[1]
    own = sign_in(app.test_client(), admin).get(link).get_data(as_text=True)
    assert {"Change the role", "Take Avery Author off the team"} <= set(names(own))
    assert _no_space_before_punctuation(page.get_data(as_text=True)) == []

    sign_in(client, author)
    submit(client, LESSON, "save", body="A change to review.\n" + lesson_text(client))
    sign_in(client, reviewer)
    client.post(f"{BASE}/comments", data={"body": "Say “youth who run” here."})
    sign_in(client, author)
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Mark resolved the comment by Riley Reviewer on revision 2" in names(page)
    assert _no_space_before_punctuation(page) == []

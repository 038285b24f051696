"""Author forms with required fields leave the check to the server, whose message says
what to do; a browser's own "Please fill out this field." bubble would stop it."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.course.author_kit import BASE, LESSON, sign_in_reviewer, submit


class _Forms(HTMLParser):
    """Collect each form's action, whether it has novalidate, and its required fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"action": found.get("action"), "novalidate": "novalidate" in found,
                               "required": []})
        elif tag in ("input", "textarea", "select") and "required" in found and self.forms:
            self.forms[-1]["required"].append(found.get("name"))


def _browser_would_stop(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return [f for f in parser.forms if f["required"] and not f["novalidate"]]


def test_required_author_fields_are_checked_by_the_server_not_the_browser(app, author_client):
    submit(author_client, LESSON, "save", body="Changed text.\n")  # a draft to comment on
    for url in ("/author/", f"{BASE}/", f"{BASE}/publish"):
        assert _browser_would_stop(author_client.get(url).get_data(as_text=True)) == [], url
    reviewer = sign_in_reviewer(app, author_client)
    page = reviewer.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publish revision" in page
    assert _browser_would_stop(page) == []


def test_the_refused_upload_page_lets_the_server_check_the_file_too(author_client):
    page = author_client.post("/author/new", data={}).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert _browser_would_stop(page) == []

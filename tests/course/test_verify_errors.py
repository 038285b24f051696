"""The public verify page, heard with a screen reader: refusals announced, "Not found" titled."""

from __future__ import annotations

from html.parser import HTMLParser

from flask.testing import FlaskClient


class _Summary(HTMLParser):
    """The error summary a page opens with: its attributes and the links it lists."""

    def __init__(self) -> None:
        super().__init__()
        self.box: dict[str, str | None] | None = None
        self.links: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.box is None and "error-summary" in (found.get("class") or "").split():
            self.box, self._depth = found, 1
        elif self._depth:
            self._depth += tag != "a" and tag not in {"br", "img"}
            if tag == "a":
                self.links.append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag != "a":
            self._depth -= 1


def _summary(page: str) -> _Summary:
    parser = _Summary()
    parser.feed(page)
    return parser


def test_a_mistyped_code_is_announced_and_leads_to_the_code_box(client: FlaskClient) -> None:
    page = client.get("/verify", query_string={"code": "not a code"}).get_data(as_text=True)
    summary = _summary(page)
    # The reloaded page opens with a summary that takes focus and is read out...
    assert summary.box is not None, "no error summary: nothing tells the learner"
    assert summary.box.get("role") == "alert" and "autofocus" in summary.box
    # ...whose link leads to the box, which names the error as its description.
    assert summary.links == ["#code"]
    assert 'aria-describedby="code-hint code-error"' in page
    assert 'id="code-error"><span class="visually-hidden">Error: </span>' in page


def test_a_credential_sent_without_a_file_is_announced(client: FlaskClient) -> None:
    response = client.post("/verify/credential", data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    summary = _summary(page)
    assert summary.box is not None and summary.box.get("role") == "alert"
    assert summary.links == ["#credential"]
    assert 'id="credential-error"><span class="visually-hidden">Error: </span>' in page


def test_the_verify_form_opens_without_an_error_summary(client: FlaskClient) -> None:
    assert _summary(client.get("/verify").get_data(as_text=True)).box is None


def test_a_code_not_issued_here_says_not_found_in_the_page_title(client: FlaskClient) -> None:
    response = client.get("/verify/7K3M-Q9XD-2HTP-W4RB-5")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    title = page[page.index("<title>") + 7 : page.index("</title>")]
    assert title.startswith("Not found: Certificate verification")


def test_a_valid_certificate_says_so_in_the_page_title(make_app, package_copy) -> None:
    from tests.course.certkit import finish_course
    from tests.course.test_verify_review import PROVIDER

    def title(app, code: str) -> str:
        page = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
        return page[page.index("<title>") + 7 : page.index("</title>")]

    real = make_app(**PROVIDER)
    assert title(real, finish_course(real, real.test_client(), package_copy)[1]).startswith(
        "Valid: Certificate verification")
    # Issued with no provider set: a sample, which the title never calls "Valid" alone.
    sample = make_app()
    assert title(sample, finish_course(sample, sample.test_client(), package_copy)[1]).startswith(
        "Sample, no credit: Certificate verification")

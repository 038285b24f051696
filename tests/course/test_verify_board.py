"""A licensing board's audit: codes pasted from other documents, and what the page asks
of the board holding a certificate."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.course.certkit import finish_course
from tests.course.test_verify_review import PROVIDER, _revoke


@pytest.mark.parametrize(
    "between",
    ["\u00a0", "\u202f", "\u200b", "\u00ad"],
    ids=["no-break space", "narrow no-break space", "zero-width space", "soft hyphen"],
)
def test_a_code_pasted_from_an_email_or_a_document_is_found(
    make_app, package_copy: Path, between: str
):
    # Word processors and mail programs put these between the groups of a code a board
    # copies; they look like a space or a dash, and the code box called it mistyped.
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy)
    pasted = code.replace("-", between)
    response = app.test_client().get("/verify", query_string={"code": pasted})
    assert response.status_code == 302
    assert response.location.endswith(f"/verify/{code}")


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_tells_a_board_that_its_record_is_the_one_that_counts(
    make_app, package_copy: Path
):
    # A forger keeps a real code and edits the name, hours or approval on the PDF: only
    # the board holding that copy can tell, and the page did not say to compare.
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy)
    page = _words(app.test_client().get(f"/verify/{code}").text)
    assert (
        "Compare it with the copy you were given: if any detail differs, that copy was"
        " changed after it was issued, and this record is the one that counts." in page
    )


def test_a_revoked_credentials_check_says_revoked_before_it_says_valid(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy)
    document = learner.get(f"/me/certificates/{code}.json").get_data()
    _revoke(app, code)
    page = _words(
        app.test_client()
        .post(
            "/verify/credential",
            data={"credential": (io.BytesIO(document), "credential.json")},
            content_type="multipart/form-data",
        )
        .text
    )
    # The verdict leads: "The signature is valid" first read as the answer to a board
    # in a hurry, with "Revoked" only below it.
    assert page.index("Revoked.") < page.index("The signature is valid")


def test_a_sample_certificates_verdict_does_not_open_with_valid(make_app, package_copy: Path):
    # A board scanning the verdict for "Valid" read "Valid sample certificate" as credit.
    app = make_app()  # no provider set: every certificate is a sample
    _, code = finish_course(app, app.test_client(), package_copy)
    page = app.test_client().get(f"/verify/{code}").text
    box = page[page.index('role="status">') + len('role="status">') :]
    verdict = _words(box.split("</div>", 1)[0])
    assert verdict.startswith("Sample certificate: it certifies no credit.")
    assert "Valid" not in verdict


def test_a_code_not_found_is_read_out_whole_and_kept_on_one_line(client):
    # Codes issued before new_code() stopped drawing them can end in "~", which a screen
    # reader at its usual punctuation level skips; and a code broken after a dash at a
    # narrow width was read (and retyped) as two.
    code = "45ZQ-HJ4J-WSXQ-WEAP-~"
    page = client.get(f"/verify/{code}").text
    assert "45ZQ-HJ4J-WSXQ-WEAP, check symbol tilde" in page
    assert re.search(r'<span class="keep-whole"><code>.*?45ZQ-HJ4J-WSXQ-WEAP-~', page)

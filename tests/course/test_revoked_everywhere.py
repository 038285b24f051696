"""A revoked (or replaced) certificate reads as such everywhere its holder or a board looks:
the PDF, the HTML page, the credential download, the transcript and the verify page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from certificates.layout import SAMPLE_RED
from certificates.pdf import VOID_ALPHA
from course import issuing
from course.extensions import db
from course.models import Role, User
from tests.certificates.certificates_testkit import pixels_of
from tests.course.certificate_kit import certificate, earn_certificate, quick
from tests.course.certkit import page_words
from tests.course.factories import PASSWORD, import_course, make_user, sign_in

REASON = "Completed by another person"


@pytest.fixture
def issued(app: Flask, client: FlaskClient, package_copy: Path) -> str:
    return earn_certificate(app, client, quick(package_copy), full_name="Ada Lovelace")


def _revoke(app: Flask, code: str) -> None:
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    response = admin.post(f"/admin/certificates/{code}/revoke", data={"reason": REASON})
    assert response.status_code == 302


def _pdf_text(data: bytes) -> tuple[str, str]:
    """The PDF's page text and its title."""
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages), reader.metadata.title


def test_a_valid_certificate_pdf_and_credential_are_unmarked(client, issued):
    text, title = _pdf_text(client.get(f"/me/certificates/{issued}.pdf").data)
    assert "Ada Lovelace" in text and "REVOKED" not in text and "REVOKED" not in title
    assert client.get(f"/me/certificates/{issued}.json").status_code == 200
    page = client.get(f"/me/certificates/{issued}").get_data(as_text=True)
    assert "Download signed credential" in page and "REVOKED" not in page
    # What the credential is for, in plain words, tied to its link for screen readers.
    link = re.search(r'<a [^>]*>Download signed credential \(Open Badges\)</a>', page).group(0)
    assert 'aria-describedby="credential-hint"' in link
    hint = re.search(r'<p class="hint" id="credential-hint">(.*?)</p>', page, re.S).group(1)
    assert "digitally signed copy of this certificate" in hint
    assert "licensing board or a digital wallet app can check" in hint


def test_the_pdf_of_a_revoked_certificate_says_revoked_across_it(app, client, issued):
    before = client.get(f"/me/certificates/{issued}.pdf").data
    _revoke(app, issued)
    response = client.get(f"/me/certificates/{issued}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, title = _pdf_text(response.data)
    assert "REVOKED" in text and "no longer certifies completion" in text
    assert title.startswith("REVOKED: ")
    assert "Ada Lovelace" in text  # still the record it was, now marked
    # The word across the page is drawn as shapes, not text: look for its color instead
    # (where it crosses this sample's own watermark the two colors mix).
    assert pixels_of(response.data, SAMPLE_RED, alpha=VOID_ALPHA) > 5_000
    assert pixels_of(before, SAMPLE_RED, alpha=VOID_ALPHA) == 0
    with app.app_context():
        stored = certificate(issued)
        date = issuing.date_label(stored.revoked_at, zone=True)
        verify_url = stored.snapshot["verify_url"]
        # the records keep the file as issued: its bytes still match the stored hash
        assert issuing.pdf_of(stored) == before
    flowing = " ".join(text.split())
    assert f"revoked on {date} and no longer certifies" in flowing
    assert f"Check its status at {verify_url}." in flowing


def test_the_html_page_says_revoked_and_offers_no_credential(app, client, issued):
    _revoke(app, issued)
    response = client.get(f"/me/certificates/{issued}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Revoked: Certificate" in page
    # inside the certificate itself, so a printout says it too (the alert above is no-print)
    article = page[page.index('<article class="certificate"') :]
    assert '<p class="cert-void"><strong>REVOKED.</strong> This certificate was revoked' in article
    assert "Download signed credential" not in page and "credential-hint" not in page
    assert "Download PDF (marked revoked)" in page


def test_the_credential_download_is_refused_with_a_page_that_says_why(app, client, issued):
    _revoke(app, issued)
    response = client.get(f"/me/certificates/{issued}.json")
    assert response.status_code == 410 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Revoked: This certificate was revoked on" in page
    assert "signed credential is no longer offered" in page
    assert "application/ld+json" not in response.headers.get("Content-Type", "")


def test_the_transcript_and_the_verify_page_say_revoked(app, client, issued):
    _revoke(app, issued)
    transcript = client.get("/me").get_data(as_text=True)
    assert '<span class="usa-tag">Revoked</span>' in transcript
    public = app.test_client().get(f"/verify/{issued}")
    page = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "<title>Revoked: Certificate verification" in page
    assert "<strong>Revoked.</strong> This certificate was revoked on" in page
    assert "no longer certifies completion" in page
    assert "<dt>Status</dt><dd>Revoked" in page
    assert "Valid certificate" not in page
    assert REASON not in page  # why it was revoked is the provider's business, not the public's


def test_a_replaced_certificate_is_marked_replaced_and_points_to_the_new_one(
    app, client, issued
):
    with app.app_context():
        learner = db.session.get(User, certificate(issued).user_id)
        learner.full_name = "Ada King Lovelace"
        db.session.commit()
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    response = admin.post(
        f"/admin/certificates/{issued}/reissue", data={"reissue-reason": "Name corrected"}
    )
    new_code = response.location.rsplit("/", 1)[1]
    text, title = _pdf_text(client.get(f"/me/certificates/{issued}.pdf").data)
    assert "REPLACED" in text and title.startswith("REPLACED: ")
    old_page = page_words(client.get(f"/me/certificates/{issued}").get_data(as_text=True))
    assert "This certificate is replaced." in old_page and "superseded" not in old_page
    assert 'see <a href="/me">your transcript</a>' in old_page
    assert client.get(f"/me/certificates/{issued}.json").status_code == 410
    fresh = client.get(f"/me/certificates/{new_code}.json")
    assert fresh.status_code == 200 and json.loads(fresh.data)["type"]
    new_text, _ = _pdf_text(client.get(f"/me/certificates/{new_code}.pdf").data)
    assert "REPLACED" not in new_text and "Ada King Lovelace" in new_text
    public = page_words(app.test_client().get(f"/verify/{issued}").get_data(as_text=True))
    with app.app_context():
        replaced_on = issuing.date_label(certificate(new_code).issued_at, zone=True)
    assert f"This certificate was replaced on {replaced_on} by a corrected one" in public


def test_someone_else_cannot_fetch_a_revoked_certificate(app, issued):
    _revoke(app, issued)
    with app.app_context():
        other = sign_in(app.test_client(), make_user())
    for suffix in ("", ".pdf", ".json"):
        assert other.get(f"/me/certificates/{issued}{suffix}").status_code == 404


def _roster(app: Flask) -> list[dict[str, str]]:
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    response = admin.get("/admin/courses/minimal/roster.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_roster_gives_a_revoked_certificate_its_code_and_status(app, issued):
    _revoke(app, issued)
    [row] = _roster(app)
    assert (row["certificate_code"], row["certificate_status"]) == (issued, "revoked")


def test_the_roster_names_the_learner_as_the_certificate_does(app, client, issued):
    with app.app_context():
        email = db.session.get(User, certificate(issued).user_id).email
    # The profile asks for a fresh sign-in with the password.
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    response = client.post(
        "/auth/profile",
        data={"full_name": "Ada King", "email": email, "licence_number": "SW-999",
              "licence_jurisdiction": "Ohio"},
    )  # fmt: skip
    assert response.location == "/auth/profile"
    with app.app_context():
        assert db.session.get(User, certificate(issued).user_id).full_name == "Ada King"
    [row] = _roster(app)
    assert row["participant_name"] == "Ada Lovelace" and row["email"] == email
    assert row["license_jurisdiction"] != "Ohio" and row["license_number"] != "SW-999"
    assert (row["certificate_code"], row["certificate_status"]) == (issued, "valid")


def test_the_admin_page_of_a_replaced_certificate_names_its_replacement_in_us_dates(
    app, issued
):
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
        stored = certificate(issued)
        completed, issued_at = stored.snapshot["completed_on"], stored.snapshot["issued_at"]
        completed_label = issuing.date_label(dt.date.fromisoformat(completed))
    response = admin.post(
        f"/admin/certificates/{issued}/reissue", data={"reissue-reason": "Name corrected"}
    )
    new_code = response.location.rsplit("/", 1)[1]
    page = page_words(admin.get(f"/admin/certificates/{issued}").get_data(as_text=True))
    link = f'<a href="/admin/certificates/{new_code}">'
    assert f"Status: <strong>Replaced</strong>, by {link}" in page
    assert f"<dt>Completed on</dt><dd>{completed_label} (Central Time)</dd>" in page
    assert "<dt>License number</dt>" in page and "Licence" not in page
    assert completed not in page and issued_at not in page  # no ISO dates
    assert "True" not in page and "Sample:" not in page


def test_the_transcript_reads_as_the_certificate_states_it(app, client, package_copy, issued):
    manifest = package_copy / "course.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("(test course)\n", "(test course), Revised\n", 1))
    with app.app_context():
        assert import_course(package_copy).title.endswith("Revised")  # version 2 renames it
    page = page_words(client.get("/me").get_data(as_text=True))
    assert "Revised" not in page  # the course and its certificate as certified
    # Two links carry the course's title; read out of context they must still differ.
    assert (f'<a href="/me/certificates/{issued}"><span class="visually-hidden">Certificate: '
            "</span>Youth Who Run") in page
    assert "<td data-label=\"Status\">Completed</td>" in page
    _revoke(app, issued)
    page = page_words(client.get("/me").get_data(as_text=True))
    assert "<td data-label=\"Status\">Completed; certificate revoked</td>" in page
    assert "<td data-label=\"Credit\">—</td>" in page


def test_my_learning_and_the_course_page_never_offer_a_revoked_certificate_as_valid(
    app, client, issued
):
    assert "View your certificate" in client.get("/courses/minimal").get_data(as_text=True)
    _revoke(app, issued)
    course_page = page_words(client.get("/courses/minimal").get_data(as_text=True))
    assert "Your certificate for this course was revoked" in course_page
    assert f'href="/me/certificates/{issued}">See your revoked certificate</a>' in course_page
    assert "View your certificate" not in course_page
    home = page_words(client.get("/").get_data(as_text=True))
    assert f'href="/me/certificates/{issued}">See your revoked certificate</a>' in home
    assert "Download the certificate (PDF, marked revoked)" in home
    assert "View your certificate" not in home

"""A board uploads the certificate PDF it was handed: is it the file issued, unchanged?"""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask

from course import certificate_changes
from course.extensions import db
from course.models import Role
from tests.course.certificate_kit import certificate
from tests.course.certkit import finish_course, page_words
from tests.course.factories import make_user

PROVIDER = {"PROVIDER_NAME": "Riverside Center for Child Welfare Training"}


def _upload(app: Flask, data: bytes, name: str = "certificate.pdf"):
    return app.test_client().post(
        "/verify/pdf", data={"pdf": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )  # fmt: skip


def _issued(make_app, package_copy: Path, **fields: str):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy, **fields)
    return app, learner, code, learner.get(f"/me/certificates/{code}.pdf").data


def test_the_pdf_as_issued_is_recognized_with_its_status(make_app, package_copy: Path):
    app, _, code, pdf = _issued(make_app, package_copy, full_name="Grace Hopper")
    response = _upload(app, pdf)
    page = page_words(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "<title>Valid: PDF check" in page and "Valid certificate." in page
    assert "exactly as it was issued: not one byte of it has changed since" in page
    assert "Grace Hopper" in page and code in page
    # It names a person: kept out of search engines and caches, as the code's page is.
    assert response.headers["Cache-Control"] == "no-store"


def test_an_edited_pdf_matches_nothing_and_points_to_the_record_it_names(
    make_app, package_copy: Path
):
    app, _, code, pdf = _issued(make_app, package_copy)
    edited = pdf.replace(b"/Title (", b"/Title (Edited ", 1)
    assert edited != pdf
    page = page_words(_upload(app, edited).get_data(as_text=True))
    assert "<title>No match: PDF check" in page and "No match." in page
    assert "saved again, or printed to PDF, by another program" in page
    assert f'href="/verify/{code}">check that certificate\'s record</a>' in page
    assert "Valid certificate." not in page


def test_a_revoked_certificates_file_as_issued_reads_revoked(make_app, package_copy: Path):
    app, learner, code, pdf = _issued(make_app, package_copy)
    with app.app_context():
        certificate_changes.revoke(certificate(code), make_user(role=Role.ADMIN), "Shared login")
        db.session.commit()
    page = page_words(_upload(app, pdf).get_data(as_text=True))
    assert "<title>Revoked: PDF check" in page and "Revoked." in page
    # The holder's copy now says REVOKED across its face: not the file issued, but it
    # still leads the board to the record.
    marked = learner.get(f"/me/certificates/{code}.pdf").data
    page = page_words(_upload(app, marked).get_data(as_text=True))
    assert "No match." in page and f'href="/verify/{code}"' in page


def test_a_file_that_is_no_pdf_is_refused_with_a_reason(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    refused = _upload(app, b"Dear board, please accept this.", "letter.pdf")
    assert refused.status_code == 400
    assert "That file is not a PDF." in refused.get_data(as_text=True)
    empty = app.test_client().post("/verify/pdf", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert "Choose the certificate&#39;s PDF file." in empty.get_data(as_text=True)
    # A PDF with no verification link of ours: the board is sent to type the code.
    page = page_words(_upload(app, b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF").get_data(
        as_text=True))  # fmt: skip
    assert "No match." in page and "Enter the certificate code</a> printed on the" in page


def test_the_pdf_forms_address_opened_again_returns_to_the_form(make_app):
    response = make_app().test_client().get("/verify/pdf")
    assert response.status_code == 303
    assert response.location.endswith("/verify#check-pdf")

"""What a board reads on the verification page: whether a replaced certificate's
completion still stands, and whom to ask about a certificate."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask

from course import certificate_changes
from course.extensions import db
from course.models import Role
from tests.course.certificate_kit import certificate
from tests.course.certkit import finish_course, page_words, pdf_words
from tests.course.factories import make_user

PROVIDER = {
    "PROVIDER_NAME": "Riverside Center for Child Welfare Training",
    "PROVIDER_CONTACT": "ce-records@riverside.example.org",
    "CERT_SIGNATORY_NAME": "Dana Whitfield, LCSW",
}


def _verify(app: Flask, code: str) -> str:
    response = app.test_client().get(f"/verify/{code}")
    assert response.status_code == 200
    return page_words(response.get_data(as_text=True))


def _reissue(app: Flask, code: str, new_name: str) -> str:
    with app.app_context():
        old = certificate(code)
        old.user.full_name = new_name
        new = certificate_changes.reissue(old, make_user(role=Role.ADMIN), "Name corrected")
        db.session.commit()
        return new.code


def _revoke(app: Flask, code: str) -> None:
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        certificate_changes.revoke(certificate(code), admin, "Completed by another person")
        db.session.commit()


def test_a_replaced_certificate_says_its_completion_still_stands(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy, full_name="Ada Lovelace")
    new_code = _reissue(app, code, "Ada King")
    page = _verify(app, code)
    assert "Replaced." in page
    assert "The completion it records still stands" in page
    # The corrected certificate is the holder's to share: neither its code nor the new
    # name is published under the old code.
    assert new_code not in page and "Ada King" not in page


def test_a_replaced_certificate_whose_replacement_was_revoked_says_so(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy, full_name="Ada Lovelace")
    second = _reissue(app, _reissue(app, code, "Ada King"), "Ada King-Byron")
    _revoke(app, second)
    page = _verify(app, code)
    assert "Replaced." in page
    assert "has since been revoked, so this completion is no longer certified" in page
    assert "still stands" not in page


def test_a_name_corrected_later_is_withheld_from_the_old_codes_page(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy, full_name="Maria Gomez")
    second = _reissue(app, code, "Mateo Gomez")
    page = _verify(app, code)
    # The name someone has put behind them is not published to whoever holds the old
    # code; the board is told why the row is empty and whom to ask.
    assert "Maria Gomez" not in page and "Mateo Gomez" not in page
    assert "Not shown: the name was corrected on a later certificate" in page
    assert "Mateo Gomez" in _verify(app, second)


def test_a_correction_that_kept_the_name_still_shows_it(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy, full_name="Ada Lovelace")
    _reissue(app, code, "Ada Lovelace")  # say, the license number was corrected
    page = _verify(app, code)
    assert "Replaced." in page and "Ada Lovelace" in page
    assert "Not shown" not in page


def test_the_verification_page_says_whom_to_ask(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy)
    _revoke(app, code)
    page = _verify(app, code)
    mail = "ce-records@riverside.example.org"
    assert (
        f'Contact Riverside Center for Child Welfare Training: <a href="mailto:{mail}">{mail}</a>'
        in page
    )


def test_a_certificates_answer_is_kept_out_of_search_engines_and_caches(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy, full_name="Grace Hopper")
    credential = learner.get(f"/me/certificates/{code}.json").data
    board = app.test_client()
    uploaded = board.post(
        "/verify/credential",
        data={"credential": (io.BytesIO(credential), "credential.json")},
        content_type="multipart/form-data",
    )
    assert "The signature is valid" in uploaded.get_data(as_text=True)
    # The status is as of the upload, as on the code's page: the time a board files.
    assert re.search(r"Checked \w+ \d+, \d{4}, \d+:\d\d:\d\d [AP]M \w+\.",
                     uploaded.get_data(as_text=True))
    for response in (
        board.get(f"/verify/{code}"), board.get("/verify/7K3M-Q9XD-2HTP-W4RB-5"), uploaded
    ):
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert response.headers["Cache-Control"] == "no-store"
    # The form itself may be found and cached: it names nobody.
    assert "X-Robots-Tag" not in board.get("/verify").headers


def test_an_altered_credential_is_refused_in_plain_words_with_a_way_forward(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy)
    credential = json.loads(learner.get(f"/me/certificates/{code}.json").data)
    credential["credentialSubject"]["creditsEarned"] = 10
    response = app.test_client().post(
        "/verify/credential",
        data={"credential": (io.BytesIO(json.dumps(credential).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    page = page_words(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    assert "Not valid. This file was changed after it was issued, or it was not issued here" in page
    assert "enter the certificate code" in page
    assert "check that certificate's record" in page  # the record the site vouches for
    # The verdict says "altered" once, not once in words and again in the technical reason.
    verdict = page[page.index("Not valid.") : page.index("Technical detail")]
    assert "altered" not in verdict


def test_a_board_may_paste_the_printed_address_into_the_code_box(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), package_copy)
    with app.app_context():
        printed = certificate(code).snapshot["verify_url"]
    response = app.test_client().get("/verify", query_string={"code": printed})
    assert response.status_code == 302
    assert response.location.endswith(f"/verify/{code}")


def test_the_verification_page_gives_the_issue_date_printed_on_the_certificate(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER, PROVIDER_TIMEZONE="Pacific/Honolulu")
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy)
    pdf = pdf_words(learner.get(f"/me/certificates/{code}.pdf").data)
    printed = re.search(r"Issued (\w+ \d+, \d{4})", pdf)
    page = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    page = page_words(re.sub(r"<[^>]+>", " ", page))
    assert f"Issued on {printed.group(1)} (Hawaii Time)" in page


def test_a_credential_keeping_only_its_rdfc_proof_is_not_called_altered(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy)
    credential = json.loads(learner.get(f"/me/certificates/{code}.json").data)
    # A wallet that knows one cryptosuite may keep only that proof of the set.
    credential["proof"] = [p for p in credential["proof"]
                           if p["cryptosuite"] == "eddsa-rdfc-2022"]  # fmt: skip
    response = app.test_client().post(
        "/verify/credential",
        data={"credential": (io.BytesIO(json.dumps(credential).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    # As a sighted reader sees it: a code ending in a symbol ("~") also names it for a
    # screen reader ("tilde"), which failed the phrase below about one run in seven.
    shown = re.sub(r'<span class="visually-hidden code-spoken">.*?</span>', "",
                   response.get_data(as_text=True))
    page = page_words(re.sub(r"<[^>]+>", "", shown))
    assert "Not checked. This file's signature is of a kind this page does not read" in page
    assert "changed after it was issued" not in page
    assert "enter the certificate code" in page
    # One click to the record the file names, which the site itself vouches for.
    assert f"The file names certificate {code}: check that certificate's record" in page
    assert f'href="/verify/{code}"' in response.get_data(as_text=True).replace("%2A", "*")


def test_a_jurisdiction_given_without_a_number_is_on_the_page_as_on_the_pdf(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    learner = app.test_client()
    _, code = finish_course(app, learner, package_copy, licence_jurisdiction="Ohio")
    assert "Licensed in Ohio" in pdf_words(learner.get(f"/me/certificates/{code}.pdf").data)
    # A board holding the PDF finds the same words on the page, not a line left out.
    page = page_words(re.sub(r"<[^>]+>", " ", app.test_client().get(f"/verify/{code}").text))
    assert "License Licensed in Ohio" in page


def test_an_address_holding_a_sentence_is_not_repeated_on_the_verification_page(client):
    # A forger's link or QR code to this site, worded as a verdict.
    claim = "This certificate is VALID. Jane Doe completed 40 contact hours, NASW 886-000"
    response = client.get(f"/verify/{claim}")
    page = page_words(re.sub(r"<[^>]+>", " ", response.text))
    assert response.status_code == 404 and "That code has a typing mistake" in page
    assert "Jane Doe" not in page and "40 contact hours" not in page
    # A code mistyped from the paper is still shown back, to be compared with it.
    mistyped = "7K3M-Q9XD-2HTP-W4RB-6"
    page = page_words(re.sub(r"<[^>]+>", " ", client.get(f"/verify/{mistyped}").text))
    assert f"That code has a typing mistake or is not in the right form: {mistyped} ." in page


@pytest.mark.parametrize("settings", [PROVIDER, {}], ids=["provider", "sample"])
def test_a_certificate_that_followed_another_says_why_its_issue_date_is_later(
    make_app, package_copy: Path, settings: dict
):
    # A board told "revoked" for one code and then handed another saw a plain "Valid"
    # with an issue date after the completion, and no word of how the two relate.
    app = make_app(**settings)
    _, code = finish_course(app, app.test_client(), package_copy, full_name="Ada Lovelace")
    _revoke(app, code)
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        reinstated = certificate_changes.reinstate(certificate(code), admin, "Wrong learner")
        db.session.commit()
        new_code = reinstated.code
    page = _verify(app, new_code)
    assert "Valid certificate." in page or "Sample certificate" in page
    assert ("It reinstates this completion after an earlier certificate for it was revoked in"
            " error") in page
    assert code not in page  # the earlier code is not published under the new one
    corrected = _verify(app, _reissue(app, new_code, "Ada King"))
    assert "It replaces an earlier certificate for the same completion, after a correction" in (
        corrected)
    assert "reinstates" not in corrected
    _, other = finish_course(app, app.test_client(), package_copy, full_name="Grace Hopper")
    first_issue = _verify(app, other)
    assert "reinstates" not in first_issue and "replaces an earlier" not in first_issue

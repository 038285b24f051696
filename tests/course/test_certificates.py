"""Certificates in the app: issued once, frozen, owner-only, verifiable, revocable."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from course.extensions import db
from course.models import AuditEvent, Certificate, Course, Role, User
from course.templating import licence_ending
from tests.course.certkit import pdf_words
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt


def _complete(app, client, package_dir: Path, **user_fields) -> User:
    """Sign a new learner in and take them through the whole course."""
    with app.app_context():
        if db.session.scalar(select(Course)) is None:
            import_course(package_dir)
        learner = make_user(**user_fields)
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        client.post(
            "/courses/minimal/evaluation", data=evaluation_form(db.session.scalar(select(Course)))
        )
    return learner


@pytest.fixture
def package(package_copy: Path) -> Path:
    manifest = package_copy / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    return package_copy


@pytest.fixture
def issued(app, client, package):
    """A learner with a completed course; returns (learner, certificate code)."""
    learner = _complete(
        app,
        client,
        package,
        full_name="Zoë Nguyễn-O'Brien",
        licence_number="LSW-12345",
        licence_jurisdiction="Ohio",
    )
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302
    code = response.location.rsplit("/", 1)[1]
    return learner, code


def test_completing_the_course_issues_exactly_one_certificate(app, client, issued):
    _, code = issued
    again = client.get("/courses/minimal/certificate")
    assert again.location.endswith(f"/me/certificates/{code}")
    page = client.get(f"/me/certificates/{code}").get_data(as_text=True)
    assert "Zoë Nguyễn-O&#39;Brien" in page
    assert "LSW-12345" in page and "Example Board of Social Work" in page
    assert "<svg" in page  # the QR code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_a_version_published_after_the_pass_does_not_change_what_is_certified(
    app, client, package
):
    with app.app_context():
        import_course(package)
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        # While the evaluation waits, a reviewer publishes a version with other hours.
        manifest = package / "course.yaml"
        manifest.write_text(manifest.read_text().replace("contact_hours: 0.25", "contact_hours: 2")
                            .replace("(test course)", "(revised)"))  # fmt: skip
        import_course(package)
        course = db.session.scalar(select(Course))
        assert course.current_version.number == 2
        client.post("/courses/minimal/evaluation", data=evaluation_form(course))
        certificate = db.session.scalar(select(Certificate))
        said = certificate.snapshot
        # What was read and passed, as the roster's "version taken" says: version 1.
        assert (said["course_version"], said["contact_hours"]) == (1, "0.25")
        assert said["course_title"] == "Youth Who Run from Foster Care (test course)"
        assert certificate.version.number == 1


def test_the_page_labels_the_license_and_author_as_the_pdf_does(client, issued):
    _, code = issued
    html = client.get(f"/me/certificates/{code}").get_data(as_text=True)
    page = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    for label in ("License no. LSW-12345 (Ohio)", "Course author"):
        assert label in page and label in pdf, label
    assert "License LSW-12345" not in page and "<dt>Author</dt>" not in html


def test_the_pdf_carries_every_field_and_matches_the_stored_hash(app, client, issued):
    _, code = issued
    response = client.get(f"/me/certificates/{code}.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages
    )
    for field in (
        "Zoë Nguyễn-O'Brien",
        "LSW-12345",
        "Youth Who Run from Foster Care",
        "Alex Rivera",
        "Example CE Provider",
        "886-123",
        code,
    ):
        assert field in text, field
    with app.app_context():
        stored = db.session.scalar(select(Certificate))
        assert hashlib.sha256(response.data).hexdigest() == stored.pdf_sha256


def test_the_issued_pdf_is_kept_and_rerendering_the_record_gives_the_same_bytes(
    app, client, issued, monkeypatch
):
    _, code = issued
    import certificates
    from course import issuing

    with app.app_context():
        stored = db.session.scalar(select(Certificate))
        rerendered = certificates.render_pdf(issuing.record_of(stored))
        assert hashlib.sha256(rerendered).hexdigest() == stored.pdf_sha256
    # a later template change must not alter what was issued
    monkeypatch.setattr(certificates, "render_pdf", lambda record: b"%PDF-new template")
    downloaded = client.get(f"/me/certificates/{code}.pdf").data
    assert downloaded == rerendered


def test_the_issued_pdf_is_dated_when_it_was_issued(app, client, issued):
    _, code = issued
    info = PdfReader(io.BytesIO(client.get(f"/me/certificates/{code}.pdf").data)).metadata
    with app.app_context():
        stored = db.session.scalar(select(Certificate))
        assert info.creation_date == stored.issued_at.replace(microsecond=0)


def test_a_pdf_stored_before_files_were_dated_is_served_as_stored(app, client, issued):
    _, code = issued
    with app.app_context():
        stored = db.session.scalar(select(Certificate))
        # The file as issued before: dated 2000-01-01 by ReportLab's invariant mode.
        dated = stored.issued_at.strftime("D:%Y%m%d%H%M%S+00'00'").encode()
        old = stored.pdf.replace(dated, b"D:20000101000000+00'00'")
        assert old != stored.pdf
        stored.pdf, stored.pdf_sha256 = old, hashlib.sha256(old).hexdigest()
        db.session.commit()
    downloaded = client.get(f"/me/certificates/{code}.pdf").data
    assert downloaded == old
    assert "Sample certificate" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_an_issued_certificate_does_not_change_when_the_name_does(app, client, issued):
    learner, code = issued
    with app.app_context():
        db.session.get(User, learner.id).full_name = "Somebody Else"
        db.session.commit()
    page = client.get(f"/me/certificates/{code}").get_data(as_text=True)
    assert "Nguyễn" in page and "Somebody Else" not in page


def test_another_learner_gets_404_for_someone_elses_certificate(app, issued):
    _, code = issued
    with app.app_context():
        other = sign_in(app.test_client(), make_user())
    for suffix in ("", ".pdf", ".json"):
        assert other.get(f"/me/certificates/{code}{suffix}").status_code == 404


def test_the_certificate_is_not_issued_before_completion(app, client, package):
    with app.app_context():
        import_course(package)
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302 and response.location.endswith("/courses/minimal")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_public_verification_shows_only_the_essentials(app, issued):
    _, code = issued
    public = app.test_client()
    page = public.get(f"/verify/{code}").get_data(as_text=True)
    assert "Sample certificate" in page and "Zoë Nguyễn-O&#39;Brien" in page
    assert "LSW-12345" not in page  # the license number is not public, only its end
    # "License number", not "License no.", which a screen reader reads as "license, no".
    assert "<dt>License number</dt><dd>ending in 2345 (Ohio)</dd>" in page
    assert "(version 1)" in page
    # When the status was confirmed, for a board that files the page.
    assert re.search(r"Checked \w+ \d+, \d{4}, \d+:\d\d:\d\d [AP]M \w+\.", page)
    # Credit is the hours only; its type and the format have their own rows, labelled as
    # the PDF labels them ("0.25 contact hours, General" read as a word about the hours).
    assert re.search(r"<dt>Credit</dt><dd>[\d.]+ contact hours?</dd>\s*"
                     r"<dt>Credit type</dt><dd>[^<]+</dd>\s*<dt>Format</dt><dd>", page)
    typed = public.get("/verify", query_string={"code": code.lower().replace("-", " ")})
    assert typed.status_code == 302 and typed.location.endswith(f"/verify/{code}")


def test_a_typo_is_caught_before_any_lookup_and_unknown_codes_say_so(app, issued):
    _, code = issued
    public = app.test_client()
    wrong = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    typo = public.get("/verify", query_string={"code": wrong})
    assert typo.status_code == 200 and "typing mistake" in typo.get_data(as_text=True)
    # Typed into the address bar from the paper, the same typo is said to be one, not
    # "not issued here", which would read as a forgery.
    address = public.get(f"/verify/{wrong}")
    page = address.get_data(as_text=True)
    assert address.status_code == 404 and "That code has a typing mistake" in page
    assert "<title>Mistyped code: " in page and "not issued here" not in page
    assert "Checked " not in page  # never looked up: no time a board could file as checked
    # A box to correct it in, holding the code as it came: the mistake is one character.
    assert re.search(rf'<form method="get" action="/verify"[^>]*>.*?<input[^>]*name="code"[^>]*'
                     rf'value="{wrong}"', page, re.S)
    assert public.get(f"/verify/{code}/").location.endswith(f"/verify/{code}")  # a mailer's slash
    import certificates

    unknown = public.get(f"/verify/{certificates.new_code()}")
    assert unknown.status_code == 404 and "No certificate found" in unknown.get_data(as_text=True)


def test_a_code_not_found_tells_a_board_whom_to_ask(make_app) -> None:
    # A board holding a certificate that may be forged needs someone to ask.
    app = make_app(PROVIDER_NAME="Riverside Center", PROVIDER_CONTACT="ce@riverside.example.org")
    import certificates

    page = app.test_client().get(f"/verify/{certificates.new_code()}")
    assert page.status_code == 404
    assert ("To report a certificate that names Riverside Center but is not found here, "
            'contact <a href="mailto:ce@riverside.example.org">ce@riverside.example.org</a>.'
            ) in " ".join(page.get_data(as_text=True).split())


def test_a_license_number_ends_in_its_last_four_letters_or_digits() -> None:
    assert licence_ending("LSW-12345") == "2345"
    assert licence_ending("LCSW 12345-B") == "345-B"  # the dash does not count as one
    assert licence_ending("1234") == "34"  # never more than half of a short number
    assert licence_ending("A-1") == "1" and licence_ending("7") == ""
    # A right-to-left override saved before such characters were refused: the PDF prints
    # LCSW-123456, so the page must end in 3456, not "34<RLO>56" shown reversed.
    assert licence_ending("LCSW-1234\u202e56") == "3456"
    assert licence_ending("LSW-\u200b12345\u200b") == "2345"


def test_admin_revokes_with_a_reason_and_verification_says_revoked(app, client, issued):
    _, code = issued
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    empty = admin.post(f"/admin/certificates/{code}/revoke", data={"reason": ""})
    assert empty.status_code == 422
    admin.post(f"/admin/certificates/{code}/revoke", data={"reason": "Completed by another person"})
    page = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "Revoked." in page and re.search(r"revoked on \w+ \d+, \d{4} \(\w+ Time\)", page)
    assert "<dt>Status</dt><dd>Revoked (a sample: no credit)</dd>" in page  # no provider set
    # the learner's next visit shows the revoked certificate; it does not issue a new one
    again = client.get("/courses/minimal/certificate", follow_redirects=True)
    banner = " ".join(again.get_data(as_text=True).split())
    # Dated as the verification page dates it, with the provider's time zone.
    assert re.search(r"This certificate is revoked, since \w+ \d+, \d{4} \(\w+ Time\)\.", banner)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "certificate.revoked")
        )
        assert event.subject_id == code and event.detail["reason"] == "Completed by another person"
        assert event.ip_address == "127.0.0.1"


def test_reissue_after_a_name_correction_supersedes_the_old_code(app, issued):
    learner, code = issued
    with app.app_context():
        db.session.get(User, learner.id).full_name = "Zoë Nguyễn O'Brien-Park"
        db.session.commit()
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    refused = admin.post(f"/admin/certificates/{code}/reissue", data={"reissue-reason": " "})
    assert refused.status_code == 422
    assert "Give the reason for reissuing." in refused.get_data(as_text=True)
    response = admin.post(
        f"/admin/certificates/{code}/reissue", data={"reissue-reason": "Accents were missing"}
    )
    new_code = response.location.rsplit("/", 1)[1]
    assert new_code != code
    public = app.test_client()
    assert "Replaced." in public.get(f"/verify/{code}").get_data(as_text=True)
    fresh = public.get(f"/verify/{new_code}").get_data(as_text=True)
    assert "Sample certificate" in fresh and "O&#39;Brien-Park" in fresh
    with app.app_context():
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        new = db.session.scalar(select(Certificate).where(Certificate.code == new_code))
        assert old.superseded_by_id == new.id
        assert new.snapshot["completed_on"] == old.snapshot["completed_on"]
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "certificate.reissued")
        )
        assert event.detail["reason"] == "Accents were missing"
        assert event.detail["new_code"] == new_code
        assert event.detail["changed"]["participant_name"][1] == "Zoë Nguyễn O'Brien-Park"
        assert event.ip_address == "127.0.0.1" and event.actor_id is not None


def test_the_reissue_form_says_the_new_certificate_prints_the_accounts_license(app, issued):
    learner, code = issued
    with app.app_context():
        # As a learner's own profile change leaves it: unchecked, not yet on the certificate.
        db.session.get(User, learner.id).licence_number = "LSW-99999"
        db.session.commit()
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    page = " ".join(admin.get(f"/admin/certificates/{code}").get_data(as_text=True).split())
    reissue = page[page.index('id="reissue"'):page.index('id="revoke"')]
    # An admin reissuing to fix a name must see that the license changes too.
    assert "license no. LSW-99999" in reissue
    assert "This certificate prints license no. LSW-12345" in reissue


def test_the_reissue_form_words_a_jurisdiction_alone_as_the_certificate_prints_it(app, issued):
    learner, code = issued
    with app.app_context():
        account = db.session.get(User, learner.id)
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        certificate.snapshot = certificate.snapshot | {
            "licence_number": None, "licence_jurisdiction": None}
        account.licence_number, account.licence_jurisdiction = None, "Ohio"
        db.session.commit()
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    page = " ".join(admin.get(f"/admin/certificates/{code}").get_data(as_text=True).split())
    reissue = page[page.index('id="reissue"'):page.index('id="revoke"')]
    # "no license number ... This certificate prints no license number" told the admin nothing.
    assert "learner's account: " in reissue and "licensed in Ohio." in reissue
    assert "This certificate prints no license number: the new one will print" in reissue
    with app.app_context():  # the same jurisdiction on both: nothing to warn of
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        certificate.snapshot = certificate.snapshot | {"licence_jurisdiction": "Ohio"}
        db.session.commit()
    page = " ".join(admin.get(f"/admin/certificates/{code}").get_data(as_text=True).split())
    assert "This certificate prints" not in page


def test_learners_and_visitors_cannot_use_admin_certificate_actions(app, client, issued):
    _, code = issued
    assert (
        client.post(f"/admin/certificates/{code}/revoke", data={"reason": "x"}).status_code == 403
    )
    anonymous = app.test_client().get("/admin/certificates")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location


def test_admin_downloads_a_zip_of_a_courses_certificates(app, issued):
    _, code = issued
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    response = admin.get("/admin/certificates/export.zip", query_string={"course": "minimal"})
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert f"certificate-{code}.pdf" in archive.namelist()
        assert code in archive.read("index.csv").decode()
        # Opened alone, the ZIP says what it holds, who made it and how to verify.
        readme = archive.read("README.txt").decode()
    assert readme.startswith("Certificates for ") and ": 1 certificate." in readme
    assert "Made " in readme and "/verify/CODE" in readme
    future = admin.get(
        "/admin/certificates/export.zip", query_string={"course": "minimal", "start": "2999-01-01"}
    )
    with zipfile.ZipFile(io.BytesIO(future.data)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "index.csv"]
        assert ": 0 certificates." in archive.read("README.txt").decode()


def test_the_signed_credential_verifies_and_a_tampered_one_fails(
    app, client, runner, issued, tmp_path
):
    _, code = issued
    document = json.loads(client.get(f"/me/certificates/{code}.json").data)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document))
    result = runner.invoke(args=["certs", "verify", str(good)])
    assert result.exit_code == 0
    assert f"certificate {code} is valid (a sample: it certifies no credit)" in result.output
    document["credentialSubject"]["name"] = "Someone Else"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    tampered = runner.invoke(args=["certs", "verify", str(bad)])
    assert tampered.exit_code == 1 and "INVALID" in tampered.output
    upload = app.test_client().post(
        "/verify/credential",
        data={"credential": (io.BytesIO(bad.read_bytes()), "bad.json")},
        content_type="multipart/form-data",
    )
    assert "Not valid." in upload.get_data(as_text=True)
    assert "<title>Not valid: Credential check" in upload.get_data(as_text=True)
    ok = app.test_client().post(
        "/verify/credential",
        data={"credential": (io.BytesIO(good.read_bytes()), "good.json")},
        content_type="multipart/form-data",
    )
    assert "The signature is valid" in ok.get_data(as_text=True)
    # The verdict is the title's first words, as on the code's page (this one is a sample).
    assert "<title>Sample, no credit: Credential check" in ok.get_data(as_text=True)


def test_reopening_the_credential_check_address_shows_the_upload_form(client):
    # A check's result is shown at the upload's address; opening it again by GET looked
    # "credential" up as a certificate code and said no certificate has it.
    reopened = client.get("/verify/credential")
    assert reopened.status_code == 303 and reopened.location == "/verify#check-credential"
    page = client.get(reopened.location).get_data(as_text=True)
    assert '<h2 id="check-credential">Check a signed credential</h2>' in page


def test_verification_lookups_are_rate_limited(tmp_path):
    from course import create_app
    from course.extensions import limiter

    app = create_app(
        {
            "TESTING": True,
            "RATELIMIT_ENABLED": True,
            "VERIFY_RATE_LIMIT": "5 per minute",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/rl.db",
        }
    )
    with app.app_context():
        db.create_all()
        limiter.reset()
    client = app.test_client()
    statuses = [client.get("/verify/AAAA-AAAA-AAAA-AAAA-A").status_code for _ in range(7)]
    assert statuses[-1] == 429 and 429 not in statuses[:5]


def test_a_board_checking_many_codes_spends_one_lookup_on_each(tmp_path):
    from course import create_app
    from course.extensions import limiter

    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                      "VERIFY_RATE_LIMIT": "4 per minute",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/rl.db"})  # fmt: skip
    with app.app_context():
        db.create_all()
        limiter.reset()
    client = app.test_client()
    code = "7K3M-Q9XD-2HTP-W4RB-5"  # well formed, no one's
    # The blank form, then a typed code sent on to its page: one request counted each time.
    for _ in range(4):
        assert client.get("/verify").status_code == 200
        sent = client.get("/verify", query_string={"code": code})
        assert sent.status_code == 302 and client.get(sent.location).status_code == 404
    assert client.get(f"/verify/{code}").status_code == 429
    assert client.get("/verify").status_code == 200  # the form itself is never refused


def test_the_lookup_hint_s_example_is_a_well_formed_code_and_a_typo_is_explained(client):
    page = client.get("/verify").get_data(as_text=True)
    example = re.search(r"For example ([0-9A-Z*~$=-]+)\.", page).group(1)
    # Typed as shown, the example is not refused as malformed: it is simply no one's.
    response = client.get("/verify", query_string={"code": example})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 404
    wrong = client.get("/verify", query_string={"code": example[:-1] + "X"})
    text = wrong.get_data(as_text=True)
    # The form asks for a "Certificate code": the error says "code" too, never "ID".
    # Worded as the verification address words it.
    assert "That code has a typing mistake or is not in the right form" in text
    assert "A certificate code is 4 groups of 4 letters and digits, then one last check" in text
    assert " ID " not in text


def test_a_reversed_period_keeps_the_admin_on_the_page_with_what_they_chose(app, issued):
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    refused = admin.get("/admin/certificates/export.zip", query_string={
        "course": "minimal", "start": "2026-12-31", "end": "2026-01-01"})
    # Not an empty ZIP that says "0 certificates": the form again, saying why.
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    page = refused.get_data(as_text=True)
    assert '<a href="#end">The end date is before the start date.</a>' in page
    assert 'value="2026-12-31"' in page and 'value="2026-01-01"' in page


def test_a_certificate_zip_names_the_course_as_its_certificates_state_it(app, issued, package):
    _, code = issued
    manifest = package / "course.yaml"
    manifest.write_text(manifest.read_text().replace(
        "title: Youth Who Run from Foster Care (test course)", "title: A Later Title", 1))
    with app.app_context():
        import_course(package)  # version 2, renamed: the certificate still states version 1's
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    response = admin.get("/admin/certificates/export.zip", query_string={"course": "minimal"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        readme = archive.read("README.txt").decode()
        [row] = csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig")))
    assert "version 1: Youth Who Run from Foster Care (test course)" in readme
    assert "A Later Title" not in readme
    assert (row["code"], row["course_title"], row["course_version"]) == (
        code, "Youth Who Run from Foster Care (test course)", "1")
    # What a board's register asks for, as the certificate states it.
    with app.app_context():
        stated = db.session.scalar(select(Certificate).where(Certificate.code == code)).snapshot
    assert row["contact_hours"] == str(stated["contact_hours"]) and row["contact_hours"]
    assert row["license_number"] == (stated["licence_number"] or "")


def test_an_admin_downloads_the_pdf_as_issued_beside_the_way_to_its_evidence(
    app, client, issued
):
    learner, code = issued
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        stored = db.session.scalar(select(Certificate).where(Certificate.code == code))
        sha256, enrolment_id = stored.pdf_sha256, stored.enrolment_id
    staff = sign_in(app.test_client(), admin)
    page = staff.get(f"/admin/certificates/{code}").get_data(as_text=True)
    assert f'href="/admin/certificates/{code}.pdf"' in page
    assert f'href="/admin/learners/{learner.id}#course-{enrolment_id}"' in page
    pdf = staff.get(f"/admin/certificates/{code}.pdf")
    assert pdf.mimetype == "application/pdf" and hashlib.sha256(pdf.data).hexdigest() == sha256
    assert client.get(f"/admin/certificates/{code}.pdf").status_code == 403  # the learner
    with app.app_context():
        pages = [e.detail["page"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.record_viewed"))]
        assert "certificate PDF" in pages



def test_pages_state_the_hours_as_the_certificate_does() -> None:
    # "1 contact hour" on the course page and "1.0 contact hour" on the certificate read
    # as two claims to an auditor comparing them.
    import course.learn  # noqa: F401  (the app's import order)
    from certificates.record import hours_text
    from course.templating import hours_label

    for hours in ("1.0", "1.5", "0.25", "2.0"):
        assert hours_label(Decimal(hours)) == hours_text(Decimal(hours))
    assert hours_label(1) == "1.0 contact hour" and hours_label(1.0) == "1.0 contact hour"

"""The provider is a deployment setting: a sample until a real one is set, frozen at issue."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from certificates import verify_url_for
from certificates.pdf import WATERMARK
from course import create_app
from course.config import ProductionConfig
from course.extensions import db
from course.models import Certificate
from tests.certificates.certificates_testkit import pixels_of
from tests.conftest import ROOT
from tests.course.certkit import finish_course, page_words, pdf_words

SAMPLE = "Sample, not valid for continuing-education credit"
REAL = {
    "PROVIDER_NAME": "Riverside Center for Child Welfare Training",
    "PROVIDER_CONTACT": "ce-records@riverside.example.org",
    "PROVIDER_TIMEZONE": "America/Denver",
    "CERT_SIGNATORY_NAME": "Dana Whitfield, LCSW",
    "CERT_SIGNATORY_TITLE": "Director of Continuing Education",
}


def _everything_said(app, client, code: str) -> dict[str, str]:
    """What the PDF, the HTML page, the verify page and the credential say, as text."""
    credential = json.loads(client.get(f"/me/certificates/{code}.json").data)
    return {
        "pdf": pdf_words(client.get(f"/me/certificates/{code}.pdf").data),
        "html": page_words(client.get(f"/me/certificates/{code}").get_data(as_text=True)),
        "verify": page_words(app.test_client().get(f"/verify/{code}").get_data(as_text=True)),
        "credential": f"{credential['name']} {credential['description']}",
    }


def test_without_a_provider_every_view_of_the_certificate_says_sample(app, client, package_copy):
    _, code = finish_course(app, client, package_copy)
    said = _everything_said(app, client, code)
    for where, text in said.items():
        assert SAMPLE in text, where
    assert json.loads(client.get(f"/me/certificates/{code}.json").data)["name"].startswith(SAMPLE)
    # A board checking in a hurry must not read "Valid certificate" on a sample.
    assert "Sample certificate: it certifies no credit." in said["verify"]
    assert "Valid certificate" not in said["verify"]
    for where in ("html", "pdf", "verify"):  # one name for the code a learner reads out
        assert "Certificate code" in said[where] and "Certificate ID" not in said[where], where
    with app.app_context():
        assert db.session.scalar(select(Certificate)).snapshot["sample"] is True


def test_a_demo_provider_still_issues_samples(make_app, package_copy):
    app = make_app(PROVIDER_NAME="Lakeshore Demo Institute (fictional)", PROVIDER_DEMO=True)
    client = app.test_client()
    _, code = finish_course(app, client, package_copy)
    said = _everything_said(app, client, code)
    assert all(SAMPLE in text for text in said.values())
    assert "Lakeshore Demo Institute (fictional)" in said["pdf"]


def test_a_real_provider_is_printed_with_its_signatory_and_contact(make_app, package_copy):
    app = make_app(**REAL)
    client = app.test_client()
    _, code = finish_course(app, client, package_copy)
    said = _everything_said(app, client, code)
    assert not any(SAMPLE in text for text in said.values())
    pdf = said["pdf"]
    assert "Riverside Center for Child Welfare Training" in pdf
    assert "Dana Whitfield, LCSW" in pdf and "Director of Continuing Education" in pdf
    assert "Example CE Provider" not in pdf  # the package's own provider line gives way
    # The HTML copy, printed, names whom to ask and who signs, as the PDF does...
    html = said["html"]
    article = html[html.index('<article class="certificate"'):html.index("</article>")]
    # A link, so a board reading the copy on a phone can write at once.
    mail = "ce-records@riverside.example.org"
    assert f'<dt>Contact</dt><dd><a href="mailto:{mail}">{mail}</a></dd>' in article
    assert ('<span class="cert-signatory-provider">Riverside Center for Child Welfare '
            "Training</span>") in article
    # ...and one way to ask for a correction: the form, with the contact beside it.
    assert html.count("Something wrong on this certificate") == 1
    section = html[html.index('id="correction"'):html.index("</section>")]
    assert ("You can also contact Riverside Center for Child Welfare Training directly: "
            "ce-records@riverside.example.org.") in section  # fmt: skip
    assert "Riverside Center for Child Welfare Training" in said["verify"]
    assert "Valid certificate." in said["verify"] and "sample" not in said["verify"].lower()
    # No watermark either: it is drawn as shapes, so look for its color on the page.
    assert pixels_of(client.get(f"/me/certificates/{code}.pdf").data, WATERMARK) == 0


def test_an_issued_certificate_keeps_its_sample_status_when_a_provider_is_set_later(
    make_app, package_copy
):
    before = make_app()
    first = before.test_client()
    _, old_code = finish_course(before, first, package_copy)
    old_pdf = first.get(f"/me/certificates/{old_code}.pdf").data

    after = make_app(**REAL)  # same database, new settings
    again = after.test_client()
    from tests.course.factories import sign_in

    with after.app_context():
        owner = db.session.scalar(select(Certificate).where(Certificate.code == old_code)).user
        sign_in(again, owner)
    assert again.get(f"/me/certificates/{old_code}.pdf").data == old_pdf
    assert SAMPLE in page_words(after.test_client().get(f"/verify/{old_code}").get_data(True))

    newcomer = after.test_client()
    _, new_code = finish_course(after, newcomer, package_copy)
    assert SAMPLE not in pdf_words(newcomer.get(f"/me/certificates/{new_code}.pdf").data)
    assert SAMPLE in pdf_words(old_pdf) and "Riverside" not in pdf_words(old_pdf)


def test_certificates_link_to_the_configured_base_url(make_app, package_copy):
    app = make_app(BASE_URL="http://127.0.0.1:5101")
    client = app.test_client()
    _, code = finish_course(app, client, package_copy)
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    assert verify_url_for("http://127.0.0.1:5101", code) in pdf
    assert "5000" not in pdf


def _signature_png(path: Path) -> Path:
    Image.new("RGB", (300, 80), "white").save(path, format="PNG")
    return path


def test_a_signature_scan_is_drawn_on_the_certificate(make_app, package_copy, tmp_path):
    app = make_app(**REAL, CERT_SIGNATURE_IMAGE=str(_signature_png(tmp_path / "sig.png")))
    client = app.test_client()
    _, code = finish_course(app, client, package_copy)
    page = PdfReader(io.BytesIO(client.get(f"/me/certificates/{code}.pdf").data)).pages[0]
    assert len(page.images) == 1


def test_a_learner_finds_where_to_complain_or_ask_for_an_accommodation(
    make_app, package_copy
):
    policies = "https://www.riverside.example.org/ce/policies"
    app = make_app(**REAL, PROVIDER_POLICIES_URL=policies)
    client = app.test_client()
    finish_course(app, client, package_copy)  # imports the course and signs a learner in
    page = page_words(app.test_client().get("/courses/minimal").get_data(as_text=True))
    # On the course page, before enrolling, and in every page's footer.
    assert ("<dt>Complaints and accommodations</dt> <dd>"
            f'<a href="{policies}">Riverside Center for Child Welfare Training\'s policies</a> '
            "say how to make a complaint or ask for an accommodation for a disability; or "
            'contact <a href="mailto:ce-records@riverside.example.org">') in page
    assert f'<a href="{policies}">Complaints and accommodations</a></p>' in page
    lesson = page_words(client.get("/courses/minimal").get_data(as_text=True))
    assert f'<a href="{policies}">Complaints and accommodations</a>' in lesson
    # With only a contact, the course page still says whom to ask.
    plain = make_app(**REAL)
    page = page_words(plain.test_client().get("/courses/minimal").get_data(as_text=True))
    assert ("To make a complaint or ask for an accommodation for a disability, contact "
            "Riverside Center for Child Welfare Training: ") in page
    assert "Complaints and accommodations</a>" not in page


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("PROVIDER_POLICIES_URL", "www.example.org/policies", "not a web address"),
        ("PROVIDER_POLICIES_URL", "javascript:alert(1)", "not a web address"),
        ("PROVIDER_TIMEZONE", "Central Time", "not an IANA time zone"),
        ("PROVIDER_TIMEZONE", "America/Nowhere", "not an IANA time zone"),
        ("CERT_SIGNATURE_IMAGE", "missing.png", "cannot be read"),
        ("CERT_SIGNATURE_IMAGE", "notes.txt", "must be a PNG or JPEG"),
    ],
)
def test_a_provider_setting_that_cannot_work_stops_the_start(tmp_path, setting, value, message):
    (tmp_path / "notes.txt").write_text("not an image")
    if setting == "CERT_SIGNATURE_IMAGE":
        value = str(tmp_path / value)
    with pytest.raises(RuntimeError, match=f"{setting}.*{message}"):
        create_app({"TESTING": True, setting: value,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def _production(tmp_path: Path, base_url: str | None) -> type[ProductionConfig]:
    settings = {
        "SECRET_KEY": "k" * 48,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": base_url,
    }
    return type("ProductionForTest", (ProductionConfig,), settings)


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        (None, "it is not set"),
        ("", "it is not set"),
        ("http://127.0.0.1:5000", "it is 'http://127.0.0.1:5000'"),
        ("http://ce.example.org", "it is 'http://ce.example.org'"),
        ("https://", "it is 'https://'"),
        ("ce.example.org", "it is 'ce.example.org'"),
    ],
)
def test_production_refuses_to_start_without_an_https_base_url(tmp_path, base_url, shown):
    with pytest.raises(RuntimeError) as refused:
        create_app(_production(tmp_path, base_url))
    message = str(refused.value)
    assert message.startswith("BASE_URL must be the public https:// address")
    assert shown in message and "BASE_URL=https://ce.example.org" in message


def test_production_starts_with_an_https_base_url(tmp_path):
    app = create_app(_production(tmp_path, "https://ce.example.org"))
    assert app.config["BASE_URL"] == "https://ce.example.org"


@pytest.mark.parametrize("signatory", ["", "Dana Whitfield, LCSW"])
def test_production_warns_when_certificates_would_name_no_signatory(
    tmp_path, caplog: pytest.LogCaptureFixture, signatory: str
):
    settings = _production(tmp_path, "https://ce.example.org")
    named = type("Named", (settings,), {
        "PROVIDER_NAME": "Lakeshore Institute", "CERT_SIGNATORY_NAME": signatory})
    with caplog.at_level(logging.WARNING):
        create_app(named)
    warned = "CERT_SIGNATORY_NAME is not set" in caplog.text
    assert warned == (not signatory), caplog.text
    assert "No real CE provider is set" not in caplog.text
    assert "PROVIDER_POLICIES_URL is not set: course pages link to no policy" in caplog.text


def test_production_warns_when_rate_limits_are_counted_per_worker(tmp_path, caplog):
    # Each worker counted alone: an address got every limit once per worker, and only
    # /healthz said "per-process".
    with caplog.at_level(logging.WARNING):
        create_app(_production(tmp_path, "https://ce.example.org"))
    assert "RATELIMIT_STORAGE_URI is memory://: each worker process counts on its own" in (
        caplog.text)
    caplog.clear()
    shared = type("Shared", (_production(tmp_path, "https://ce.example.org"),),
                  {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"})
    with caplog.at_level(logging.WARNING):
        create_app(shared)
    assert "RATELIMIT_STORAGE_URI is memory://" not in caplog.text


def test_production_is_quiet_about_policies_once_they_are_linked(tmp_path, caplog):
    settings = type("Linked", (_production(tmp_path, "https://ce.example.org"),), {
        "PROVIDER_NAME": "Lakeshore Institute", "CERT_SIGNATORY_NAME": "Dana Whitfield",
        "PROVIDER_POLICIES_URL": "https://lakeshore.example.org/policies"})  # fmt: skip
    with caplog.at_level(logging.WARNING):
        create_app(settings)
    assert "PROVIDER_POLICIES_URL" not in caplog.text


def _make_run_environment(*args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The variables `make run` hands to the flask commands (each printed instead of run)."""
    result = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed-run", "run",
         "FLASK=env #", *args],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("PROVIDER_", "CERT_"))},
             **(env or {})},  # fmt: skip
        check=False,
    )
    # Each `$(FLASK) db upgrade` line becomes `env # db upgrade`: it prints the environment.
    values: dict[str, str] = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition("=")
        if name in {"BASE_URL", "PROVIDER_NAME", "PROVIDER_DEMO", "CERT_SIGNATORY_NAME"}:
            values[name] = value
    values["echo"] = next((x for x in result.stdout.splitlines() if "link to" in x), "")
    return values


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed-run").exists(), reason="make run not set up")
def test_make_run_links_to_its_port_and_names_a_fictional_demo_provider():
    values = _make_run_environment("PORT=5101")
    assert values["BASE_URL"] == "http://127.0.0.1:5101"
    assert "Certificates link to http://127.0.0.1:5101" in values["echo"]
    assert "fictional" in values["PROVIDER_NAME"] and values["PROVIDER_DEMO"] == "1"
    assert "fictional" in values["CERT_SIGNATORY_NAME"]
    everywhere = _make_run_environment("HOST=0.0.0.0", "PORT=8080")
    assert everywhere["BASE_URL"] == "http://127.0.0.1:8080"
    real = _make_run_environment(env={"PROVIDER_NAME": "Riverside Center"})
    assert real["PROVIDER_NAME"] == "Riverside Center" and real["PROVIDER_DEMO"] == "0"

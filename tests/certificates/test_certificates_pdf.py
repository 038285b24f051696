"""The certificate PDF: what it says, how it is built, and that it is the same every time."""

from __future__ import annotations

import dataclasses
import datetime
import io
import os
import shutil
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import segno
from certificates_testkit import BARE, FULL, pdf_text
from pypdf import PdfReader
from reportlab.pdfbase import ttfonts

from certificates import AuthorLine, CertificateRecord, VoidNotice, render_pdf
from certificates.layout import layout_certificate
from certificates.pdf import BORDER_OUTER, PAGE_HEIGHT, qr_runs, void_box

ROOT = Path(__file__).resolve().parents[2]


def test_one_landscape_letter_page(full_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(full_pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792, 612)


def test_every_field_is_printed(full_pdf: bytes) -> None:
    text = pdf_text(full_pdf)
    expected = [
        "Certificate of Completion",
        "Zoë Nguyễn-O'Brien",
        "LCSW 123456",
        "California",
        FULL.course_title,
        "Version 3",
        "Completed on November 21, 2026",
        "1.0 contact hour",
        "Credit type: General",
        "Self-paced online course (asynchronous, self-study)",
        "Maria Alvarez, PhD, LCSW",
        "Sam Okafor, MSW",
        "Riverside Center for Child Welfare Training",
        "National Association of Social Workers (NASW)",
        "886123456-7890",
        FULL.approval_statement,
        "7K3M-Q9XD-2HTP-W4RB-5",
        "https://ce.example.org/verify/7K3M-Q9XD-2HTP-W4RB-5",
        "Issued November 23, 2026",
        "Dana Whitfield, LCSW",
        "Director of Continuing Education",
    ]
    missing = [item for item in expected if item not in text]
    assert not missing, f"missing from the PDF text: {missing}\n{text}"
    # 1.0 is one hour: singular, never "1.0 contact hours".
    assert "contact hours" not in text


def test_plural_hours() -> None:
    text = pdf_text(render_pdf(dataclasses.replace(FULL, contact_hours=FULL.contact_hours * 2)))
    assert "2.0 contact hours" in text


def test_unset_optional_fields_print_nothing(bare_pdf: bytes) -> None:
    text = pdf_text(bare_pdf)
    lowered = text.lower()
    unset = ("approv", "nasw", "886123456", "course author", "maria alvarez", "licen", "lcsw")
    for absent in unset:
        assert absent not in lowered, absent
    # The signature line is still there, labelled, with no invented signatory.
    assert "Authorized signature" in text
    assert "Dana Whitfield" not in text
    # And the required fields still are.
    for present in ("Zoë Nguyễn-O'Brien", FULL.course_title, FULL.code, FULL.verify_url):
        assert present in text


@pytest.mark.parametrize("missing", ["approval_body", "approval_number", "approval_statement"])
def test_partial_approval_claims_nothing(missing: str) -> None:
    record = dataclasses.replace(FULL, **{missing: None})
    lowered = pdf_text(render_pdf(record)).lower()
    for absent in ("approv", "nasw", "886123456"):
        assert absent not in lowered, (missing, absent)


def test_author_without_credentials_and_licence_without_number() -> None:
    record = dataclasses.replace(
        FULL,
        authors=(AuthorLine(name="Ana Lima", credentials=""),),
        licence_number=None,
        licence_jurisdiction="Oregon",
    )
    text = pdf_text(render_pdf(record))
    assert "Course author: Ana Lima" in text
    assert "Ana Lima," not in text
    assert "Oregon" in text and "License no." not in text


def test_decomposed_accents_print_as_composed_letters() -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Nguyễn-O'Brien")
    assert decomposed != FULL.participant_name
    text = pdf_text(render_pdf(dataclasses.replace(FULL, participant_name=decomposed)))
    assert "Zoë Nguyễn-O'Brien" in text


def test_vietnamese_and_other_latin_letters_survive() -> None:
    name = "Đặng Thị Hương Ưng Ðorđević Łukasz Żółć Søren Ærø Ñúñez"
    text = pdf_text(render_pdf(dataclasses.replace(FULL, participant_name=name)))
    assert name in text


def test_only_embedded_dejavu_fonts_are_used(full_pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(full_pdf)).pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert {str(font["/BaseFont"]).split("+", 1)[1] for font in fonts} == {
        "DejaVuSans",
        "DejaVuSans-Bold",
    }
    for font in fonts:
        assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded, subset
        assert "/ToUnicode" in font  # so text can be copied and searched


def test_licence_file_ships_with_the_fonts() -> None:
    fonts = ROOT / "certificates" / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file() and (fonts / "DejaVuSans-Bold.ttf").is_file()
    licence = (fonts / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence


def test_verify_url_is_a_link(full_pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(full_pdf)).pages[0]
    uris = {annot.get_object()["/A"]["/URI"] for annot in page["/Annots"]}
    assert uris == {FULL.verify_url}


def test_same_record_same_bytes() -> None:
    first, second = render_pdf(FULL), render_pdf(FULL)
    assert first == second
    # No clock time anywhere: the file is dated with the record's issue time.
    today = datetime.date.today().strftime("%Y%m%d").encode()
    assert b"D:" + today not in first


def test_same_bytes_in_another_process() -> None:
    # A fresh interpreter with a different hash seed catches any set or dict ordering
    # that leaks into the output.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from certificates_testkit import FULL; from certificates import render_pdf;"
        "sys.stdout.buffer.write(render_pdf(FULL))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        check=True,
        cwd=ROOT,
        env=env,
    ).stdout
    assert out == render_pdf(FULL)


def test_concurrent_renders_give_the_same_bytes(monkeypatch) -> None:
    # A threaded web server renders several certificates at once with shared fonts.
    # Yielding the GIL at every font-file seek makes the threads interleave inside
    # ReportLab's subsetting, where unguarded rendering corrupts the fonts (or raises).
    records = [dataclasses.replace(FULL, course_version=v) for v in (1, 2, 3, 4)] * 2
    expected = {record.course_version: render_pdf(record) for record in records}
    original_seek = ttfonts.TTFontParser.seek

    def seek_and_yield(self: ttfonts.TTFontParser, pos: int) -> None:
        original_seek(self, pos)
        time.sleep(0)

    monkeypatch.setattr(ttfonts.TTFontParser, "seek", seek_and_yield)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render_pdf, records))
    assert all(pdf == expected[r.course_version] for r, pdf in zip(records, results, strict=True))


@pytest.mark.parametrize(
    "changes",
    [
        {"participant_name": "Zoë Nguyễn-O'Brian"},
        {"code": "7K3M-Q9XD-2HTP-W4RC-A"},
        {"completed_on": datetime.date(2026, 11, 22)},
        {"course_version": 4},
    ],
)
def test_different_record_different_bytes(changes: dict[str, object]) -> None:
    assert render_pdf(dataclasses.replace(FULL, **changes)) != render_pdf(FULL)


def test_qr_code_is_vector_not_an_image(full_pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(full_pdf)).pages[0]
    assert list(page.images) == []
    assert "/XObject" not in page["/Resources"]


def test_qr_runs_cover_exactly_the_dark_modules_of_segnos_symbol() -> None:
    matrix = segno.make(FULL.verify_url, error="m", micro=False).matrix
    size, runs = qr_runs(FULL.verify_url)
    drawn = [bytearray(size) for _ in range(size)]
    for row, start, length in runs:
        assert length > 0 and drawn[row][start : start + length] == bytes(length)
        drawn[row][start : start + length] = b"\x01" * length
    assert drawn == [bytearray(row) for row in matrix]


def test_qr_code_decodes_to_the_verify_url() -> None:
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterizes the PDF")
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR")
    for record in (FULL, dataclasses.replace(FULL, verify_url=FULL.verify_url + "?from=qr")):
        document = pdfium.PdfDocument(render_pdf(record))
        try:
            image = document[0].render(scale=200 / 72).to_pil()  # 200 dpi, like a scan
        finally:
            document.close()
        found = [
            r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
        ]
        assert [r.text for r in found] == [record.verify_url]


@pytest.mark.skipif(
    shutil.which("qpdf") is None, reason="qpdf is not installed (apt-get install qpdf)"
)
@pytest.mark.parametrize("record", [FULL, BARE], ids=["full", "bare"])
def test_qpdf_finds_no_structural_problem(record: CertificateRecord, tmp_path: Path) -> None:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(render_pdf(record))
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    # Exit 0 is clean; 3 means warnings, which a clean generator should not produce either.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_a_void_notice_strikes_the_page_in_words_and_title(full_pdf: bytes) -> None:
    notice = VoidNotice("REVOKED", "This certificate was revoked on March 3, 2026 and no longer"
                        " certifies completion. Check its status at https://ce.example.org/v.")
    marked = render_pdf(FULL, None, notice)
    text = pdf_text(marked)
    assert "REVOKED" in text and "no longer certifies completion" in text
    assert "Zoë Nguyễn-O'Brien" in text  # the record under the mark is still readable
    assert PdfReader(io.BytesIO(marked)).metadata.title.startswith("REVOKED: ")
    assert "REVOKED" not in pdf_text(full_pdf)
    assert render_pdf(FULL, None, notice) == marked  # still byte-reproducible


@pytest.mark.parametrize("sample", [False, True])
def test_a_void_notice_hides_no_text_of_the_record(sample: bool) -> None:
    record = dataclasses.replace(FULL, sample=sample)
    top = max(item.top for item in layout_certificate(record).items)
    for lines in (1, 2):  # a revocation's sentence takes two lines at most
        x, y, width, height = void_box(lines, top)
        assert y >= top, "the box would cover the highest line of the certificate"
        assert y + height <= PAGE_HEIGHT - BORDER_OUTER and x >= BORDER_OUTER


@pytest.mark.parametrize("variant", ["issued", "sample", "void"])
def test_the_file_is_dated_when_the_certificate_was_issued(variant: str) -> None:
    # What a board sees under File > Properties: the issue time, not the year 2000.
    issued_at = datetime.datetime(2026, 12, 2, 14, 30, 5, 250_000, tzinfo=datetime.UTC)
    record = dataclasses.replace(FULL, issued_at=issued_at, sample=variant == "sample")
    void = VoidNotice("REVOKED", "This certificate was revoked.") if variant == "void" else None
    pdf = render_pdf(record, None, void)
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261202143005+00'00'"
    assert info.creation_date == info.modification_date == issued_at.replace(microsecond=0)
    assert b"D:2000" not in pdf
    assert render_pdf(record, None, void) == pdf  # still the same bytes every time

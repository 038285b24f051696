"""A certificate is a tagged PDF: a screen reader hears it in order, with its pictures named."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from certificates_testkit import FULL
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from certificates import VoidNotice, render_pdf
from certificates.layout import layout_certificate

NOTICE = VoidNotice("REVOKED", "This certificate was revoked on March 3, 2026 and no longer"
                    " certifies completion.")


def _signature() -> bytes:
    image = io.BytesIO()
    Image.new("RGBA", (300, 80), (20, 30, 90, 255)).save(image, "PNG")
    return image.getvalue()


SIGNED = render_pdf(dataclasses.replace(FULL, sample=True), signature_image=_signature())
VOID = render_pdf(FULL, None, NOTICE)
#: Operators that put marks on the page (text, paths filled or stroked, images).
PAINTING = {b"Tj", b"TJ", b"'", b'"', b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*",
            b"Do", b"sh"}  # fmt: skip


def _structure(pdf: bytes, tmp_path: Path) -> list[str]:
    """The structure tree as poppler reads it: one stripped line an element or a text."""
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    printed = subprocess.run(["pdfinfo", "-struct-text", str(path)],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [line.strip() for line in printed.splitlines() if line.strip()]


def _elements(pdf: bytes) -> list[dict]:
    """Every structure element under the document, depth first, resolved."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"]["/K"].get_object()
    found, stack = [], [root]
    while stack:
        element = stack.pop(0).get_object()
        found.append(element)
        kids = [kid.get_object() for kid in element["/K"]]
        stack[:0] = [kid for kid in kids
                     if isinstance(kid, DictionaryObject) and kid.get("/Type") == "/StructElem"]
    return found[1:]


@pytest.mark.skipif(shutil.which("pdfinfo") is None,
                    reason="pdfinfo is not installed (apt-get install poppler-utils)")
def test_a_screen_reader_hears_the_certificate_in_the_order_it_is_read(tmp_path: Path) -> None:
    read = _structure(render_pdf(FULL), tmp_path)
    assert read[0] == "Document"
    texts = [line.strip('"') for line in read if line.startswith('"')]
    # Every line a sighted reader sees, once, in the page's own order (a role's lines
    # joined into one paragraph), then the QR code's picture.
    printed: list[str] = []
    role = None
    for item in layout_certificate(FULL).items:
        if item.role == role:
            printed[-1] += f" {item.text}"
        else:
            printed.append(item.text)
        role = item.role
    assert texts[: len(printed)] == printed
    # The title is the page's one heading; the verification address is a link.
    assert read[read.index('"Certificate of Completion"') - 1] == "H1 (block)"
    assert read.count("H1 (block)") == 1
    assert read[read.index(f'"{FULL.verify_url}"') - 1] == "Link (inline)"


@pytest.mark.skipif(shutil.which("pdfinfo") is None,
                    reason="pdfinfo is not installed (apt-get install poppler-utils)")
def test_a_void_certificate_says_so_before_anything_else(tmp_path: Path) -> None:
    read = _structure(VOID, tmp_path)
    assert read[1:5] == ["P (block)", '"REVOKED"', "P (block)", f'"{NOTICE.text}"']
    assert read.count('"Certificate of Completion"') == 1


def test_the_qr_code_and_the_signature_have_words(tmp_path: Path) -> None:
    figures = [e for e in _elements(SIGNED) if e["/S"] == "/Figure"]
    assert [str(f["/Alt"]) for f in figures] == [
        "Signature of Dana Whitfield, LCSW",
        f"QR code: scan it to open this certificate's verification page, {FULL.verify_url}",
    ]


@pytest.mark.parametrize("pdf", [SIGNED, VOID], ids=["signed-sample", "void"])
def test_everything_on_the_page_is_either_read_or_marked_as_decoration(pdf: bytes) -> None:
    # Untagged marks on a tagged page are neither read nor known to be decoration: a
    # screen reader may read the border or a watermark's letters, or drop text.
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    open_marks: list[str] = []
    painted = {"tagged": 0, "artifact": 0}
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator in (b"BDC", b"BMC"):
            open_marks.append(str(operands[0]))
        elif operator == b"EMC":
            open_marks.pop()
        elif operator in PAINTING:
            assert open_marks, f"{operator!r} paints outside any marked content"
            painted["artifact" if "/Artifact" in open_marks else "tagged"] += 1
    assert not open_marks and painted["tagged"] > 20 and painted["artifact"] >= 3


def test_the_file_says_it_is_tagged_and_how_to_move_through_it() -> None:
    reader = PdfReader(io.BytesIO(SIGNED))
    catalog, page = reader.trailer["/Root"], reader.pages[0]
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 (pypdf's own boolean)
    assert catalog["/Lang"] == "en"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert page["/Tabs"] == "/S"  # links in the structure's order
    links = list(page["/Annots"])
    parents = catalog["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    for reference in links:
        annot = reference.get_object()
        # Each link is named and belongs to a Link element of the tree.
        assert str(annot["/Contents"]) == f"Verify this certificate at {FULL.verify_url}"
        owner = parents[parents.index(annot["/StructParent"]) + 1].get_object()
        assert owner["/S"] == "/Link"
        kids = [kid.get_object() for kid in owner["/K"]]
        assert any(isinstance(kid, DictionaryObject) and kid.get("/Type") == "/OBJR"
                   and kid.raw_get("/Obj").idnum == reference.idnum for kid in kids)
    assert len(links) == 2

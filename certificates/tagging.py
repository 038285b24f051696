"""A tagged PDF's structure for the one-page certificate: headings, paragraphs, figures, links."""

# A screen reader reads a tagged PDF by its structure tree, in the order given here, and
# skips what is marked as an artifact (borders, rules, the watermark). Without the tree it
# guesses an order from positions on the page and reads the QR code as nothing at all. The
# tree is written with ReportLab's own PDF objects: the content stream carries marked
# content (BDC ... EMC) with numbered ids, and the tree's elements point at them.

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFName,
    PDFObjectReference,
    PDFPage,
    PDFString,
    PDFtrue,
)
from reportlab.pdfgen.canvas import Canvas

__all__ = ["Tagger"]


@dataclass
class _Element:
    """One structure element: its type, its marked content or children, its alternate text."""

    kind: str
    kids: list[int | _Element | PDFObjectReference] = field(default_factory=list)
    alt: str | None = None


@dataclass
class Tagger:
    """Collects a page's structure while it is drawn, then writes the tree into the PDF."""

    canvas: Canvas
    root: _Element = field(default_factory=lambda: _Element("Document"))
    #: Marked-content ids in drawing order, each with the element it belongs to.
    _owners: list[_Element] = field(default_factory=list)
    #: Link annotations, each with the Link element that holds it.
    _links: list[tuple[PDFObjectReference, _Element]] = field(default_factory=list)

    def element(self, kind: str, parent: _Element | None = None, alt: str | None = None,
                at: int | None = None) -> _Element:
        """Add an element (``P``, ``H1``, ``Link``...) to ``parent``: at its end, or at ``at``."""
        made = _Element(kind, alt=alt)
        kids = (parent or self.root).kids
        kids.insert(len(kids) if at is None else at, made)
        return made

    @contextmanager
    def content(self, owner: _Element) -> Iterator[None]:
        """Mark what is drawn inside as ``owner``'s content."""
        mcid = len(self._owners)
        self._owners.append(owner)
        owner.kids.append(mcid)
        self.canvas.addLiteral(f"/{owner.kind} <</MCID {mcid}>> BDC")
        yield
        self.canvas.addLiteral("EMC")

    @contextmanager
    def artifact(self) -> Iterator[None]:
        """Mark what is drawn inside as decoration a screen reader skips."""
        self.canvas.addLiteral("/Artifact BMC")
        yield
        self.canvas.addLiteral("EMC")

    def link(self, owner: _Element, url: str, rect: tuple[float, float, float, float],
             description: str) -> None:
        """Add a link annotation over ``rect`` as part of the Link element ``owner``."""
        parent = len(self._links) + 1  # 0 is the page's marked content
        self.canvas.linkURL(url, rect, relative=0, Contents=PDFString(description),
                            StructParent=parent)  # fmt: skip
        annotation = self.canvas._annotationrefs[-1]
        owner.kids.append(annotation)
        self._links.append((annotation, owner))

    def finish(self) -> None:
        """Write the structure tree and mark the document as tagged (after ``showPage``)."""
        doc = self.canvas._doc
        page = doc.Pages.pages[-1]
        # ReportLab's page writes only the keys it lists: a tagged page needs two more.
        page.__NoDefault__ = [*PDFPage.__NoDefault__, "StructParents", "Tabs"]
        page.StructParents = 0
        page.Tabs = PDFName("S")  # move through links in the structure's order
        page_ref = doc.Reference(page)
        tree = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        refs: dict[int, PDFObjectReference] = {}
        tree["K"] = self._write(self.root, doc.Reference(tree), page_ref, refs)
        # Where each marked content and each link annotation belongs, for a reader that
        # starts from the page: the page's ids in order, then one entry a link.
        numbers: list[object] = [0, PDFArray([refs[id(owner)] for owner in self._owners])]
        for n, (_, owner) in enumerate(self._links, start=1):
            numbers += [n, refs[id(owner)]]
        tree["ParentTree"] = PDFDictionary({"Nums": PDFArray(numbers)})
        tree["ParentTreeNextKey"] = len(self._links) + 1
        doc.Catalog.StructTreeRoot = tree
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": PDFtrue})

    def _write(self, element: _Element, parent: PDFObjectReference,
               page_ref: PDFObjectReference, refs: dict[int, PDFObjectReference]
               ) -> PDFObjectReference:
        """Register ``element`` and its children as PDF objects; return its reference."""
        made = PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName(element.kind),
                              "P": parent, "Pg": page_ref})  # fmt: skip
        ref = self.canvas._doc.Reference(made)
        refs[id(element)] = ref
        if element.alt is not None:
            made["Alt"] = PDFString(element.alt)
        made["K"] = PDFArray([self._kid(kid, ref, page_ref, refs) for kid in element.kids])
        return ref

    def _kid(self, kid: int | _Element | PDFObjectReference, parent: PDFObjectReference,
             page_ref: PDFObjectReference, refs: dict[int, PDFObjectReference]) -> object:
        """A marked-content id as it is, a child element written, an annotation by OBJR."""
        if isinstance(kid, int):
            return kid
        if isinstance(kid, _Element):
            return self._write(kid, parent, page_ref, refs)
        return PDFDictionary({"Type": PDFName("OBJR"), "Obj": kid, "Pg": page_ref})

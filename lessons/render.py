"""Markdown to sanitized HTML, with an explicit allowlist of tags, attributes and URL schemes."""

from __future__ import annotations

import html
import re
import threading
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions.toc import slugify

from .limits import markdown_problem

# attr_list and md_in_html are left out on purpose: both let authors write attributes
# and raw structure that the allowlist would then have to second-guess.
EXTENSIONS = ["tables", "fenced_code", "toc", "sane_lists"]

ALLOWED_TAGS = frozenset(
    {
        "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "em", "code",
        "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "img",
        "abbr", "sup", "sub", "dl", "dt", "dd", "span",
    }
)  # fmt: skip

# Only heading ids survive (for in-page anchors); no class or style anywhere, so table
# alignment is dropped rather than opening the door to inline CSS.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Removed together with their content: their text is code or markup, never reading text.
CLEAN_CONTENT_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "textarea"})

# Browsers ignore tabs and newlines inside a URL scheme and nh3 already handles that; spaces
# do make a relative URL ("java  script:" is harmless), but nothing legitimate looks like
# that, so such URLs are dropped too rather than relying on every parser agreeing.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


#: Every authored id starts with this, and no id of the page around it does: a heading
#: named "Support" or "Session warning" would otherwise take the id of the page's support
#: panel or time-out dialog, and the link or script meant for them would find the heading.
SECTION_ID_PREFIX = "section-"


def _heading_slug(value: str, separator: str) -> str:
    """A heading's id: its text's slug, prefixed before the toc extension makes it unique."""
    return SECTION_ID_PREFIX + slugify(value, separator)


def _section_id(value: str) -> str:
    """A raw HTML id or in-page link target moved into the authors' own id space."""
    return value if value.startswith(SECTION_ID_PREFIX) else SECTION_ID_PREFIX + value


def image_source_allowed(address: str) -> bool:
    """Whether an image may load: only from the site's static files.

    A browser fetches an image unasked, so one pointing at a page of the site
    ("/courses/another/post-test", or the same with the site's full address) would open
    that page for every reader. The site's Content-Security-Policy loads no image from
    elsewhere, so nothing that could show is lost.
    """
    return _static_file(_compact(address))


def link_address_allowed(address: str) -> bool:
    """Whether a link keeps its address: not a script or data URL (see ``_BAD_SCHEMES``)."""
    return not _compact(address).startswith(_BAD_SCHEMES)


def _compact(address: str) -> str:
    """An address as a browser reads it: entities decoded, invisible characters gone."""
    return _INVISIBLE.sub("", html.unescape(address)).lower()


def _static_file(compact: str) -> bool:
    # Browsers resolve "/static/../courses/..." and its escaped forms before fetching.
    return compact.startswith("/static/") and not any(
        part in compact for part in ("..", "%2e", "\\", "/./")
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Drop script, data and page-address image URLs; prefix authored ids and links."""
    if attribute == "id":
        return _section_id(value)
    if attribute in ("href", "src"):
        compact = _compact(value)
        if compact.startswith(_BAD_SCHEMES):
            return None
        if tag == "img" and not _static_file(compact):
            return None
        if attribute == "href" and value.startswith("#") and len(value) > 1:
            return "#" + _section_id(value[1:])
    return value


_SINGLE_PARAGRAPH = re.compile(r"\A<p>(?P<inner>.*)</p>\Z", re.DOTALL)
# An image left without an address (it pointed somewhere images may not come from), in
# nh3's own output form, with its alt text if it has one.
_IMAGE_WITHOUT_SOURCE = re.compile(r'<img(?![^>]*\ssrc=)(?:[^>]*?\salt="(?P<alt>[^"]*)")?[^>]*>')


def _alt_text(match: re.Match[str]) -> str:
    return html.escape(html.unescape(match.group("alt") or ""), quote=False)


def sanitize(fragment: str) -> str:
    """Clean an HTML fragment down to the allowlist."""
    # An image that cannot load shows its words, not a broken-image box.
    return _IMAGE_WITHOUT_SOURCE.sub(_alt_text, _clean(fragment))


def _clean(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )


_local = threading.local()


def markdown_to_unsafe_html(text: str) -> str:
    """Render Markdown without sanitizing; callers must pass the result to sanitize()."""
    if markdown_problem(text) is not None:
        # Nesting that would take Python-Markdown minutes (the checker reports it as an
        # error): shown as the text it is instead.
        return f"<pre>{html.escape(text)}</pre>"
    # Building a Markdown instance is most of the cost, so each thread keeps one; reset()
    # clears per-document state such as the ids the toc extension has handed out.
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = markdown.Markdown(
            extensions=EXTENSIONS,
            extension_configs={"toc": {"slugify": _heading_slug}},
            output_format="html",
        )
    return md.reset().convert(text)


def render_markdown(text: str) -> str:
    """Render block Markdown to sanitized HTML."""
    return sanitize(markdown_to_unsafe_html(text)).strip()


def render_inline(text: str) -> str:
    """Render short Markdown to sanitized HTML without the outer <p> of a single paragraph."""
    html = render_markdown(text)
    match = _SINGLE_PARAGRAPH.match(html)
    # Only unwrap when the whole result is one paragraph; "<p>a</p><p>b</p>" must stay intact.
    if match and "<p>" not in match.group("inner"):
        return match.group("inner")
    return html


_BLOCK_TAGS = frozenset(
    {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre", "blockquote", "table", "tr",
     "th", "td", "hr", "br", "dl", "dt", "dd"}
)  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collect the text nodes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Block boundaries separate words ("<td>a</td><td>b</td>"); inline tags do not.
        if tag in _BLOCK_TAGS:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def html_text(html: str) -> str:
    """Return the visible text of a sanitized HTML fragment."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.chunks)


_WORD = re.compile(r"\S+")
_HAS_ALNUM = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Count whitespace-separated tokens that contain a letter or digit."""
    # A lone dash or bullet is not a word a reader spends time on.
    return sum(1 for token in _WORD.findall(text) if _HAS_ALNUM.search(token))

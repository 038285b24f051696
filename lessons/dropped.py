"""What the sanitizer drops from authored Markdown, said as a warning where it was typed.

nh3 keeps learners safe without a word: a tag outside its list, an image from elsewhere
or a script link simply disappear. The checker says so, line by line, in a lesson's prose
and in every other text rendered as Markdown (questions, the advisory, the disclosure,
the references).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .fences import prose_lines
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding, Question
from .render import ALLOWED_TAGS, image_source_allowed, link_address_allowed
from .yamlpaths import key_lines

_IMAGE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<url>[^)\s>]*)|<img\b(?P<attrs>[^>]*)", re.IGNORECASE
)
_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]*\S[^\"]*\"|'[^']*\S[^']*'|[^\s\"'>]+)", re.IGNORECASE)
_LINK = re.compile(
    r"(?<!!)\[(?P<text>[^\]]*)\]\(\s*<?(?P<url>[^)\s>]*)|<a\b(?P<attrs>[^>]*)", re.IGNORECASE
)
# A tag name followed by a space, / or >: "<https://...>" and "<me@example.org>" are links.
_RAW_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_CODE_SPAN = re.compile(r"(`+).+?\1")
#: The course's texts rendered as Markdown (the title and the rest are shown as written).
_COURSE_MARKDOWN = ("advisory", "disclosure", "references")


def _attribute(name: str) -> re.Pattern[str]:
    return re.compile(rf"\b{name}\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))", re.IGNORECASE)


_SRC, _HREF = _attribute("src"), _attribute("href")


def _address(match: re.Match[str], attribute: re.Pattern[str]) -> str:
    """The address of a Markdown link or image (group ``url``), or of its HTML tag."""
    attrs = match.group("attrs")
    if attrs is None:
        return match.group("url") or ""
    found = attribute.search(attrs)
    return next((part for part in found.groups() if part is not None), "") if found else ""


def image_warnings(line: str) -> list[str]:
    """An image on the line without alt text (WCAG 1.1.1), or from outside the site."""
    found = []
    # In backticks the Markdown is shown as typed (to teach it): no image is made.
    for match in _IMAGE.finditer(_CODE_SPAN.sub("", line)):
        attrs = match.group("attrs")
        bare = not match.group("alt").strip() if attrs is None else not _ALT.search(attrs)
        if bare:
            found.append("an image needs alt text saying what it shows, for learners who "
                         "cannot see it: write ![what it shows](address)")
        address = _address(match, _SRC)
        if address and not image_source_allowed(address):
            # Say what to do: an author in the browser cannot upload an image.
            found.append(f"the image {address} is not shown to learners (they see its alt "
                         "text): images come only from the site's own files, so use an address "
                         "under /static/ and ask whoever runs the site to add the file there")
    return found


def image_addresses(package: CoursePackage) -> list[tuple[str, int, str]]:
    """Every image address the site would load, as (file, line, address): what a check
    that knows the site's static files (this package does not) can look for."""
    found = []
    for name, text in sorted(package.files.items()):
        if not name.endswith((".md", ".yaml", ".yml")):
            continue
        lines = text.splitlines()
        numbered = prose_lines(lines) if name.endswith(".md") else enumerate(lines)
        for index, line in numbered:
            for match in _IMAGE.finditer(_CODE_SPAN.sub("", line)):
                address = _address(match, _SRC)
                if address and image_source_allowed(address):
                    found.append((name, index + 1, address))
    return found


def raw_html_warnings(line: str, kind: str = "lessons are Markdown") -> list[str]:
    """HTML tags on the line that the sanitizer drops."""
    dropped = sorted({match.group(1).lower() for match in _RAW_TAG.finditer(
        _CODE_SPAN.sub("", line)) if match.group(1).lower() not in ALLOWED_TAGS})
    if not dropped:
        return []
    names = ", ".join(f"<{name}>" for name in dropped)
    return [f"HTML {names} is not shown to learners: {kind}, and only a few HTML tags pass "
            "(to show a tag as text, put it in `backticks`)"]


def dead_link_warnings(line: str) -> list[str]:
    """Links on the line whose address the sanitizer drops, leaving plain words."""
    schemes = set()
    for match in _LINK.finditer(_CODE_SPAN.sub("", line)):
        address = _address(match, _HREF)
        if address and not link_address_allowed(address):
            schemes.add(address.split(":", 1)[0].strip().lower())
    return [f"a link to a {scheme}: address is shown to learners as plain words, not a "
            "link: use an https:// address (or mailto: or tel:)" for scheme in sorted(schemes)]


def text_warnings(text: str) -> list[tuple[str, str]]:
    """Each line of a Markdown text (a question's, the advisory) with what it loses."""
    found = []
    # Fenced code is shown as typed, tags and addresses included: nothing there is lost.
    for _, line in prose_lines(text.splitlines()):
        for message in (image_warnings(line) + dead_link_warnings(line)
                        + raw_html_warnings(line, "this text is Markdown")):
            found.append((line, message))
    return found


def dropped_findings(package: CoursePackage) -> list[Finding]:
    """Warnings for what the sanitizer drops from questions and the course's own texts."""
    findings: list[Finding] = []
    course = key_lines(package.files[COURSE_FILE])
    values = {"advisory": [package.advisory], "disclosure": [package.disclosure],
              "references": list(package.references)}
    for key in _COURSE_MARKDOWN:
        start = course.get((key,), 1)
        findings += _located(package, COURSE_FILE, start, values[key])
    questions: Iterable[Question] = (
        *(check for lesson in package.lessons for check in lesson.checks), *package.post_test)
    for question in questions:
        texts = [question.prompt, question.explanation]
        texts += [t for choice in question.choices for t in (choice.text, choice.why)]
        findings += _located(package, question.file, question.line, texts)
    return findings


def _located(package: CoursePackage, file: str, start: int, texts: list[str]) -> list[Finding]:
    # The value's first line is known; a line of it with a problem may sit a few below.
    # The file is split into lines only for a warning: most questions have none.
    found = []
    for text in texts:
        for typed, message in text_warnings(text or ""):
            lines = package.files.get(file, "").splitlines()
            found.append(Finding("warning", file, _line_of(lines, start, typed), message))
    return found


def _line_of(lines: list[str], start: int, typed: str) -> int:
    # A folded or plain YAML value joins its lines into one: then the most of the line's
    # opening words found on one file line (three at least) say where it begins.
    words = typed.split()
    for count in range(len(words), min(len(words), 3) - 1, -1):
        needle = " ".join(words[:count])
        for index in range(max(start - 1, 0), len(lines)):
            if needle and needle in lines[index]:
                return index + 1
    return start

"""Figures need sources: a course whose lessons quote statistics must list its references."""

from __future__ import annotations

import re

from .lessonfile import body_offset
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding

_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine|ten)"
_NUMBER = r"\d{1,3}(?:,\d{3})*"
#: A percentage ("80%", "12.5 percent") or a rate ("3 in 5", "one in four", "1 out of
#: 10,000"); a year after "in" ("1 in 2023") is no rate.
FIGURE = re.compile(
    rf"\b\d{{1,3}}(?:\.\d+)?\s?(?:%|percent\b)"
    rf"|\b(?:{_NUMBER}|{_SMALL}) (?:in|out of) (?!(?:19|20)\d\d\b)(?:{_NUMBER}|{_SMALL})\b(?! ?%)",
    re.IGNORECASE,
)
# Where a figure is no statistic: link targets, HTML tags and bare addresses ("%20",
# width="50%"), and a sentence about the course's own pass mark ("80% to pass").
_NOT_TEXT = re.compile(r"\]\([^)]*\)|<[^>]*>|https?://\S+")
_PASS_MARK = re.compile(r"[^.!?\n]*\b(?:pass|passing|score)\b[^.!?\n]*", re.IGNORECASE)


def _blank(match: re.Match[str]) -> str:
    # Keep the length and the line breaks, so a figure's line stays where it was.
    return re.sub(r"[^\n]", " ", match.group())


def first_figure(markdown: str) -> re.Match[str] | None:
    """The first statistic-like figure in a lesson's text, or None."""
    return FIGURE.search(_PASS_MARK.sub(_blank, _NOT_TEXT.sub(_blank, markdown)))


def source_findings(package: CoursePackage) -> list[Finding]:
    """A warning on each lesson's first figure when the course lists no references."""
    if package.references:
        return []
    found = []
    for lesson in package.lessons:
        match = first_figure(lesson.markdown)
        if match is None:
            continue
        offset = body_offset(package.files[lesson.file], lesson.markdown)
        line = offset + lesson.markdown.count("\n", 0, match.start()) + 1
        found.append(Finding(
            "warning", lesson.file, line,
            f"this lesson quotes a figure (`{match.group()}`), but {COURSE_FILE} lists no "
            "`references`. Name each statistic's source and year in the text, and list the "
            "sources under `references:`: a CE reviewer asks where every figure comes from",
        ))  # fmt: skip
    return found

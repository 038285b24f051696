"""Figures need sources: a course whose lessons quote statistics must list its references."""

from __future__ import annotations

import re

from .lessonfile import body_offset
from .manifest import COURSE_FILE
from .model import CoursePackage, Finding

#: A percentage ("80%", "12.5 percent") or a rate ("3 in 5", "1 out of 4").
FIGURE = re.compile(
    r"\b\d{1,3}(?:\.\d+)?\s?(?:%|percent\b)|\b\d{1,3} (?:in|out of) \d{1,4}\b(?! ?%)"
)


def source_findings(package: CoursePackage) -> list[Finding]:
    """A warning on each lesson's first figure when the course lists no references."""
    if package.references:
        return []
    found = []
    for lesson in package.lessons:
        match = FIGURE.search(lesson.markdown)
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

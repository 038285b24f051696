"""Feedback wording: a knowledge check's feedback should not repeat the page's verdict."""

from __future__ import annotations

import re

from .model import CoursePackage, Finding
from .render import html_text

#: The page puts "That's right." above the feedback on a right answer, so feedback that
#: opens with a verdict of its own reads "That's right. Right. ...".
_VERDICT = re.compile(r"^(?:that's right|that is right|right|correct|yes|exactly)\b\W*", re.I)


def feedback_findings(package: CoursePackage) -> list[Finding]:
    """Warnings for a right choice's feedback that opens with a verdict the page gives."""
    found = []
    for lesson in package.lessons:
        for check in lesson.checks:
            for choice in check.choices:
                opening = _VERDICT.match(html_text(choice.why_html).strip())
                if choice.correct and opening:
                    found.append(
                        Finding(
                            "warning", check.file, check.line,
                            f"feedback for choice {choice.key} of check {check.id} starts with"
                            f" \"{opening.group(0).strip()}\", but the page already says"
                            " \"That's right.\" above it: start with the reason",
                        )
                    )  # fmt: skip
    return found
